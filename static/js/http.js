// Requests to our own server: same-origin credentials, Django's CSRF token on writes. A write answered 401 (no
// session: logged out here or in another tab, expired) or attempted once the page knows it is signed out fails
// with a SignedOutError, whose message is what the page shows ("You are signed out…"), never the API's wording
// or "Failed to fetch".

export const SIGNED_OUT_MESSAGE = "You are signed out. Log in again to send.";

export class SignedOutError extends Error {
  constructor() {
    super(SIGNED_OUT_MESSAGE);
    this.name = "SignedOutError";
  }
}

const session = { signedOut: false, listeners: [] };

export function isSignedOut() {
  return session.signedOut;
}

// Called once the page learns its session is gone (live.js on the socket's close code, post() on a 401).
export function markSignedOut() {
  if (session.signedOut) return;
  session.signedOut = true;
  session.listeners.forEach((listener) => listener());
}

export function onSignedOut(listener) {
  session.listeners.push(listener);
}

export function csrfToken(cookie = document.cookie) {
  const match = cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function post(url, { json, headers = {}, method = "POST" } = {}) {
  if (session.signedOut) throw new SignedOutError();
  const options = { method, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken(), ...headers } };
  if (json !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(json);
  }
  let answer;
  try {
    answer = await fetch(url, options);
  } catch (error) {
    throw session.signedOut ? new SignedOutError() : error;
  }
  if (answer.status === 401) {
    markSignedOut();
    throw new SignedOutError();
  }
  return answer;
}

// Another write (PATCH, DELETE) with the same session and CSRF handling as post().
export function write(method, url, options = {}) {
  return post(url, { ...options, method });
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
