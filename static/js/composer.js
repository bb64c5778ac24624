// The composer: live characters / segments / encoding, Ctrl/Cmd+Enter, the pending bubble, errors. It posts to
// the API with an idempotency key kept until a send succeeds, so a retried request never texts twice.
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

export function wireComposer({ config, thread, doc = document }) {
  const composer = doc.getElementById("composer");
  const body = doc.getElementById("body");
  const counter = doc.getElementById("counter");
  const errorBox = doc.getElementById("composer-error");
  if (!composer || !body || body.disabled) return;
  const rules = compileRules(config.segments);
  const max = config.limits.body;

  function updateCounter() {
    const info = segmentInfo(body.value, rules);
    counter.textContent = counterText(info, max);
    counter.classList.toggle("over", info.length > max);
  }
  function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }

  body.addEventListener("input", updateCounter);
  body.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); composer.requestSubmit(); }
  });
  updateCounter();
  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = body.value;
    const media = mediaUrls(doc.getElementById("media-urls")?.value || "");
    if (!text.trim() && !media.length) { showError("Write a message or attach media."); return; }
    showError("");
    const keyField = doc.getElementById("idempotency-key");
    const key = keyField.value; // kept until the send succeeds: a retried request never texts twice
    const pending = thread.addPending(text, key);
    body.value = "";
    updateCounter();
    try {
      const answer = await post(config.urls.send, { json: { message: text, mediaUrls: media, idempotencyKey: key } });
      const data = await answer.json();
      if (!answer.ok) throw new Error(data.error || "The message could not be sent.");
      pending.stored(data.messageId);
      keyField.value = newIdempotencyKey();
    } catch (error) {
      pending.remove();
      body.value = text;
      updateCounter();
      showError(error.message);
    }
  });
}
