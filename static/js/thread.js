// The open thread: bubbles appended as they are heard (the pending one replaced by the stored one), statuses
// that only move forward, failed bubbles with "Retry", "load older" keeping the reader's place, the view kept
// at the newest message unless the reader scrolled up, marking the thread read, and the header (name, opt-out,
// status, snooze, assignee) following the conversation's row as it is heard, with close/reopen/snooze/assign/mark
// unread in place.
import { statusTables } from "./config.js";
import { get, post, postForm } from "./http.js";
import { cloneTemplate, setLines } from "./templates.js";
import { snoozeText } from "./times.js";

// Events from several processes may arrive out of order: a status is shown only if it ranks above the one
// shown (the ranks of messaging/statuses.py, from the config).
export function isAdvance(current, next, rank) {
  return !current || (rank[next] ?? -1) > (rank[current] ?? -1);
}

export function attachmentLabel(index, contentType) {
  return `Attachment ${index + 1}${contentType ? ` (${contentType})` : ""}`;
}

// Within this many pixels of the end, the reader is "at the newest message" and the view follows it.
export const PINNED_SLACK_PX = 48;

export function isNearEnd({ scrollHeight, scrollTop, clientHeight }, slack = PINNED_SLACK_PX) {
  return scrollHeight - scrollTop - clientHeight <= slack;
}

// The text of a rendered body (<br> as line breaks), as it was sent.
export function bodyText(node) {
  if (!node) return "";
  return Array.from(node.childNodes).map((n) => (n.nodeName === "BR" ? "\n" : n.textContent)).join("");
}

// Ours, waiting for its time: it may be edited or canceled.
export function isWaiting(m) {
  return m.status === "scheduled" && Boolean(m.sendAt) && m.direction === "out";
}

