// A broadcast's report (templates/broadcasts/detail.html): refresh the progress bar, the counts and the state by
// polling GET /api/broadcasts/{id}/ while the broadcast is live. When its state changes (queued → sending → done,
// paused, cancelled) the page reloads, so the buttons offered and the recipients table match the new state; once
// every outcome is in (nothing left "sent"), it reloads for the final table.
const root = document.getElementById("broadcast");
const shownState = document.getElementById("broadcast-state")?.dataset.state;
const TERMINAL = new Set(["done", "cancelled"]);
const EVERY_MS = 1500;
const MAX_POLLS = 400; // ten minutes: a report left open does not poll forever
let polls = 0;

function show(data) {
  const progress = data.progress;
  const bar = document.getElementById("broadcast-progress");
  bar.max = progress.total;
  bar.value = progress.total - progress.queued;
  bar.textContent = `${bar.value} of ${progress.total}`;
  for (const cell of root.querySelectorAll("[data-count]")) {
    cell.textContent = String(progress[cell.dataset.count]);
  }
  const state = document.getElementById("broadcast-state");
  if (state.dataset.state !== data.state) {
    state.dataset.state = data.state;
    state.textContent = data.state.charAt(0).toUpperCase() + data.state.slice(1);
  }
}

async function poll() {
  try {
    const answer = await fetch(root.dataset.api, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (answer.ok) {
      const data = await answer.json();
      show(data);
      const settled = TERMINAL.has(data.state) && data.progress.sent === 0;
      if (settled || data.state !== shownState) {
        window.location.reload();
        return;
      }
    }
  } catch {
    // offline for a moment: the next poll tries again
  }
  polls += 1;
  if (polls < MAX_POLLS) window.setTimeout(poll, EVERY_MS);
}

if (root && root.dataset.live === "true") window.setTimeout(poll, EVERY_MS);
