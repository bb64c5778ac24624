// Canned replies in the composer: typing "/" at the start of the message or after a space opens a picker (a listbox:
// arrows, Enter, Escape; the message box keeps the focus and points at the highlighted option with
// aria-activedescendant). The replies come from the API already filled in for this conversation (`rendered`: the
// server is the one place variables are read); each option shows its length in segments and encoding by the
// composer's own counter (segments.js, with the server's rules). After insertion the first [[placeholder]] is
// selected, Tab selects the next; the text cannot be sent while a placeholder inserted from a reply is still there
// (a submit listener on the document, in the capture phase, so it runs before the composer's own). A reply changed
// elsewhere (canned_reply.changed) makes the picker load the list again.
import { get } from "./http.js";
import { compileRules, segmentInfo } from "./segments.js";

// The "/query" being typed just before the caret: { start (index of the "/"), query }, or null.
export function slashQuery(text, caret) {
  const match = /(?:^|\s)\/([\w-]*)$/.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[1].length - 1, query: match[1] };
}

// Replies whose shortcut starts with the query first, then those whose shortcut or name contains it.
export function matchReplies(replies, query, limit = 8) {
  const q = query.toLowerCase();
  const starts = [];
  const contains = [];
  for (const reply of replies) {
    if (reply.shortcut.startsWith(q)) starts.push(reply);
    else if (reply.shortcut.includes(q) || reply.name.toLowerCase().includes(q)) contains.push(reply);
  }
  return [...starts, ...contains].slice(0, limit);
}

// The text with "/query" (from `start` to `caret`) replaced by `inserted`, and where the inserted text ends.
export function insertReply(text, start, caret, inserted) {
  return { text: text.slice(0, start) + inserted + text.slice(caret), end: start + inserted.length };
}

// The [[placeholders]] of `text` as { start, end }, in order.
export function placeholderRanges(text, pattern) {
  const re = new RegExp(pattern, "g");
  return Array.from(text.matchAll(re), (m) => ({ start: m.index, end: m.index + m[0].length, text: m[0] }));
}

// The placeholder to select next after the selection [from, to), wrapping around; null when none is left.
export function nextPlaceholder(text, pattern, from, to) {
  const ranges = placeholderRanges(text, pattern);
  if (!ranges.length) return null;
  const current = ranges.findIndex((r) => r.start === from && r.end === to);
  if (current >= 0) return ranges.length > 1 ? ranges[(current + 1) % ranges.length] : null;
  return ranges.find((r) => r.start >= from) || ranges[0];
}

export function sizeText(info) {
  return `${info.segments} segment${info.segments === 1 ? "" : "s"} · ${info.encoding}`;
}

