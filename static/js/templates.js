// Rows and bubbles are cloned from <template>s the server renders from the same partials as the page's own
// rows (templates/inbox/_conversation_row.html, _message.html), with "{token}" wherever a payload's text
// goes (smsinbox/web/pages/inbox.py, _template_data). Text is only ever set as text: never parsed as HTML.

const TOKEN = /\{([A-Za-z]+)\}/g;

// "{name}" → values.name, in one pass: a value that itself contains "{…}" is never expanded.
export function fillText(text, values) {
  return text.replace(TOKEN, (whole, key) => (key in values ? String(values[key] ?? "") : whole));
}

// A copy of the <template id=…>'s first element with every token in its text and attributes filled.
export function cloneTemplate(id, values, doc = document) {
  const template = doc.getElementById(id);
  const node = template.content.firstElementChild.cloneNode(true);
  fillTokens(node, values);
  return node;
}

export function fillTokens(root, values) {
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let node = root; node; node = walker.nextNode()) {
    if (node.nodeType === Node.TEXT_NODE) {
      if (node.nodeValue.includes("{")) node.nodeValue = fillText(node.nodeValue, values);
      continue;
    }
    for (const attribute of Array.from(node.attributes)) {
      if (attribute.value.includes("{")) attribute.value = fillText(attribute.value, values);
    }
  }
}

// The text of a body with its line breaks as <br>, as the server's |linebreaksbr renders it.
export function setLines(node, text) {
  node.replaceChildren();
  text.split("\n").forEach((line, i) => {
    if (i) node.append(node.ownerDocument.createElement("br"));
    node.append(node.ownerDocument.createTextNode(line));
  });
}
