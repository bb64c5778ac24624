// Private notes and @mentions: the composer's "Note" mode (its own form, posted to the notes API: a note is never
// a text), the @-autocomplete from the organization's members (config.members: the same people the server links),
// notes heard live (note.created) shown in the thread, distinct from texts, and a toast and a badge on the
// "Mentions" filter when a colleague mentions me (mention.created, heard on my own group).
import { post } from "./http.js";
import { cloneTemplate, setLines } from "./templates.js";
import { showToast } from "./toast.js";

// The "@word" being typed just before the caret: { start (index of the "@"), query }, or null.
// A mention starts the text or follows a character that cannot be part of a username (as the server reads it).
export function mentionQuery(text, caret) {
  const match = /(?:^|[^\w@.+-])@([\w.@+-]*)$/.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[1].length - 1, query: match[1] };
}

// Members whose username or name starts with (then contains) the query, case-insensitively; at most `limit`.
export function matchMembers(members, query, limit = 8) {
  const q = query.toLowerCase();
  const starts = [];
  const contains = [];
  for (const member of members) {
    const fields = [member.username.toLowerCase(), member.name.toLowerCase()];
    if (fields.some((field) => field.startsWith(q) || field.split(/\s+/).some((word) => word.startsWith(q)))) starts.push(member);
    else if (fields.some((field) => field.includes(q))) contains.push(member);
  }
  return [...starts, ...contains].slice(0, limit);
}

// The text with "@query" (from `start` to `caret`) replaced by "@username ", and where the caret goes after it.
export function insertMention(text, start, caret, username) {
  const inserted = `@${username} `;
  const rest = text.slice(caret).replace(/^ /, "");
  return { text: text.slice(0, start) + inserted + rest, caret: start + inserted.length };
}

// The text of a mention's toast (built as text, never HTML).
export function mentionText(p) {
  const who = p.authorName || "A colleague";
  return `${who} mentioned you in a note on ${p.contactName}: “${p.excerpt}”`;
}

