// The composer: live characters / segments / encoding, Ctrl/Cmd+Enter, the pending bubble, errors, the draft
// kept per conversation (localStorage) until it is sent, and enabled or disabled as the contact opts in or out.
// It posts to the API with an idempotency key kept until a send succeeds, so a retried request never texts twice.
// The send guard: a send names the newest message on screen when its draft began (lastSeenMessageId); when the
// server refuses it (409 conversation_changed / assigned_to_other) the guard notice (wireGuard) says what changed
// and offers "Send anyway" (confirm) or "Take over" (takeOver), or "Edit"; the typed text stays.
import { wireAttachments } from "./attachments.js";
import { post } from "./http.js";
import { compileRules, segmentInfo } from "./segments.js";
import { formatters, relativeText } from "./times.js";

export function counterText(info, max) {
  return `${info.length} / ${max} · ${info.segments} segment${info.segments === 1 ? "" : "s"} · ${info.encoding}`;
}

export function mediaUrls(text) {
  return text.split(/\s+/).filter(Boolean);
}

export function newIdempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
}

// Where a conversation's unsent draft is kept in this browser.
export function draftKey(organization, conversation) {
  return `smsinbox:draft:${organization}:${conversation}`;
}

// localStorage, or nothing when the browser refuses it (private modes, full quota).
export function draftStore(storage = globalThis.localStorage) {
  return {
    load(key) { try { return storage?.getItem(key) || ""; } catch { return ""; } },
    save(key, text) {
      try { if (text) storage?.setItem(key, text); else storage?.removeItem(key); } catch { /* not kept */ }
    },
  };
}

