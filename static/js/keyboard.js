// Keyboard shortcuts of the inbox, and the "?" overlay that lists them (built from the same table, as text).
// They never fire while typing (inputs, text areas, selects, editable text) or with Ctrl/Alt/Meta held; Escape
// in the composer leaves it, so that they work again. A thread that opens puts the focus in its composer
// (not on touch screens, where it would pop the keyboard up over the thread).

export const SHORTCUTS = [
  { keys: ["j"], label: "Next conversation", action: "next" },
  { keys: ["k"], label: "Previous conversation", action: "previous" },
  { keys: ["/"], label: "Search conversations", action: "search", target: "#q" },
  { keys: ["c"], label: "Write a message (focus the composer)", action: "compose", target: "#body" },
  { keys: ["a"], label: "Assign the conversation to me", action: "assignToMe", target: "#assignee" },
  { keys: ["x"], label: "Close or reopen the conversation", action: "toggleStatus", target: '.thread-actions button[name="status"]' },
  { keys: ["?"], label: "Show these shortcuts", action: "help", target: "#shortcuts-button" },
  { keys: ["Esc"], label: "Leave the composer, or close this list", action: null },
];

// Tell each control its shortcut where people look for one: announced (aria-keyshortcuts) and in its tooltip.
export function markShortcuts(doc) {
  for (const shortcut of SHORTCUTS) {
    if (!shortcut.target) continue;
    for (const node of doc.querySelectorAll(shortcut.target)) {
      node.setAttribute("aria-keyshortcuts", shortcut.keys.join(" "));
      const hint = `Shortcut: ${shortcut.keys.join(" or ")}`;
      if (!(node.title || "").includes(hint)) node.title = node.title ? `${node.title} (${hint})` : hint;
    }
  }
}

// Whether a key press belongs to what the user is typing rather than to the shortcuts.
export function isTyping(target) {
  if (!target || !target.tagName) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName.toLowerCase();
  if (tag === "textarea" || tag === "select") return true;
  if (tag !== "input") return false;
  return !["button", "checkbox", "radio", "submit", "reset", "range", "color", "file", "image"].includes(target.type);
}

// The shortcut's action for a keydown event, or null.
export function shortcutFor(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented || isTyping(event.target)) return null;
  const found = SHORTCUTS.find((shortcut) => shortcut.keys.includes(event.key));
  return found ? found.action : null;
}

// The link of the conversation `step` rows away from the open one (the first row when none is open), or null.
export function neighbourLink(links, currentId, step) {
  if (!links.length) return null;
  const index = links.findIndex((link) => link.closest("[data-id]")?.dataset.id === String(currentId));
  if (index === -1) return step > 0 ? links[0] : links[links.length - 1];
  return links[index + step] || null;
}

function buildDialog(doc) {
  const dialog = doc.createElement("dialog");
  dialog.id = "shortcuts";
  dialog.className = "shortcuts";
  dialog.setAttribute("aria-labelledby", "shortcuts-title");
  const title = doc.createElement("h2");
  title.id = "shortcuts-title";
  title.textContent = "Keyboard shortcuts";
  const list = doc.createElement("dl");
  for (const shortcut of SHORTCUTS) {
    const term = doc.createElement("dt");
    shortcut.keys.forEach((key) => {
      const kbd = doc.createElement("kbd");
      kbd.textContent = key;
      term.append(kbd);
    });
    const description = doc.createElement("dd");
    description.textContent = shortcut.label;
    list.append(term, description);
  }
  const close = doc.createElement("button");
  close.type = "button";
  close.className = "secondary small";
  close.textContent = "Close";
  close.addEventListener("click", () => dialog.close());
  dialog.append(title, list, close);
  doc.body.append(dialog);
  return dialog;
}

export function wireKeyboard({ config, doc = document, win = window }) {
  const body = doc.getElementById("body");
  const usable = (node) => node && !node.disabled;
  // The composer's field in the mode chosen: the message, or a private note (notes.js).
  const composerField = () => (doc.getElementById("mode-note")?.checked ? doc.getElementById("note-body") : body);
  let dialog = null;
  let returnFocus = null;

  function openHelp() {
    dialog = dialog || buildDialog(doc);
    if (dialog.open) return;
    returnFocus = doc.activeElement;
    dialog.addEventListener("close", () => returnFocus?.focus?.(), { once: true });
    dialog.showModal();
    dialog.querySelector("button").focus();
  }

  const actions = {
    next: () => go(1),
    previous: () => go(-1),
    search: () => doc.getElementById("q")?.focus(),
    compose: () => { const field = composerField(); if (usable(field)) field.focus(); },
    assignToMe: () => {
      const select = doc.getElementById("assignee");
      const mine = select && [...select.options].find((option) => option.value === String(config.user));
      if (!mine || select.value === mine.value) return;
      select.value = mine.value;
      select.form.requestSubmit();
    },
    // Close and Reopen are both in the page; the one shown is the one that applies (the thread follows live events).
    toggleStatus: () => [...doc.querySelectorAll('.thread-actions button[name="status"]')].find((b) => !b.hidden)?.click(),
    help: openHelp,
  };

  function go(step) {
    const links = [...doc.querySelectorAll("#conversation-list li.conversation a")];
    const link = neighbourLink(links, config.conversation, step);
    if (link) win.location.assign(link.href);
  }

  doc.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && (event.target === body || event.target.id === "note-body")) { event.target.blur(); doc.getElementById("main")?.focus(); return; }
    if (dialog?.open) return; // the dialog handles its own keys (Escape closes it)
    const action = shortcutFor(event);
    if (!action) return;
    event.preventDefault();
    actions[action]();
  });

  // Shortcuts are for keyboards: their button and hints are shown where there is a pointer that hovers.
  if (!win.matchMedia("(hover: none)").matches) {
    markShortcuts(doc);
    const button = doc.getElementById("shortcuts-button");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", openHelp);
    }
  }
  if (config.conversation && usable(body) && !win.matchMedia("(hover: none)").matches) body.focus({ preventScroll: true });
}
