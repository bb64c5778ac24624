// The open thread: bubbles appended as they are heard (the pending one replaced by the stored one), statuses
// that only move forward, "load older", and marking the thread read.
import { statusTables } from "./config.js";
import { get, post } from "./http.js";
import { cloneTemplate, setLines } from "./templates.js";

// Events from several processes may arrive out of order: a status is shown only if it ranks above the one
// shown (the ranks of messaging/statuses.py, from the config).
export function isAdvance(current, next, rank) {
  return !current || (rank[next] ?? -1) > (rank[current] ?? -1);
}

export function attachmentLabel(index, contentType) {
  return `Attachment ${index + 1}${contentType ? ` (${contentType})` : ""}`;
}

export function createThread({ config, messages, format, doc = document }) {
  const { rank, label } = statusTables(config.statuses);
  const statusValues = (m) => ({ ...m, statusLabel: label[m.status] || m.status });

  function bubbleFor(m) {
    const bubble = cloneTemplate("message-template", statusValues(m), doc);
    bubble.className = `message ${m.direction}`;
    bubble.dataset.id = m.id;
    bubble.dataset.created = m.createdAt;
    const body = bubble.querySelector(".body");
    if (m.body) setLines(body, m.body); else body.remove();
    const mediaLink = bubble.querySelector("a.media");
    mediaLink.remove();
    (m.media || []).forEach((media, i) => {
      const link = mediaLink.cloneNode(true);
      const image = link.querySelector("img");
      link.href = media.url;
      image.src = media.url;
      image.alt = attachmentLabel(i, media.contentType);
      bubble.querySelector(".bubble").append(link);
    });
    const time = bubble.querySelector(".meta time");
    time.setAttribute("datetime", m.createdAt);
    time.textContent = format.absolute.format(new Date(m.createdAt));
    if (m.direction !== "out") bubble.querySelectorAll(".meta .sender, .meta .status, .meta .error").forEach((n) => n.remove());
    else {
      if (!m.sentByName) bubble.querySelector(".meta .sender").remove();
      if (!m.errorCode) bubble.querySelector(".meta .error").remove();
    }
    return bubble;
  }

  // The status (and error) nodes of a message, from the same template.
  function statusNodes(m) {
    const meta = cloneTemplate("message-template", statusValues(m), doc).querySelector(".meta");
    if (!m.errorCode) meta.querySelector(".error").remove();
    return meta.querySelectorAll(".status, .error");
  }

  function scrollToEnd() {
    const scroller = doc.getElementById("thread-scroll");
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  }

  function markRead() {
    if (!config.urls.markRead) return;
    post(config.urls.markRead, { headers: { Accept: "application/json" } }).catch(() => {});
  }

  function add(m) {
    if (!messages || m.conversationId !== config.conversation) return;
    const existing = messages.querySelector(`li.message[data-id="${m.id}"]`);
    if (existing) { existing.replaceWith(bubbleFor(m)); return; }
    messages.querySelector(`li.message.pending[data-message-id="${m.id}"]`)?.remove();
    if (m.idempotencyKey) messages.querySelector(`li.message.pending[data-key="${CSS.escape(m.idempotencyKey)}"]`)?.remove();
    doc.getElementById("no-messages")?.remove();
    messages.append(bubbleFor(m));
    scrollToEnd();
    if (m.direction === "in" && doc.visibilityState === "visible") markRead();
  }

  function updateStatus(m) {
    const meta = messages?.querySelector(`li.message[data-id="${m.id}"] .meta`);
    if (!meta) return;
    if (!isAdvance(meta.querySelector(".status")?.dataset.status, m.status, rank)) return;
    meta.querySelectorAll(".status, .error").forEach((n) => n.remove());
    meta.append(...statusNodes(m));
  }

  // Shown at once while the send request runs; replaced by the stored message when it is heard
  // (by its idempotency key, or the id the send answered).
  function addPending(text, key) {
    const pending = bubbleFor({ id: `pending-${key}`, direction: "out", body: text, status: "pending", createdAt: new Date().toISOString(), media: [] });
    pending.classList.add("pending");
    pending.dataset.key = key;
    doc.getElementById("no-messages")?.remove();
    messages.append(pending);
    scrollToEnd();
    return {
      remove: () => pending.remove(),
      stored(messageId) {
        if (messages.querySelector(`li.message[data-id="${messageId}"]`)) pending.remove();
        else pending.dataset.messageId = messageId;
      },
    };
  }

  function wireOlder(button) {
    button?.addEventListener("click", async () => {
      button.disabled = true;
      const answer = await get(`${config.urls.older}?before=${encodeURIComponent(button.dataset.before)}`);
      const template = doc.createElement("template");
      template.innerHTML = await answer.text(); // server-rendered, autoescaped by Django templates
      const marker = template.content.querySelector(".older-marker");
      marker?.remove();
      messages.prepend(template.content);
      if (marker) { button.dataset.before = marker.dataset.before; button.disabled = false; } else button.remove();
    });
  }

  return { add, updateStatus, addPending, scrollToEnd, wireOlder };
}