export function wireCanned({ config, doc = document }) {
  const composer = doc.getElementById("composer");
  const body = doc.getElementById("body");
  const list = doc.getElementById("canned-list");
  const status = doc.getElementById("canned-status");
  const errorBox = doc.getElementById("canned-error");
  if (!composer || !body || !list || !config.urls.cannedReplies) return null;
  const rules = compileRules(config.segments);
  const pattern = config.canned.placeholder;
  body.setAttribute("aria-autocomplete", "list");
  body.setAttribute("aria-controls", "canned-list");
  const say = (text) => { if (status) status.textContent = text; };
  function showError(text) { if (errorBox) { errorBox.textContent = text; errorBox.hidden = !text; } }

  let replies = null; // loaded once, when "/" is first typed
  let loading = null;
  function load() {
    loading ||= get(config.urls.cannedReplies)
      .then((answer) => (answer.ok ? answer.json() : Promise.reject(new Error("answer"))))
      .then((data) => { replies = data.results; return replies; })
      .catch(() => { loading = null; say("Canned replies could not be loaded."); return []; });
    return loading;
  }

  // Placeholders inserted from replies and not yet filled: sending waits until none is left in the text.
  const pending = new Set();
  const unfilled = () => [...pending].filter((p) => body.value.includes(p));

  let options = [];
  let active = -1;
  let query = null;

  function closeList() {
    list.hidden = true;
    list.replaceChildren();
    options = [];
    active = -1;
    body.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = index;
    list.querySelectorAll("li[role=option]").forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) {
      body.setAttribute("aria-activedescendant", `canned-option-${index}`);
      list.children[index]?.scrollIntoView({ block: "nearest" });
    } else body.removeAttribute("aria-activedescendant");
  }

  function optionFor(reply, i) {
    const li = doc.createElement("li");
    li.id = `canned-option-${i}`;
    li.setAttribute("role", "option");
    li.dataset.index = i;
    const text = reply.rendered ?? reply.body;
    const head = doc.createElement("span");
    head.className = "canned-head";
    const shortcut = doc.createElement("strong");
    shortcut.textContent = `/${reply.shortcut}`;
    const name = doc.createElement("span");
    name.textContent = ` · ${reply.name}`;
    const whose = doc.createElement("span");
    whose.className = "canned-whose";
    whose.textContent = reply.shared ? " · Shared" : " · Mine";
    head.append(shortcut, name, whose);
    const size = doc.createElement("span");
    size.className = "canned-size";
    size.textContent = sizeText(segmentInfo(text, rules));
    const preview = doc.createElement("span");
    preview.className = "canned-preview";
    preview.textContent = text.length > 90 ? `${text.slice(0, 89)}…` : text;
    li.append(head, " ", size, preview);
    return li;
  }

  async function update() {
    query = slashQuery(body.value, body.selectionStart);
    if (!query || body.selectionStart !== body.selectionEnd) { closeList(); return; }
    const all = replies || await load();
    const now = slashQuery(body.value, body.selectionStart); // the text may have changed while loading
    if (!now || now.start !== query.start || now.query !== query.query) return;
    options = matchReplies(all, query.query);
    if (!options.length) {
      closeList();
      say(all.length ? "No canned reply matches." : "No canned replies yet.");
      return;
    }
    list.replaceChildren(...options.map(optionFor));
    list.hidden = false;
    highlight(0);
    say(`${options.length} canned repl${options.length === 1 ? "y" : "ies"}: arrow keys to choose, Enter to insert, Escape to close.`);
  }

  function select(range) {
    body.focus();
    body.setSelectionRange(range.start, range.end);
  }

  function choose(index) {
    const reply = options[index];
    if (!reply || !query) return;
    const at = query.start;
    const text = reply.rendered ?? reply.body;
    const result = insertReply(body.value, at, body.selectionStart, text);
    body.value = result.text;
    query = null;
    closeList();
    const inserted = placeholderRanges(text, pattern);
    inserted.forEach((p) => pending.add(p.text));
    body.focus();
    if (inserted.length) body.setSelectionRange(at + inserted[0].start, at + inserted[0].end);
    else body.setSelectionRange(result.end, result.end);
    body.dispatchEvent(new Event("input", { bubbles: true })); // the composer's counter and draft
    say(inserted.length
      ? `/${reply.shortcut} inserted. Type to replace ${inserted[0].text}; Tab goes to the next placeholder.`
      : `/${reply.shortcut} inserted.`);
  }

  body.addEventListener("input", () => {
    if (!unfilled().length) { pending.clear(); showError(""); }
    update();
  });
  body.addEventListener("keydown", (event) => {
    if (!list.hidden && options.length) {
      if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % options.length); return; }
      if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + options.length) % options.length); return; }
      if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) { event.preventDefault(); choose(active); return; }
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); closeList(); say("Canned replies closed."); return; }
    }
    // Tab moves from one unfilled placeholder to the next; with none other left (or Shift), it leaves the box.
    if (event.key === "Tab" && !event.shiftKey && unfilled().length) {
      const next = nextPlaceholder(body.value, pattern, body.selectionStart, body.selectionEnd);
      if (next && pending.has(next.text)) { event.preventDefault(); select(next); }
    }
  });
  body.addEventListener("blur", () => setTimeout(() => { if (doc.activeElement !== body) closeList(); }, 150));
  list.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus in the message box
  list.addEventListener("click", (event) => {
    const li = event.target.closest("li[role=option]");
    if (li) choose(Number(li.dataset.index));
  });

  // No text with an unfilled placeholder leaves: runs before the composer's own submit listener.
  doc.addEventListener("submit", (event) => {
    if (event.target !== composer) return;
    const left = unfilled();
    if (!left.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    showError(`Fill in ${left.join(", ")} before sending.`);
    const first = placeholderRanges(body.value, pattern).find((r) => pending.has(r.text));
    if (first) select(first);
  }, true);

  // canned_reply.changed (no text in it): the list is loaded again when "/" is next typed, or now if it is open.
  function forget(p) {
    if (p.organizationId !== config.organization) return;
    replies = null;
    loading = null;
    if (!list.hidden) update();
  }

  return { unfilled, forget };
}
