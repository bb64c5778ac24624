// Snooze: the assignee hears when a snoozed conversation comes back (conversation.woken, on their own group),
// said in the page's polite toast box (the one mentions use) with a link to the thread.

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
    const toast = doc.createElement("div");
    toast.className = "mention-toast woken-toast";
    toast.dataset.conversationId = p.conversationId;
    const text = doc.createElement("p");
    text.textContent = wokenText(p);
    const actions = doc.createElement("p");
    actions.className = "toast-actions";
    const link = doc.createElement("a");
    link.href = p.url;
    link.textContent = "Open the conversation";
    const dismiss = doc.createElement("button");
    dismiss.type = "button";
    dismiss.className = "secondary small";
    dismiss.textContent = "Dismiss";
    dismiss.addEventListener("click", () => toast.remove());
    actions.append(link, dismiss);
    toast.append(text, actions);
    box.replaceChildren(toast);
  }
  return { woken };
}