export function wireNotes({ config, thread, format, doc = document }) {
  const messages = doc.getElementById("messages");
  const form = doc.getElementById("note-composer");
  const field = doc.getElementById("note-body");
  const errorBox = doc.getElementById("note-error");
  const list = doc.getElementById("mention-list");
  const status = doc.getElementById("mention-status");
  const members = config.members || [];

  // --- showing notes ---------------------------------------------------------------------------------------
  function noteFor(n) {
    const node = cloneTemplate("note-template", { body: "", authorName: n.authorName || "Former member", username: "" }, doc);
    node.id = `note-${n.id}`;
    node.dataset.noteId = n.id;
    node.dataset.created = n.createdAt;
    setLines(node.querySelector(".body"), n.body);
    const time = node.querySelector(".meta time");
    time.setAttribute("datetime", n.createdAt);
    time.textContent = format.absolute.format(new Date(n.createdAt));
    const mentions = node.querySelector(".mentions");
    const sample = mentions.querySelector(".mention");
    mentions.querySelectorAll(".mention").forEach((m) => m.remove());
    mentions.replaceChildren("Mentions");
    for (const m of n.mentions || []) {
      const span = sample.cloneNode(false);
      span.textContent = `@${m.username}`;
      mentions.append(" ", span);
    }
    if (!(n.mentions || []).length) mentions.remove();
    return node;
  }

  // A note heard (live, resync, or the answer to my own): shown once, in the open thread only.
  function add(n) {
    if (!messages || n.organizationId !== config.organization || n.conversationId !== config.conversation) return null;
    const existing = messages.querySelector(`li.note[data-note-id="${n.id}"]`);
    if (existing) return existing;
    const node = noteFor(n);
    thread.appendItem(node);
    return node;
  }

  // --- the mode switch and the note form ------------------------------------------------------------------
  const textMode = doc.getElementById("mode-text");
  const noteMode = doc.getElementById("mode-note");
  function showError(text) { if (errorBox) { errorBox.textContent = text; errorBox.hidden = !text; } }

  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = field.value;
    if (!body.trim()) { showError("Write something in the note: it cannot be empty."); field.focus(); return; }
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    showError("");
    try {
      const answer = await post(config.urls.notes, { json: { body } });
      const data = await answer.json().catch(() => ({}));
      if (!answer.ok) throw new Error(data.error || "The note could not be saved.");
      if (field.value === body) field.value = "";
      add(data);
      showCount();
    } catch (error) {
      showError(error.message);
    } finally {
      delete form.dataset.busy;
    }
  });

  // --- @-autocomplete ----------------------------------------------------------------------------------------
  let options = [];
  let active = -1;
  let query = null;

  function closeList() {
    if (!list) return;
    list.hidden = true;
    list.replaceChildren();
    options = [];
    active = -1;
    field?.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = index;
    list.querySelectorAll("li").forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) {
      field.setAttribute("aria-activedescendant", `mention-option-${index}`);
      list.children[index]?.scrollIntoView({ block: "nearest" });
    } else field.removeAttribute("aria-activedescendant");
  }

  function choose(index) {
    const member = options[index];
    if (!member || !query) return;
    const result = insertMention(field.value, query.start, field.selectionStart, member.username);
    field.value = result.text;
    field.setSelectionRange(result.caret, result.caret);
    closeList();
    if (status) status.textContent = `@${member.username} added.`;
    field.focus();
  }

  function update() {
    query = mentionQuery(field.value, field.selectionStart);
    if (!query) { closeList(); return; }
    options = matchMembers(members, query.query);
    if (!options.length) { closeList(); if (status) status.textContent = "No colleague by that name."; return; }
    list.replaceChildren(...options.map((member, i) => {
      const li = doc.createElement("li");
      li.id = `mention-option-${i}`;
      li.setAttribute("role", "option");
      li.dataset.index = i;
      li.textContent = member.name && member.name !== member.username ? `@${member.username} · ${member.name}` : `@${member.username}`;
      return li;
    }));
    list.hidden = false;
    highlight(0);
    if (status) status.textContent = `${options.length} colleague${options.length === 1 ? "" : "s"}: arrow keys to choose, Enter to mention.`;
  }

  // "12 / 2000 characters": the note's limit, from the server.
  const counter = doc.getElementById("note-counter");
  function showCount() {
    if (counter && field) counter.textContent = `${field.value.length} / ${config.limits.note} · private note`;
  }
  field?.addEventListener("input", () => { update(); showCount(); });
  showCount();
  field?.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); closeList(); form.requestSubmit(); return; }
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % options.length); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + options.length) % options.length); }
    else if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); choose(active); }
    else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); closeList(); }
  });
  field?.addEventListener("blur", () => setTimeout(() => { if (doc.activeElement !== field) closeList(); }, 150));
  list?.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the note
  list?.addEventListener("click", (event) => {
    const li = event.target.closest("li[role=option]");
    if (li) choose(Number(li.dataset.index));
  });

  // Switching modes keeps each draft. Chosen with the pointer, the mode's field takes the focus; with the keys
  // (arrows on the switch), the focus stays on the switch and Tab goes on into the field.
  const modes = doc.getElementById("composer-mode");
  let byPointer = false;
  modes?.addEventListener("pointerdown", () => { byPointer = true; });
  modes?.addEventListener("keydown", () => { byPointer = false; });
  for (const radio of [textMode, noteMode]) {
    radio?.addEventListener("change", () => {
      if (!byPointer) return;
      byPointer = false;
      const target = radio === noteMode ? field : doc.getElementById("body");
      if (target && !target.disabled) target.focus();
    });
  }

  // --- mentions of me ------------------------------------------------------------------------------------------
  let toasts = null;
  let unseen = 0;
  function toastBox() {
    if (!toasts) {
      toasts = doc.createElement("div");
      toasts.id = "mention-toasts";
      toasts.setAttribute("aria-live", "polite");
      doc.body.append(toasts);
    }
    return toasts;
  }
  toastBox(); // present before anything is said in it, so it is announced

  function mentioned(p) {
    if (p.organizationId !== config.organization) return;
    unseen += 1;
    const tab = doc.querySelector('nav.filters a[href*="filter=mentions"]');
    if (tab) {
      let badge = tab.querySelector(".mention-badge");
      if (!badge) {
        badge = doc.createElement("span");
        badge.className = "unread-badge mention-badge";
        tab.append(" ", badge);
      }
      badge.textContent = String(unseen);
      badge.setAttribute("aria-label", `${unseen} new`);
    }
    showToast({
      box: toastBox(), doc, data: { noteId: p.noteId }, text: mentionText(p), href: p.url, linkText: "Open the note",
    });
  }

  return { add, mentioned };
}
