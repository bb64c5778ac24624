// The import progress page: polls the job's status once a second and writes it into the page's fields
// (the server renders the same fields: without JavaScript the "Refresh" link shows the same figures).
const root = document.getElementById("import-progress");

function show(state) {
  root.querySelectorAll("[data-field]").forEach((node) => {
    const value = state[node.dataset.field];
    node.textContent = Array.isArray(value) ? value.join(", ") : String(value ?? "");
  });
  root.querySelector('[data-field="failure"]').hidden = !state.failure;
  root.querySelector('[data-when="unknown-labels"]').hidden = !state.unknownLabels.length;
  root.querySelector('[data-when="finished"]').hidden = !state.finished;
  root.querySelector('[data-when="running"]').hidden = state.finished;
  const bar = document.getElementById("import-bar");
  bar.value = state.percent;
  bar.textContent = `${state.percent}%`;
  document.title = `${state.statusLabel} · ${document.title.split(" · ").slice(1).join(" · ")}`;
}

async function poll() {
  try {
    const response = await fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.ok) {
      const state = await response.json();
      show(state);
      if (state.finished) return;
    }
  } catch (error) {
    // The server restarting: try again at the next tick.
  }
  setTimeout(poll, 1000);
}

if (root && root.querySelector('[data-when="finished"]').hidden) setTimeout(poll, 1000);
