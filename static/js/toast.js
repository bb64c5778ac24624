// The page's one polite toast: a sentence, a link and a Dismiss button, said in the live region that
// #mention-toasts is (created by notes.js before anything is said in it, so that it is announced).

export function showToast({ box, doc = document, className = "", data = {}, text, href, linkText }) {
  const toast = doc.createElement("div");
  toast.className = `mention-toast ${className}`.trim();
  Object.assign(toast.dataset, data);
  const sentence = doc.createElement("p");
  sentence.textContent = text;
  const actions = doc.createElement("p");
  actions.className = "toast-actions";
  const link = doc.createElement("a");
  link.href = href;
  link.textContent = linkText;
  const dismiss = doc.createElement("button");
  dismiss.type = "button";
  dismiss.className = "secondary small";
  dismiss.textContent = "Dismiss";
  dismiss.addEventListener("click", () => toast.remove());
  actions.append(link, dismiss);
  toast.append(sentence, actions);
  box.replaceChildren(toast);
  return toast;
}