export function wireComposer({ config, thread, doc = document, store = draftStore() }) {
  const composer = doc.getElementById("composer");
  const body = doc.getElementById("body");
  const counter = doc.getElementById("counter");
  const errorBox = doc.getElementById("composer-error");
  const reasonBox = doc.getElementById("composer-disabled");
  const mediaField = doc.getElementById("media-urls");
  const sendButton = doc.getElementById("send");
  if (!composer || !body) return null;
  const rules = compileRules(config.segments);
  const max = config.limits.body;
  const key = draftKey(config.organization, config.conversation);
  const attachments = wireAttachments({ config, doc, dropTarget: composer, onChange: () => showError("") });

  function updateCounter() {
    const info = segmentInfo(body.value, rules);
    counter.textContent = counterText(info, max);
    counter.classList.toggle("over", info.length > max);
  }
  function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }
  const saveDraft = () => store.save(key, body.value);

  body.addEventListener("input", () => { updateCounter(); saveDraft(); });
  body.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); composer.requestSubmit(); }
  });
  if (!body.value) body.value = store.load(key);
  updateCounter();

  // The send guard's view of the thread: the newest message on screen when the current draft began (its
  // first character typed into an empty composer, or the page opened with a kept draft). Messages that arrive
  // while the draft is written count as unseen; the sender's own sends and "Edit" count as seen.
  let seen = thread.newestId();
  let drafting = Boolean(body.value);
  body.addEventListener("input", () => {
    if (!drafting && body.value) seen = thread.newestId();
    drafting = Boolean(body.value);
  });
  const guard = wireGuard({
    config, thread, doc,
    onConfirm: (flags) => { body.focus(); submit(flags); },
    onEdit: () => { seen = thread.newestId(); body.focus(); },
  });

  // The composer's "From": sent only once staff chose a number, so a thread that followed the customer to
  // another number (sticky sender) is not moved back by a select showing the number the page opened with.
  const fromSelect = doc.getElementById("from-number");
  let fromChosen = false;
  fromSelect?.addEventListener("change", () => { fromChosen = true; });
  doc.addEventListener("smsinbox:sender-changed", ({ detail }) => {
    if (fromSelect && !fromChosen && detail.numberId) fromSelect.value = String(detail.numberId);
  });
  const fromNumber = () => (fromSelect && fromChosen && !fromSelect.disabled ? { fromNumberId: Number(fromSelect.value) } : {});
  // The thread header names the number the conversation now texts from.
  function showSender() {
    const shown = doc.getElementById("thread-from-number");
    if (shown && fromSelect) shown.textContent = fromSelect.selectedOptions[0]?.textContent || shown.textContent;
  }

  // Send `text` with `idempotencyKey` (and the guard's `flags`); resolve true once the server stored it.
  async function send(text, media, idempotencyKey, flags = {}, attachmentIds = []) {
    showError("");
    const pending = thread.addPending(text, idempotencyKey);
    try {
      const from = fromNumber(); // the composer's "From" (several numbers): the conversation continues from it
      const answer = await post(config.urls.send, { json: { message: text, mediaUrls: media, attachmentIds, idempotencyKey, ...from, ...flags } });
      const data = await answer.json();
      if (!answer.ok) {
        pending.remove();
        if (guard.show(data, flags)) return false; // refused by the guard: its notice says why
        throw new Error(data.error || "The message could not be sent.");
      }
      pending.stored(data.messageId);
      if (from.fromNumberId) showSender();
      seen = Math.max(seen, data.messageId); // one's own send is seen
      return true;
    } catch (error) {
      pending.remove();
      showError(error.message);
      return false;
    }
  }

  // Send the composer's text, guarded by what was seen (`flags` add confirm / takeOver from the notice).
  async function submit(flags = { lastSeenMessageId: seen }) {
    const text = body.value;
    const media = mediaUrls(mediaField?.value || "");
    const attachmentIds = attachments?.ids() || [];
    const problem = attachments?.problem() || "";
    if (problem) { showError(problem); return; }
    if (!text.trim() && !media.length && !attachmentIds.length) { showError("Write a message or attach media."); return; }
    const keyField = doc.getElementById("idempotency-key");
    guard.hide();
    body.value = "";
    updateCounter();
    if (await send(text, media, keyField.value, flags, attachmentIds)) { // the key is kept until the send succeeds
      keyField.value = newIdempotencyKey();
      attachments?.clear();
      if (!body.value) { store.save(key, ""); drafting = false; } // sent: the draft is gone (unless a new one began)
    } else if (!body.value) {
      body.value = text;
      updateCounter();
    }
  }

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!body.disabled) submit();
  });

  // The contact opted out (reason: why, from the conversation's row) or back in ("").
  function setOptOut(reason) {
    const blocked = Boolean(reason);
    if (reasonBox) { reasonBox.textContent = reason || ""; reasonBox.hidden = !blocked; }
    for (const field of [body, mediaField, sendButton, fromSelect]) if (field) field.disabled = blocked;
    attachments?.setDisabled(blocked);
    body.setAttribute("aria-describedby", blocked ? "counter composer-disabled" : "counter");
  }

  // "Send later" (static/js/schedule.js): the composer's text, stored now as scheduled for `sendAt` (ISO, offset).
  function sendLater(sendAt) {
    if (body.disabled) return;
    submit({ lastSeenMessageId: seen, sendAt });
  }

  return {
    setOptOut, sendLater,
  };
}

// Why the contact may not be texted, with its time in the viewer's zone: a live row was written in the server's.
export function optOutText(row, format) {
  const parts = row.optOutReasonParts;
  if (!parts) return row.optOutReason || "";
  return `${parts.before}${format.withYear.format(new Date(parts.at))}${parts.after}`;
}

// --- the send guard's notice ------------------------------------------------------------------------------

// When a newer message was written, for the notice: "just now", "20 seconds ago" within a minute, then as the
// list says it ("5 minutes ago", a date a week on), in the viewer's zone.
export function guardTime(date, now, format) {
  const ago = Math.round((now - date) / 1000);
  if (ago < 5) return "just now"; // a clock a little ahead of the server's says "just now" too
  if (ago < 60) return format.relative.format(-ago, "second");
  return relativeText(date, now, format);
}

export const GUARD_QUOTE_CHARS = 140;

// Who wrote a newer message and how: "Carol Ng replied", "Maria Lopez texted", "You replied in another tab".
export function guardLine(m, { contactName, senderNames, user }) {
  const text = m.body || (m.numMedia ? "[Media]" : "");
  const said = text.length > GUARD_QUOTE_CHARS ? `${text.slice(0, GUARD_QUOTE_CHARS - 1)}…` : text;
  if (m.direction === "in") return { who: contactName, verb: "texted", said };
  if (m.sentById === user) return { who: "You", verb: "replied in another tab", said };
  if (m.sentById) return { who: senderNames[String(m.sentById)] || "A colleague", verb: "replied", said };
  return { who: "An automated message", verb: "was sent", said };
}

