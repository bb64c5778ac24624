// Snooze: the assignee hears when a snoozed conversation comes back (conversation.woken, on their own group),
// said in the page's polite toast box (the one mentions use) with a link to the thread.
import { showToast } from "./toast.js";

export function wokenText(p) {
  return p.reason === "reply"
    ? `${p.contactName} replied: the snoozed conversation is back.`
    : `The conversation with ${p.contactName} is back from snooze.`;
}

export function wireSnooze({ config, doc = document }) {
  function woken(p) {
    if (p.organizationId !== config.organization) return;
    const box = doc.getElementById("mention-toasts");
    if (!box) return;
    showToast({
      box, doc, className: "woken-toast", data: { conversationId: p.conversationId },
      text: wokenText(p), href: p.url, linkText: "Open the conversation",
    });
  }
  return { woken };
}
