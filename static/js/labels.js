// Labels and saved views in the inbox: chips on rows and in the thread header, several conversations labelled
// at once from the list (checkboxes and the "Label" bar, all keyboard operable), label.changed re-rendering
// names and colours everywhere, and the saved views' counts refreshed (debounced) after changes heard.
// Labels, the palette and the URLs come from the server (config.labels, config.urls); names are set as text.
import { postForm } from "./http.js";

// Whether a row heard live belongs in a list filtered by a label or a saved view (a search decides on reload).
export function matchesExtra(row, { labels = {}, user } = {}) {
  const ids = (row.labels || []).map((label) => label.id);
  if (labels.listLabel && !ids.includes(labels.listLabel)) return false;
  const view = labels.listView;
  if (!view) return true;
  if (view.q) return false;
  if (view.status && row.status !== view.status) return false;
  if (view.assigned === "me" && row.assigneeId !== user) return false;
  if (view.assigned === "unassigned" && row.assigneeId) return false;
  if (view.label && !ids.includes(view.label)) return false;
  if (view.unread && !(row.unreadCount > 0)) return false;
  return true;
}

export function chip(label, doc = document) {
  const node = doc.createElement("span");
  node.className = "label-chip";
  node.dataset.labelId = label.id;
  node.dataset.color = label.color;
  node.textContent = label.name;
  return node;
}

export function renderChips(container, labels, doc = document) {
  if (container) container.replaceChildren(...(labels || []).map((label) => chip(label, doc)));
}

// A row cloned from the template: its checkbox names the conversation, its chips are the row's labels.
export function renderRowLabels(row, c, existing) {
  const box = row.querySelector(".row-select");
  if (box) {
    box.value = c.id;
    box.checked = Boolean(existing?.querySelector(".row-select")?.checked);
  }
  renderChips(row.querySelector(".row-labels"), c.labels, row.ownerDocument);
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function wireLabels({ config, list, onRow, doc = document }) {
  const bar = doc.getElementById("bulk-label-form");
  const count = doc.getElementById("bulk-count");
  const selected = () => Array.from(doc.querySelectorAll("#conversation-list .row-select:checked"));

  function showSelection() {
    const n = selected().length;
    if (count) count.textContent = n ? `${n} selected` : "Tick conversations to label them";
    bar?.querySelectorAll("button").forEach((button) => { button.disabled = n === 0; });
    bar?.classList.toggle("active", n > 0);
  }
  list?.addEventListener("change", (event) => { if (event.target.matches(".row-select")) showSelection(); });
  showSelection();

  bar?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(bar);
    data.set("action", event.submitter?.value || "add");
    try {
      const answer = await postForm(bar.getAttribute("action"), data); // bar.action is its "action" buttons
      const result = await answer.json();
      if (!answer.ok) { if (count) count.textContent = result.error || "Not labelled."; return; }
      result.conversations.forEach((c) => onRow(c));
      selected().forEach((box) => { box.checked = false; });
      showSelection();
      const n = result.conversations.length;
      if (count) count.textContent = `${data.get("action") === "add" ? "Labelled" : "Unlabelled"} ${n} conversation${n === 1 ? "" : "s"}.`;
    } catch { bar.submit(); }
  });

  const threadForm = doc.getElementById("thread-labels-form");
  threadForm?.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const answer = await postForm(threadForm.action, new FormData(threadForm));
      const result = await answer.json();
      if (answer.ok && result.conversation) {
        onRow(result.conversation);
        followConversation(result.conversation);
        const picker = doc.getElementById("thread-label-picker");
        if (picker) { picker.open = false; picker.querySelector("summary")?.focus(); }
      }
    } catch { threadForm.submit(); }
  });

  // The open thread's chips and ticks follow its rows heard live.
  function followConversation(c) {
    if (c.id !== config.conversation) return;
    renderChips(doc.getElementById("thread-labels"), c.labels, doc);
    const ids = new Set((c.labels || []).map((label) => label.id));
    threadForm?.querySelectorAll('input[name="label"]').forEach((box) => { box.checked = ids.has(Number(box.value)); });
  }

  // label.changed: a name or colour changed everywhere it shows; a deleted label leaves; a new one is offered.
  function labelChanged(p) {
    if (p.organizationId !== config.organization) return;
    doc.querySelectorAll(`[data-label-id="${p.id}"]`).forEach((node) => {
      if (p.deleted) {
        (node.closest("label.check") || node).remove();
        return;
      }
      node.textContent = p.name;
      if (node.classList.contains("label-chip")) node.dataset.color = p.color;
    });
    if (p.deleted || doc.querySelector(`option[data-label-id="${p.id}"]`)) return;
    for (const select of doc.querySelectorAll("#label-filter, #bulk-label")) {
      const option = doc.createElement("option");
      option.value = p.id;
      option.dataset.labelId = p.id;
      option.textContent = p.name;
      select.append(option);
    }
  }

  // The saved views' counts, asked of the server (one count per view) a moment after changes stop arriving.
  const refreshCounts = debounce(async () => {
    if (!doc.querySelector("[data-view-count]")) return;
    try {
      const answer = await fetch(config.urls.viewCounts, { credentials: "same-origin" });
      if (!answer.ok) return;
      const { counts } = await answer.json();
      for (const [id, n] of Object.entries(counts)) {
        const node = doc.querySelector(`[data-view-count="${id}"]`);
        if (node) { node.textContent = n; node.setAttribute("aria-label", `${n} conversations`); }
      }
    } catch { /* the next change tries again */ }
  }, 600);

  return { followConversation, labelChanged, refreshCounts };
}
