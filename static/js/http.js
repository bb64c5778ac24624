// Requests to our own server: same-origin credentials, Django's CSRF token on writes.

export function csrfToken(cookie = document.cookie) {
  const match = cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export function post(url, { json, headers = {} } = {}) {
  const options = { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken(), ...headers } };
  if (json !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(json);
  }
  return fetch(url, options);
}

// A page form's fields (its CSRF token among them), posted for a JSON answer instead of a page.
export function postForm(url, formData) {
  return fetch(url, {
    method: "POST", credentials: "same-origin", body: formData,
    headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
  });
}

export function get(url) {
  return fetch(url, { credentials: "same-origin" });
}
