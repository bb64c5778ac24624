// The composer: live characters / segments / encoding, Ctrl/Cmd+Enter, the pending bubble, errors, the draft
// kept per conversation (localStorage) until it is sent, and enabled or disabled as the contact opts in or out.
// It posts to the API with an idempotency key kept until a send succeeds, so a retried request never texts twice.
import { post } from "./http.js";
import { compileRules, segmentInfo } from "./segments.js";

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

  // Send `text` with `idempotencyKey`; resolve true once the server stored it.
  async function send(text, media, idempotencyKey) {
    showError("");
    const pending = thread.addPending(text, idempotencyKey);
    try {
      const answer = await post(config.urls.send, { json: { message: text, mediaUrls: media, idempotencyKey } });
      const data = await answer.json();
      if (!answer.ok) throw new Error(data.error || "The message could not be sent.");
      pending.stored(data.messageId);
      return true;
    } catch (error) {
      pending.remove();
      showError(error.message);
      return false;
    }
  }

  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (body.disabled) return;
    const text = body.value;
    const media = mediaUrls(mediaField?.value || "");
    if (!text.trim() && !media.length) { showError("Write a message or attach media."); return; }
    const keyField = doc.getElementById("idempotency-key");
    body.value = "";
    updateCounter();
    if (await send(text, media, keyField.value)) { // the key is kept until the send succeeds
      keyField.value = newIdempotencyKey();
      if (!body.value) store.save(key, ""); // sent: the draft is gone (unless a new one was started)
    } else if (!body.value) {
      body.value = text;
      updateCounter();
    }
  });

  // The contact opted out (reason: why, from the conversation's row) or back in ("").
  function setOptOut(reason) {
    const blocked = Boolean(reason);
    if (reasonBox) { reasonBox.textContent = reason || ""; reasonBox.hidden = !blocked; }
    for (const field of [body, mediaField, sendButton]) if (field) field.disabled = blocked;
    body.setAttribute("aria-describedby", blocked ? "counter composer-disabled" : "counter");
  }

  return {
    setOptOut,
    retry: (text) => send(text, [], newIdempotencyKey()), // a new send of a failed message's text
  };
}
