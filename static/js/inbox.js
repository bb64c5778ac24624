// The inbox page: live updates over the websocket, the composer, "load older", time zones.
// No third-party code; every message body is inserted as text, never as HTML.
import { reconnectDelay } from "./reconnect.js";
import { segmentInfo } from "./segments.js";

const MAX_BODY = 1600;
const root = document.getElementById("inbox");

// The server shows times in the browser's own zone unless the user chose one.
try {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) document.cookie = `tz=${encodeURIComponent(zone)}; path=/; max-age=31536000; samesite=lax`;
} catch (e) { /* old browsers keep UTC */ }

document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.requestSubmit());
  const button = select.form.querySelector("button[type=submit]");
  if (button) button.hidden = true;
});

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "className") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

if (root) {
  const state = {
    organization: Number(root.dataset.organization),
    conversation: Number(root.dataset.conversation) || null,
    filter: root.dataset.filter,
    q: root.dataset.q,
    timeZone: root.dataset.timeZone || undefined,
    lastSync: root.dataset.now, // server time: the browser's clock may be wrong
    socket: null,
    retry: 0,
  };
  const list = document.getElementById("conversation-list");
  const messages = document.getElementById("messages");
  const liveState = document.getElementById("live-state");
  const timeFormat = new Intl.DateTimeFormat(undefined, {
    month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: state.timeZone,
  });
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const STATUS_RANK = {
    pending: 0, accepted: 10, scheduled: 11, queued: 12, sending: 20, sent: 30, delivered: 40, undelivered: 40,
    failed: 40, partially_delivered: 40, canceled: 40, read: 50,
  }; // messaging/statuses.py: events from several processes may arrive out of order
  const STATUS_LABELS = {
    pending: "Pending", accepted: "Accepted", scheduled: "Scheduled", queued: "Queued", sending: "Sending",
    sent: "Sent", delivered: "Delivered", undelivered: "Undelivered", failed: "Failed",
    partially_delivered: "Partially delivered", read: "Read", canceled: "Canceled",
  };

  // ---- times -------------------------------------------------------------------------
  function relativeText(date) {
    const seconds = Math.round((date - Date.now()) / 1000);
    const abs = Math.abs(seconds);
    if (abs < 60) return "just now";
    if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
    if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
    if (abs < 7 * 86400) return relative.format(Math.round(seconds / 86400), "day");
    return timeFormat.format(date);
  }
  function refreshTimes() {
    document.querySelectorAll(".conversation time.when").forEach((t) => {
      const date = new Date(t.getAttribute("datetime"));
      t.textContent = relativeText(date);
      t.title = timeFormat.format(date);
    });
  }

  // ---- conversation rows -------------------------------------------------------------
  function updateTitle() {
    const unread = Array.from(list.querySelectorAll(".unread-badge"))
      .reduce((n, badge) => n + (Number(badge.textContent) || 0), 0);
    const base = document.title.replace(/^\(\d+\)\s*/, "");
    document.title = unread ? `(${unread}) ${base}` : base;
  }
  function matchesFilter(c) {
    switch (state.filter) {
      case "unread": return c.unread_count > 0 || c.id === state.conversation;
      case "open": return c.status === "open";
      case "closed": return c.status === "closed";
      case "mine": return c.assignee_id === Number(root.dataset.user);
      case "unassigned": return !c.assignee_id;
      default: return true;
    }
  }
  function rowFor(c) {
    const selected = c.id === state.conversation;
    const last = new Date(c.last_message_at);
    const query = new URLSearchParams();
    if (state.filter && state.filter !== "all") query.set("filter", state.filter);
    if (state.q) query.set("q", state.q);
    const href = `/c/${c.id}/` + (query.toString() ? `?${query}` : "");
    const badges = el("span", { className: "badges" },
      c.opted_out ? el("span", { className: "tag opted-out", title: "Opted out", text: "Opted out" }) : null,
      c.status === "closed" ? el("span", { className: "tag closed", text: "Closed" }) : null,
      c.assignee_name ? el("span", { className: "tag assignee", title: `Assigned to ${c.assignee_name}`, text: c.assignee_name }) : null,
      el("span", { className: "unread-badge", hidden: !c.unread_count, "aria-label": `${c.unread_count} unread`, text: String(c.unread_count) }),
    );
    return el("li", {
      className: `conversation${c.unread_count ? " unread" : ""}${selected ? " selected" : ""}`,
      "data-id": c.id, "data-version": c.version, "data-last": c.last_message_at,
    }, el("a", { href, "aria-current": selected ? "true" : null },
      el("span", { className: "row-top" },
        el("span", { className: "name", text: c.contact_name }),
        el("time", { className: "when", datetime: c.last_message_at, title: timeFormat.format(last), text: relativeText(last) })),
      el("span", { className: "row-bottom" }, el("span", { className: "preview", text: c.last_message_preview }), badges)));
  }
  // The newest version heard of each conversation, shown or not (a filter may hide it now and match it
  // later). Rows arrive in any order: a row strictly older than one already heard is dropped; an equal
  // version is applied, since a contact's rename or opt-out changes the row without a new version
  // (conversations/payloads.py, conversation_payload). The page renders each row's version.
  const versions = new Map();
  list.querySelectorAll("li.conversation").forEach((row) => versions.set(Number(row.dataset.id), Number(row.dataset.version)));
  function upsertConversation(c) {
    if (c.organization_id !== state.organization) return;
    if (c.version < (versions.get(c.id) ?? -1)) return; // a late row: a newer one is already applied
    versions.set(c.id, c.version);
    const existing = list.querySelector(`li.conversation[data-id="${c.id}"]`);
    if (!existing && (state.q || !matchesFilter(c))) return; // a search or filter decides membership on reload
    const row = rowFor(c);
    const moved = !existing || existing.dataset.last !== c.last_message_at;
    if (existing && !moved) existing.replaceWith(row);
    else {
      existing?.remove();
      const rows = Array.from(list.querySelectorAll("li.conversation"));
      const after = rows.find((r) => new Date(r.dataset.last) < new Date(c.last_message_at));
      if (after) after.before(row); else list.append(row);
    }
    document.getElementById("no-conversations")?.remove();
    updateTitle();
  }

  // ---- messages ----------------------------------------------------------------------
  function statusNode(m) {
    const nodes = [el("span", { className: `status status-${m.status}`, "data-status": m.status, text: STATUS_LABELS[m.status] || m.status })];
    if (m.error_code) nodes.push(el("span", { className: "error", role: "note", text: `Error ${m.error_code}: ${m.error_message}` }));
    return nodes;
  }
  function bubbleFor(m) {
    const created = new Date(m.created_at);
    const body = m.body ? el("p", { className: "body" }) : null;
    if (body) m.body.split("\n").forEach((line, i) => { if (i) body.append(el("br")); body.append(document.createTextNode(line)); });
    const bubble = el("div", { className: "bubble" }, body);
    (m.media || []).forEach((media, i) => bubble.append(el("a", { className: "media", href: media.url, target: "_blank", rel: "noopener" },
      el("img", { src: media.url, alt: `Attachment ${i + 1}${media.content_type ? ` (${media.content_type})` : ""}`, loading: "lazy" }))));
    const meta = el("div", { className: "meta" }, el("time", { datetime: m.created_at, text: timeFormat.format(created) }));
    if (m.direction === "out") {
      if (m.sent_by_name) meta.append(el("span", { className: "sender", text: m.sent_by_name }));
      statusNode(m).forEach((n) => meta.append(n));
    }
    return el("li", { className: `message ${m.direction}`, "data-id": m.id, "data-created": m.created_at }, bubble, meta);
  }
  function scrollToEnd() {
    const scroller = document.getElementById("thread-scroll");
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  }
  function addMessage(m) {
    if (!messages || m.conversation_id !== state.conversation) return;
    const existing = messages.querySelector(`li.message[data-id="${m.id}"]`);
    if (existing) { existing.replaceWith(bubbleFor(m)); return; }
    messages.querySelector(`li.message.pending[data-message-id="${m.id}"]`)?.remove();
    if (m.idempotency_key) messages.querySelector(`li.message.pending[data-key="${CSS.escape(m.idempotency_key)}"]`)?.remove();
    document.getElementById("no-messages")?.remove();
    messages.append(bubbleFor(m));
    scrollToEnd();
    if (m.direction === "in" && document.visibilityState === "visible") markRead();
  }
  function updateStatus(m) {
    const item = messages?.querySelector(`li.message[data-id="${m.id}"] .meta`);
    if (!item) return;
    const current = item.querySelector(".status")?.dataset.status;
    if (current && (STATUS_RANK[m.status] ?? -1) <= (STATUS_RANK[current] ?? -1)) return;
    item.querySelectorAll(".status, .error").forEach((n) => n.remove());
    statusNode(m).forEach((n) => item.append(n));
  }
  function markRead() {
    if (!state.conversation) return;
    fetch(`/c/${state.conversation}/read/`, {
      method: "POST", headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" }, credentials: "same-origin",
    }).catch(() => {});
  }

  // ---- live connection ---------------------------------------------------------------
  function setLive(text) { if (liveState) liveState.textContent = text; }
  async function resync() {
    const params = new URLSearchParams({ since: state.lastSync });
    if (state.conversation) params.set("conversation", state.conversation);
    try {
      const answer = await fetch(`${root.dataset.syncUrl}?${params}`, { credentials: "same-origin" });
      if (!answer.ok) return;
      const data = await answer.json();
      data.conversations.reverse().forEach(upsertConversation);
      data.messages.forEach(addMessage);
      state.lastSync = new Date(Date.parse(data.now) - 5000).toISOString(); // a margin for commits in flight
    } catch (e) { /* the next reconnect tries again */ }
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${root.dataset.wsPath}`);
    state.socket = socket;
    socket.addEventListener("open", () => {
      state.retry = 0;
      root.dataset.live = "connected";
      setLive("");
      resync(); // every (re)connection: whatever happened since the page or the last sync was rendered
    });
    socket.addEventListener("message", (event) => {
      const { type, payload } = JSON.parse(event.data);
      if (type === "message_created") addMessage(payload);
      else if (type === "message_status_changed") updateStatus(payload);
      else if (type === "conversation_updated") upsertConversation(payload);
    });
    socket.addEventListener("close", (event) => {
      root.dataset.live = "lost";
      if (event.code === 4401) { setLive("Signed out: reload to log in."); return; }
      setLive("Reconnecting…");
      // At most 4 s apart (reconnect.js): after an outage every inbox is back and resynced within 5 s.
      setTimeout(connect, reconnectDelay(state.retry));
      state.retry += 1;
    });
  }
  connect();
  setInterval(() => { if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ type: "ping" })); }, 25000);
  setInterval(refreshTimes, 30000);
  refreshTimes();
  updateTitle();
  scrollToEnd();

  // ---- load older --------------------------------------------------------------------
  const older = document.getElementById("load-older");
  older?.addEventListener("click", async () => {
    older.disabled = true;
    const answer = await fetch(`${older.dataset.url}?before=${encodeURIComponent(older.dataset.before)}`, { credentials: "same-origin" });
    const html = await answer.text();
    const template = document.createElement("template");
    template.innerHTML = html; // server-rendered, autoescaped by Django templates
    const marker = template.content.querySelector(".older-marker");
    marker?.remove();
    messages.prepend(template.content);
    if (marker) { older.dataset.before = marker.dataset.before; older.disabled = false; } else older.remove();
  });

  // ---- composer ----------------------------------------------------------------------
  const composer = document.getElementById("composer");
  const body = document.getElementById("body");
  const counter = document.getElementById("counter");
  const errorBox = document.getElementById("composer-error");
  function updateCounter() {
    const info = segmentInfo(body.value);
    const over = info.characters > MAX_BODY;
    counter.textContent = `${info.characters} / ${MAX_BODY} · ${info.segments} segment${info.segments === 1 ? "" : "s"} · ${info.encoding}`;
    counter.classList.toggle("over", over);
  }
  function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }
  if (composer && body && !body.disabled) {
    body.addEventListener("input", updateCounter);
    body.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); composer.requestSubmit(); }
    });
    updateCounter();
    composer.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = body.value;
      const mediaUrls = (document.getElementById("media-urls")?.value || "").split(/\s+/).filter(Boolean);
      if (!text.trim() && !mediaUrls.length) { showError("Write a message or attach media."); return; }
      showError("");
      const keyField = document.getElementById("idempotency-key");
      const key = keyField.value; // kept until the send succeeds: a retried request never texts twice
      const pending = bubbleFor({ id: `pending-${key}`, direction: "out", body: text, status: "pending", created_at: new Date().toISOString(), media: [] });
      pending.classList.add("pending");
      pending.dataset.key = key;
      document.getElementById("no-messages")?.remove();
      messages.append(pending);
      scrollToEnd();
      body.value = "";
      updateCounter();
      try {
        const answer = await fetch(composer.dataset.apiUrl, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
          body: JSON.stringify({ message: text, mediaUrls, idempotencyKey: key }),
        });
        const data = await answer.json();
        if (!answer.ok) throw new Error(data.error || "The message could not be sent.");
        if (messages.querySelector(`li.message[data-id="${data.messageId}"]`)) pending.remove();
        else pending.dataset.messageId = data.messageId;
        keyField.value = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
      } catch (error) {
        pending.remove();
        body.value = text;
        updateCounter();
        showError(error.message);
      }
    });
  }
}