export function createThread({ config, messages, format, doc = document }) {
  const { rank, label } = statusTables(config.statuses);
  const failedStatuses = new Set(config.statuses.filter((s) => s.failed).map((s) => s.value));
  const statusValues = (m) => ({ ...m, statusLabel: label[m.status] || m.status });
  const scroller = doc.getElementById("thread-scroll");
  const header = doc.getElementById("thread-header");

  // What scrolls the thread: its own pane on a wide screen, the whole page on a phone (one column).
  function scrollBox() {
    if (scroller && scroller.scrollHeight > scroller.clientHeight + 1) return scroller;
    return doc.scrollingElement || doc.documentElement;
  }
  let pinned = true; // the reader is at the newest message: keep them there as bubbles and images arrive

  function scrollToEnd() {
    const box = scrollBox();
    box.scrollTop = box.scrollHeight;
    pinned = true;
  }
  function notePosition() { pinned = isNearEnd(scrollBox()); }

  function showRetry(node, m) {
    const form = node.querySelector("[data-retry-form]");
    if (!form) return;
    if (m.retryable) form.elements.message_ids.value = m.id; else form.remove();
  }

  function bubbleFor(m) {
    const bubble = cloneTemplate("message-template", statusValues(m), doc);
    bubble.className = `message ${m.direction}`;
    bubble.classList.toggle("failed", m.direction === "out" && failedStatuses.has(m.status));
    bubble.dataset.id = m.id;
    bubble.dataset.created = m.createdAt;
    const body = bubble.querySelector(".body");
    if (m.body) setLines(body, m.body); else body.remove();
    // One element per kind of media in the template (templates/inbox/_message.html); the server says which
    // kind each media item is (messaging.models.media_kind).
    const kinds = {};
    bubble.querySelectorAll("[data-media-kind]").forEach((node) => { kinds[node.dataset.mediaKind] = node; node.remove(); });
    (m.media || []).forEach((media, i) => {
      const node = (kinds[media.kind] || kinds.file).cloneNode(true);
      const label = attachmentLabel(i, media.contentType);
      if (node.matches("a")) node.href = media.url;
      const image = node.querySelector("img");
      if (image) { image.src = media.url; image.alt = label; }
      const player = node.querySelector("audio");
      if (player) { player.src = media.url; player.setAttribute("aria-label", label); }
      const words = node.querySelector(".file-label");
      if (words) words.textContent = `Attachment ${i + 1}: ${media.description}`;
      const type = node.querySelector(".file-type");
      if (type) type.textContent = media.contentType;
      bubble.querySelector(".bubble").append(node);
    });
    const time = bubble.querySelector(".meta time");
    time.setAttribute("datetime", m.createdAt);
    time.textContent = format.absolute.format(new Date(m.createdAt));
    if (m.direction !== "out") bubble.querySelectorAll(".meta .sender, .meta .automatic, .meta .status, .meta .error, .meta .retry-form").forEach((n) => n.remove());
    else {
      if (!m.sentByName) bubble.querySelector(".meta .sender").remove();
      if (!m.automatic) bubble.querySelector(".meta .automatic").remove();
      if (!m.errorCode) bubble.querySelector(".meta .error").remove();
      showRetry(bubble, m);
    }
    showSchedule(bubble, m);
    return bubble;
  }

  // A message waiting for its time (ours: scheduled with a sendAt, no SID): "Scheduled for <time>" in the
  // viewer's zone, with Edit and Cancel (static/js/schedule.js); a message not sent says why.
  function showSchedule(bubble, m) {
    const waiting = isWaiting(m);
    bubble.classList.toggle("scheduled", waiting);
    const time = bubble.querySelector(".meta .send-at");
    if (waiting && time) {
      time.setAttribute("datetime", m.sendAt);
      time.textContent = format.withWeekday.format(new Date(m.sendAt));
    } else bubble.querySelectorAll(".meta .scheduled-for, .meta .schedule-actions").forEach((n) => n.remove());
    // Held for the contact's quiet hours (messaging/hours/quiet.py): until when, in the viewer's zone.
    let held = bubble.querySelector(".meta .quiet-held");
    if (waiting && m.quietHoursHeldFrom) {
      if (!held) {
        held = doc.createElement("span");
        held.className = "quiet-held";
        held.setAttribute("role", "note");
        bubble.querySelector(".meta")?.append(held);
      }
      held.textContent = `Held for quiet hours until ${format.withWeekday.format(new Date(m.sendAt))} (the contact's local hours)`;
    } else held?.remove();
    if (!(m.status === "canceled" && m.errorMessage && !m.errorCode)) bubble.querySelector(".meta .not-sent")?.remove();
  }

  // A message heard again whole (message.updated: a scheduled one edited, canceled or handed to the sender).
  function replace(m) {
    const existing = messages?.querySelector(`li.message[data-id="${m.id}"]`);
    if (existing && m.conversationId === config.conversation) existing.replaceWith(bubbleFor(m));
  }

  // The status, error and retry nodes of a message, from the same template.
  function statusNodes(m) {
    const meta = cloneTemplate("message-template", statusValues(m), doc).querySelector(".meta");
    if (!m.errorCode) meta.querySelector(".error").remove();
    showRetry(meta, m);
    return meta.querySelectorAll(".status, .error, .retry-form");
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
    const follow = pinned;
    messages.append(bubbleFor(m));
    if (follow) scrollToEnd();
    if (m.direction === "in" && doc.visibilityState === "visible") markRead();
  }

  function updateStatus(m) {
    const item = messages?.querySelector(`li.message[data-id="${m.id}"]`);
    const meta = item?.querySelector(".meta");
    if (!meta) return;
    if (!isAdvance(meta.querySelector(".status")?.dataset.status, m.status, rank)) return;
    meta.querySelectorAll(".status, .error, .retry-form").forEach((n) => n.remove());
    meta.append(...statusNodes(m));
    item.classList.toggle("failed", failedStatuses.has(m.status));
    if (m.status !== "scheduled") { // it left its wait (heard before, or without, its message.updated)
      item.classList.remove("scheduled");
      item.querySelectorAll(".meta .scheduled-for, .meta .schedule-actions, .schedule-edit").forEach((n) => n.remove());
    }
  }

  // Another kind of thread item heard (a private note: notes.js), at the end, the view following as for a bubble.
  function appendItem(node) {
    if (!messages) return;
    doc.getElementById("no-messages")?.remove();
    const follow = pinned;
    messages.append(node);
    if (follow) scrollToEnd();
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

  // The newest message id on screen (a pending bubble counts once its send answered its id); 0 for none.
  function newestId() {
    let newest = 0;
    messages?.querySelectorAll("li.message").forEach((item) => {
      const id = Number(item.dataset.id) || Number(item.dataset.messageId) || 0;
      if (id > newest) newest = id;
    });
    return newest;
  }

  // "Load older": the older page goes above, and the message the reader was looking at stays where it was.
  function wireOlder(button) {
    button?.addEventListener("click", async () => {
      button.disabled = true;
      const answer = await get(`${config.urls.older}?before=${encodeURIComponent(button.dataset.before)}`);
      const template = doc.createElement("template");
      template.innerHTML = await answer.text(); // server-rendered, autoescaped by Django templates
      const marker = template.content.querySelector(".older-marker");
      marker?.remove();
      const anchor = messages.firstElementChild;
      const top = anchor?.getBoundingClientRect().top;
      messages.prepend(template.content);
      if (marker) { button.dataset.before = marker.dataset.before; button.disabled = false; } else button.remove();
      if (anchor) scrollBox().scrollTop += anchor.getBoundingClientRect().top - top;
      notePosition();
    });
  }

  // Follow the reader: at the end, bubbles and images that arrive or load keep the newest message in view;
  // scrolled up, nothing moves.
  function wireScrolling() {
    if (!messages) return;
    if ("scrollRestoration" in history) history.scrollRestoration = "manual"; // a reload opens at the newest too
    scroller?.addEventListener("scroll", notePosition, { passive: true });
    doc.defaultView.addEventListener("scroll", notePosition, { passive: true });
    new ResizeObserver(() => { if (pinned) scrollToEnd(); }).observe(messages);
    messages.addEventListener("load", () => { if (pinned) scrollToEnd(); }, true); // an image loaded
    // Opened at an item (a mention's link: "#note-12"), the thread shows that item instead of the newest.
    const target = location.hash.length > 1 ? doc.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (target && messages.contains(target)) {
      target.scrollIntoView({ block: "center" });
      notePosition();
    } else scrollToEnd();
  }

  // "Retry" on a failed bubble: its form (which works without scripts) posted for JSON; the server resends the
  // text and media as a new message (messages_retry), or says why not. The new bubble arrives as any message does.
  function wireRetry() {
    if (!messages) return;
    messages.addEventListener("submit", async (event) => {
      const form = event.target.closest("[data-retry-form]");
      if (!form) return;
      event.preventDefault();
      const button = form.querySelector("[data-retry]");
      button.disabled = true;
      let said = "";
      try {
        const answer = await postForm(form.action, new FormData(form));
        const result = await answer.json();
        said = result.error || result.skipped?.[0]?.message || "";
        if (!said) { form.remove(); return; }
      } catch (error) {
        said = error.message;
      }
      button.disabled = false;
      let note = form.querySelector(".retry-said");
      if (!note) {
        note = doc.createElement("span");
        note.className = "retry-said error";
        note.setAttribute("role", "status");
        form.append(note);
      }
      note.textContent = said;
    });
  }

  // --- the header: follows the conversation's row (dropping older versions, as the list does) -----------
  let shownVersion = header ? Number(header.dataset.version) : 0;

  // Apply a conversation row to the header; return whether it was applied (the open thread's, not older).
  function follow(c) {
    if (!header || c.id !== config.conversation || c.organizationId !== config.organization) return false;
    if (c.version < shownVersion) return false; // a late row: a newer one is shown
    shownVersion = c.version;
    header.dataset.version = c.version;
    header.dataset.status = c.status;
    doc.getElementById("thread-title").textContent = c.contactName;
    const number = doc.getElementById("thread-number"); // shown beside a name; a contact without one is their number
    if (number) number.textContent = c.contactName === c.contactPhoneDisplay ? "" : `${c.contactPhoneDisplay} · `;
    doc.getElementById("thread-opted-out").hidden = !c.optedOut;
    doc.getElementById("thread-closed").hidden = c.status !== "closed";
    showSnooze(c);
    const hadFocus = header.querySelector("#status-form button:focus, #unsnooze-form button:focus");
    header.querySelectorAll("#status-form button[data-when]").forEach((b) => { b.hidden = !b.dataset.when.split(" ").includes(c.status); });
    if (hadFocus?.closest("[hidden]")) header.querySelector("#status-form button:not([hidden])")?.focus();
    const select = doc.getElementById("assignee");
    if (select && !select.dataset.unsaved) {
      const value = c.assigneeId ? String(c.assigneeId) : "";
      if (value && !Array.from(select.options).some((o) => o.value === value)) {
        select.append(new Option(c.assigneeName, value)); // a member who joined after the page was rendered
      }
      select.value = value;
    }
    return true;
  }

  // "Snoozed until Tue 9:00 AM" (the viewer's zone) or "until they reply"; the Unsnooze button while snoozed.
  function showSnooze(c) {
    const line = doc.getElementById("thread-snoozed");
    const unsnooze = doc.getElementById("unsnooze-form");
    if (unsnooze) unsnooze.hidden = c.status !== "snoozed";
    if (!line) return;
    line.hidden = c.status !== "snoozed";
    if (c.status !== "snoozed") return;
    if (c.snoozedUntil) {
      const time = doc.createElement("time");
      time.setAttribute("datetime", c.snoozedUntil);
      time.textContent = snoozeText(new Date(c.snoozedUntil), format);
      time.title = format.absolute.format(new Date(c.snoozedUntil));
      line.replaceChildren("Snoozed until ", time);
    } else line.replaceChildren("Snoozed until they reply");
  }

  // Close/reopen, assign and mark unread in place: the same form posts, answered with the row as JSON.
  function wireActions({ onRow }) {
    if (!header) return;
    const state = doc.getElementById("thread-action-state");
    const say = (text) => { if (state) state.textContent = text; };
    const select = doc.getElementById("assignee");
    select?.addEventListener("change", () => { select.dataset.unsaved = "1"; });
    header.querySelectorAll("#status-form, #assign-form, #unread-form, #snooze-form, #unsnooze-form").forEach((form) => {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const submitter = event.submitter;
        const data = new FormData(form, submitter);
        if (form.dataset.busy) return;
        form.dataset.busy = "1"; // not disabled: the focused button keeps the focus
        try {
          const answer = await postForm(form.action, data);
          const result = await answer.json().catch(() => ({}));
          if (!answer.ok) throw new Error(result.error || answer.statusText);
          if (form.id === "assign-form") delete select.dataset.unsaved;
          if (result.conversation) { follow(result.conversation); onRow(result.conversation); }
          say({ "unread-form": "Marked unread.", "snooze-form": "Snoozed.", "unsnooze-form": "Unsnoozed." }[form.id] || "Saved.");
          if (form.id === "snooze-form") {
            const menu = doc.getElementById("snooze-menu");
            menu.open = false;
            menu.querySelector("summary").focus();
          }
        } catch (error) {
          say(error.message);
        } finally {
          delete form.dataset.busy;
        }
      });
    });
  }

  return {
    add, replace, appendItem, updateStatus, addPending, newestId, scrollToEnd, wireOlder, wireScrolling, wireRetry, follow, wireActions,
  };
}
