// The conversation list: rows heard live are upserted by version, kept newest activity first, filtered as
// the page was, and the unread badges summed into the document's title.
import { urlFor } from "./config.js";
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
    case "mine": return row.assigneeId === user;
    case "unassigned": return !row.assigneeId;
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
  list.querySelectorAll("li.conversation").forEach((row) => versions.set(Number(row.dataset.id), Number(row.dataset.version)));

  function updateTitle() {
    const unread = Array.from(list.querySelectorAll(".unread-badge")).reduce((n, badge) => n + (Number(badge.textContent) || 0), 0);
    doc.title = titleWithUnread(doc.title, unread);
  }

  function rowFor(c) {
    const selected = c.id === config.conversation;
    const row = cloneTemplate("conversation-row-template", c, doc);
    row.classList.toggle("unread", c.unreadCount > 0);
    row.classList.toggle("selected", selected);
    row.dataset.id = c.id;
    row.dataset.version = c.version;
    row.dataset.last = c.lastMessageAt;
    const link = row.querySelector("a");
    link.href = urlFor(config.urls.thread, c.id);
    if (selected) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
    showRelative(row.querySelector("time.when"), c.lastMessageAt, format);
    if (!c.optedOut) row.querySelector(".tag.opted-out")?.remove();
    if (c.status !== "closed") row.querySelector(".tag.closed")?.remove();
    if (!c.assigneeName) row.querySelector(".tag.assignee")?.remove();
    row.querySelector(".unread-badge").hidden = !c.unreadCount;
    return row;
  }

  function upsert(c) {
    if (c.organizationId !== config.organization) return;
    if (!shouldApply(c.version, versions.get(c.id))) return; // a late row: a newer one is already applied
    versions.set(c.id, c.version);
    const existing = list.querySelector(`li.conversation[data-id="${c.id}"]`);
    if (!existing && (config.q || !matchesFilter(c, config.filter, config))) return;
    const row = rowFor(c);
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

  return { upsert, updateTitle };
}