// The notice shown when the server refuses a send for the guard (`refusals` of the config): it lists what
// changed (and shows it in the thread), announces it, and offers the send again with `confirm` (or `takeOver`),
// or "Edit" (dismiss). Escape dismisses it too. Returns { show(data, flags) → handled?, hide() }.
export function wireGuard({ config, thread, doc = document, onConfirm, onEdit, now = () => Date.now() }) {
  const box = doc.getElementById("send-guard");
  const title = doc.getElementById("send-guard-title");
  const list = doc.getElementById("send-guard-list");
  const sendButton = doc.getElementById("send-guard-send");
  const editButton = doc.getElementById("send-guard-edit");
  const said = doc.getElementById("send-guard-said");
  const codes = config.refusals || {};
  const format = formatters(config.timeZone);
  let flags = null; // the refused send's flags, plus what the primary button adds

  function hide() {
    if (!box || box.hidden) return;
    box.hidden = true;
    flags = null;
  }

  function listNewer(data) {
    const names = data.senderNames || {};
    const who = { contactName: doc.getElementById("thread-title")?.textContent.trim() || "The contact", senderNames: names, user: config.user };
    const sentences = [];
    list.replaceChildren();
    for (const m of data.newer || []) {
      thread.add({ ...m, sentByName: m.sentById ? names[String(m.sentById)] || "" : "", idempotencyKey: null, retryable: false });
      const line = guardLine(m, who);
      const when = doc.createElement("time");
      const date = new Date(m.createdAt);
      when.dateTime = m.createdAt;
      when.title = format.absolute.format(date);
      when.textContent = guardTime(date, now(), format);
      const item = doc.createElement("li");
      const name = doc.createElement("strong");
      name.textContent = line.who;
      const quote = doc.createElement("span");
      quote.className = "said";
      quote.textContent = line.said ? `: “${line.said}”` : "";
      item.append(name, ` ${line.verb} `, when, quote);
      list.append(item);
      sentences.push(`${line.who} ${line.verb} ${when.textContent}${line.said ? `: ${line.said}` : ""}.`);
    }
    const more = (data.newerCount || 0) - (data.newer || []).length;
    if (more > 0) {
      const item = doc.createElement("li");
      item.textContent = `…and ${more} earlier message${more === 1 ? "" : "s"}.`;
      list.append(item);
    }
    return sentences;
  }

  // Show the notice for a refusal; return whether `data` was one (else the caller shows the error).
  function show(data, refusedFlags) {
    if (!box || (data.code !== codes.conversationChanged && data.code !== codes.assignedToOther)) return false;
    let sentences;
    const later = Boolean(refusedFlags?.sendAt); // a "Send later" refused: the button schedules it, at its time
    const verb = later ? "schedule" : "send";
    if (data.code === codes.conversationChanged) {
      title.textContent = `Not ${later ? "scheduled" : "sent"}: the conversation changed while you were writing.`;
      sentences = listNewer(data);
      sendButton.textContent = later ? "Schedule anyway" : "Send anyway";
      flags = { ...refusedFlags, confirm: true };
    } else {
      title.textContent = `Not ${later ? "scheduled" : "sent"}: ${data.error}`;
      list.replaceChildren();
      sentences = [];
      sendButton.textContent = `Take over and ${verb}`;
      flags = { ...refusedFlags, takeOver: true };
    }
    box.hidden = false;
    if (said) said.textContent = [title.textContent, ...sentences, `Choose ${sendButton.textContent} or Edit.`].join(" ");
    box.focus();
    return true;
  }

  sendButton?.addEventListener("click", () => { if (flags) onConfirm(flags); });
  editButton?.addEventListener("click", () => { hide(); onEdit(); });
  box?.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { event.preventDefault(); hide(); onEdit(); }
  });
  return { show, hide };
}
