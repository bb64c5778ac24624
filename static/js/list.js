// The conversation list: rows heard live are upserted by version, kept newest activity first, filtered as
// the page was, and the unread badges summed into the document's title.
import { urlFor } from "./config.js";
import { postForm } from "./http.js";
import { matchesExtra, renderRowLabels } from "./labels.js";
import { cloneTemplate } from "./templates.js";
import { showRelative } from "./times.js";

// Rows of one conversation arrive in any order (each request publishes after its commit): a row strictly
// older than the newest heard is dropped; an equal version is applied, since a contact's rename or opt-out
// changes the row without a new version (conversations/payloads.py, conversation_payload).
export function shouldApply(version, newestHeard) {
  return newestHeard === undefined || version >= newestHeard;
}

// Whether a row heard live belongs in the list under the page's filter (a search decides on reload).
export function matchesFilter(row, filter, { conversation, user }) {
  switch (filter) {
    case "unread": return row.unreadCount > 0 || row.id === conversation;
    case "open": return row.status === "open";
    case "closed": return row.status === "closed";
    case "snoozed": return row.status === "snoozed";
    case "mine": return row.assigneeId === user;
    case "unassigned": return !row.assigneeId;
    case "failed": return Boolean(row.lastOutboundFailed);
    case "mentions": return false; // only rows listed already: a row does not say whom its notes mention
    default: return true;
  }
}

// Where a row whose newest activity is `last` goes among rows shown newest first: before the first strictly
// older one (its index), or at the end (-1).
export function insertionIndex(shownLasts, last) {
  const time = new Date(last);
  return shownLasts.findIndex((shown) => new Date(shown) < time);
}

// "(3) Inbox · Acme" for three unread messages; the bare title for none.
export function titleWithUnread(title, unread) {
  const base = title.replace(/^\(\d+\)\s*/, "");
  return unread ? `(${unread}) ${base}` : base;
}

export function createList({ config, list, format, doc = document }) {
  // The newest version heard of each conversation, shown or not (a filter may hide it now and match it later).
  const versions = new Map();
  // Whether each conversation's last sent message failed (rendered by the server, then heard from messages).
  const failed = new Map();
  const failedStatuses = new Set(config.statuses.filter((s) => s.failed).map((s) => s.value));
  list.querySelectorAll("li.conversation").forEach((row) => {
    versions.set(Number(row.dataset.id), Number(row.dataset.version));
    failed.set(Number(row.dataset.id), row.classList.contains("failed"));
  });

  function updateTitle() {
    const unread = Array.from(list.querySelectorAll(".unread-badge")).reduce((n, badge) => n + (Number(badge.textContent) || 0), 0);
    doc.title = titleWithUnread(doc.title, unread);
  }

  function rowFor(c, existing) {
    const selected = c.id === config.conversation;
    const row = cloneTemplate("conversation-row-template", c, doc);
    const form = row.querySelector("form.row-actions");
    if (form) {
      form.action = urlFor(config.urls.markUnreadPattern, c.id);
      const back = form.querySelector('input[name="return_query"]');
      if (back) back.value = new URL(link(c), doc.baseURI).search.slice(1);
    }
    row.classList.toggle("unread", c.unreadCount > 0);
    row.classList.toggle("selected", selected);
    row.dataset.id = c.id;
    row.dataset.version = c.version;
    row.dataset.last = c.lastMessageAt;
    const link_ = row.querySelector("a");
    link_.href = link(c);
    if (selected) link_.setAttribute("aria-current", "true");
    else link_.removeAttribute("aria-current");
    showRelative(row.querySelector("time.when"), c.lastMessageAt, format);
    if (!c.optedOut) row.querySelector(".tag.opted-out")?.remove();
    row.classList.toggle("failed", Boolean(c.lastOutboundFailed));
    if (!c.lastOutboundFailed) row.querySelector(".tag.failed")?.remove();
    if (c.status !== "closed") row.querySelector(".tag.closed")?.remove();
    if (c.status !== "snoozed") row.querySelector(".tag.snoozed")?.remove();
    if (!c.assigneeName) row.querySelector(".tag.assignee")?.remove();
    row.querySelector(".unread-badge").hidden = !c.unreadCount;
    renderRowLabels(row, c, existing); // labels.js: the checkbox and the label chips
    return row;
  }

  const link = (c) => urlFor(config.urls.thread, c.id);

  function upsert(heard) {
    if (heard.organizationId !== config.organization) return;
    // A resync row says whether the last sent message failed (it may have failed while the socket was down);
    // a live row does not, and keeps what messages told.
    if (typeof heard.lastOutboundFailed === "boolean") failed.set(heard.id, heard.lastOutboundFailed);
    const c = { ...heard, lastOutboundFailed: failed.get(heard.id) || false };
    if (!shouldApply(c.version, versions.get(c.id))) return; // a late row: a newer one is already applied
    versions.set(c.id, c.version);
    const existing = list.querySelector(`li.conversation[data-id="${c.id}"]`);
    if (!existing && (config.q || !matchesFilter(c, config.filter, config) || !matchesExtra(c, config))) return;
    const row = rowFor(c, existing);
    const anchor = existing?.querySelector("a")?.hash; // "Mentions" rows link to the note
    if (anchor) row.querySelector("a").hash = anchor;
    if (existing && existing.dataset.last === c.lastMessageAt) existing.replaceWith(row);
    else {
      existing?.remove();
      const rows = Array.from(list.querySelectorAll("li.conversation"));
      const at = insertionIndex(rows.map((r) => r.dataset.last), c.lastMessageAt);
      if (at >= 0) rows[at].before(row); else list.append(row);
    }
    doc.getElementById("no-conversations")?.remove();
    updateTitle();
  }

  // Mark (or clear) a row whose last sent message failed, in place.
  function setFailed(id, value) {
    if ((failed.get(id) || false) === value) return;
    failed.set(id, value);
    const row = list.querySelector(`li.conversation[data-id="${id}"]`);
    if (!row) return;
    row.classList.toggle("failed", value);
    const tag = row.querySelector(".tag.failed");
    if (!value) { tag?.remove(); return; }
    if (!tag) {
      const fresh = doc.getElementById("conversation-row-template").content.querySelector(".tag.failed").cloneNode(true);
      row.querySelector(".badges").prepend(fresh);
    }
  }
  // A message heard: a new one sent clears the mark (or sets it, refused at once); a failure sets it.
  function noteMessage(m) {
    if (m.organizationId !== config.organization || m.direction !== "out") return;
    setFailed(m.conversationId, failedStatuses.has(m.status));
  }
  function noteStatus(m) {
    if (m.organizationId === config.organization && failedStatuses.has(m.status)) setFailed(m.conversationId, true);
  }

  // "Mark unread" on a row, in place (the form posts without JavaScript).
  list.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.row-actions");
    if (!form) return;
    event.preventDefault();
    try {
      const answer = await postForm(form.action, new FormData(form));
      const result = await answer.json();
      if (answer.ok && result.conversation) upsert(result.conversation);
    } catch { form.submit(); }
  });

  // A conversation merged into another or erased (conversation.removed): its row goes.
  function remove(heard) {
    if (heard.organizationId !== config.organization) return;
    list.querySelector(`li.conversation[data-id="${heard.id}"]`)?.remove();
    versions.delete(heard.id);
    failed.delete(heard.id);
    updateTitle();
  }

  return { upsert, updateTitle, noteMessage, noteStatus, remove, link };
}
