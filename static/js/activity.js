// The thread's activity rows (assigned, closed, labelled, snoozed, opted out…): heard live (activity.created) or
// from the resync, shown once, in the open thread only, as the server renders them (templates/inbox/_event.html).
// The sentence comes from the server (payload.parts); only its times are written here, in the viewer's zone.
import { cloneTemplate } from "./templates.js";

// The sentence's nodes: text, the time (if any) as a <time> in the viewer's zone, text. Never HTML.
export function sentenceNodes(parts, format, doc = document) {
  const nodes = [doc.createTextNode(parts.before || "")];
  if (parts.at) {
    const time = doc.createElement("time");
    time.className = "activity-at";
    time.setAttribute("datetime", parts.at);
    time.textContent = format.absolute.format(new Date(parts.at));
    nodes.push(time);
  }
  nodes.push(doc.createTextNode(parts.after || ""));
  return nodes;
}

export function wireActivity({ config, thread, format, doc = document }) {
  const messages = doc.getElementById("messages");

  function rowFor(e) {
    const node = cloneTemplate("event-template", { text: "" }, doc);
    node.id = `event-${e.id}`;
    node.dataset.eventId = e.id;
    node.dataset.created = e.createdAt;
    node.querySelector(".activity-text").replaceChildren(...sentenceNodes(e.parts, format, doc));
    const time = node.querySelector(".activity-time");
    time.setAttribute("datetime", e.createdAt);
    time.textContent = format.absolute.format(new Date(e.createdAt));
    return node;
  }

  function add(e) {
    if (!messages || e.organizationId !== config.organization || e.conversationId !== config.conversation) return null;
    const existing = messages.querySelector(`li.activity[data-event-id="${e.id}"]`);
    if (existing) return existing;
    const node = rowFor(e);
    thread.appendItem(node);
    if (e.event === "sender_changed") showSender(e.data || {});
    return node;
  }

  // The conversation now texts from another number (a colleague chose it, or the customer texted it): the header
  // names it, and the composer's "From" follows unless this viewer chose a number themselves (composer.js).
  function showSender({ numberId, numberLabel }) {
    const shown = doc.getElementById("thread-from-number");
    if (shown && numberLabel) shown.textContent = numberLabel;
    doc.dispatchEvent(new CustomEvent("smsinbox:sender-changed", { detail: { numberId } }));
  }

  return { add };
}
