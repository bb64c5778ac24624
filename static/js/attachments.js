// The composer's attachments: a file picker, drag and drop onto the composer, pasted images. Each file is
// uploaded at once (POST config.urls.attachments, multipart) and shown as a chip (thumbnail, name, size, Remove);
// the send names the uploads (attachmentIds). Twilio carries at most 5 MB a message (config.limits): over it the
// composer says so and offers to send the images smaller (re-encoded as JPEG in the browser, then re-uploaded).
// Types and limits come from the server (messaging/attachments/rules.py); the server checks them again.
import { csrfToken } from "./http.js";

export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function overLimitText(total, max) {
  return `Attachments total ${sizeText(total)}; a text message can carry at most ${sizeText(max)}.`;
}

// A picture re-encoded as JPEG, at most `edge` pixels on its longer side (a canvas; no library).
export async function shrinkImage(file, { edge = 1600, quality = 0.8 } = {}) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff"; // transparency becomes white, as JPEG has none
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  const name = `${file.name.replace(/\.[^.]*$/, "") || "image"}.jpg`;
  return new File([blob], name, { type: "image/jpeg" });
}

export function wireAttachments({ config, doc = document, dropTarget, onChange = () => {} }) {
  const box = doc.getElementById("attachments");
  const input = doc.getElementById("attach-input");
  const button = doc.getElementById("attach-button");
  const chips = doc.getElementById("attachment-chips");
  const errorBox = doc.getElementById("attachment-error");
  const errorText = doc.getElementById("attachment-error-text");
  const shrinkButton = doc.getElementById("attachment-shrink");
  const said = doc.getElementById("attachment-said");
  if (!box || !input || !config.urls.attachments) return null;
  box.hidden = false;
  const max = config.limits.attachmentBytes;
  const types = new Set(config.attachmentTypes);
  const imageTypes = new Set(config.imageTypes);
  let items = []; // {file, chip, upload: {id, size, …} | null, failed}

  const announce = (text) => { said.textContent = text; };
  const total = () => items.reduce((sum, item) => sum + (item.upload?.size ?? item.file.size), 0);
  const shrinkable = () => items.some((item) => imageTypes.has(item.file.type) && item.file.size > 200 * 1024);

  function refresh() {
    const sum = total();
    const over = sum > max;
    const failed = items.find((item) => item.failed);
    const message = over ? overLimitText(sum, max) : failed ? failed.failed : "";
    errorText.textContent = message;
    shrinkButton.hidden = !(over && shrinkable());
    errorBox.hidden = !message;
    onChange();
  }

  function chipFor(item) {
    const chip = doc.createElement("li");
    chip.className = "attachment-chip";
    if (imageTypes.has(item.file.type)) { // its thumbnail once uploaded (the page's CSP allows no blob: images)
      const image = doc.createElement("img");
      image.alt = "";
      image.hidden = true;
      chip.append(image);
    }
    const label = doc.createElement("span");
    label.className = "attachment-name";
    label.textContent = item.file.name;
    const size = doc.createElement("span");
    size.className = "attachment-size muted";
    size.textContent = sizeText(item.file.size);
    const state = doc.createElement("span");
    state.className = "attachment-state muted";
    state.textContent = "uploading…";
    const remove = doc.createElement("button");
    remove.type = "button";
    remove.className = "link-button attachment-remove";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove ${item.file.name}`);
    remove.addEventListener("click", () => {
      drop(item);
      announce(`${item.file.name} removed.`);
      (chips.querySelector(".attachment-remove") || button).focus();
    });
    chip.append(label, size, state, remove);
    return chip;
  }

  function drop(item) {
    items = items.filter((other) => other !== item);
    item.chip.remove();
    refresh();
  }

  async function upload(item) {
    const form = new FormData();
    form.append("file", item.file, item.file.name);
    const state = item.chip.querySelector(".attachment-state");
    try {
      const answer = await fetch(config.urls.attachments, {
        method: "POST", credentials: "same-origin", body: form,
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      const data = await answer.json().catch(() => ({}));
      if (!answer.ok) throw new Error(data.error || "The file could not be attached.");
      item.upload = data;
      state.textContent = "";
      const image = item.chip.querySelector("img");
      if (image) { image.src = data.thumbnailUrl; image.hidden = false; }
      announce(`${item.file.name} attached.`);
    } catch (error) {
      item.failed = error.message;
      state.textContent = "not attached";
      announce(error.message);
    }
    refresh();
  }

  function add(files) {
    for (const file of files) {
      if (items.length >= config.limits.media) { announce(`At most ${config.limits.media} attachments.`); break; }
      const item = { file, upload: null, failed: "" };
      item.chip = chipFor(item);
      chips.append(item.chip);
      items.push(item);
      if (!types.has(file.type)) {
        item.failed = `${file.name}: Twilio cannot send this type of file as MMS.`;
        item.chip.querySelector(".attachment-state").textContent = "not attached";
        announce(item.failed);
      } else if (file.size > max) {
        item.chip.querySelector(".attachment-state").textContent = "too large";
        announce(overLimitText(total(), max));
      } else {
        upload(item);
      }
    }
    refresh();
  }

  // "Send images smaller": every image becomes a smaller JPEG, uploaded again in place of the original.
  async function shrink() {
    shrinkButton.disabled = true;
    announce("Making the images smaller…");
    for (const item of [...items]) {
      if (!imageTypes.has(item.file.type)) continue;
      const smaller = await shrinkImage(item.file);
      const index = items.indexOf(item);
      if (index < 0 || smaller.size >= (item.upload?.size ?? item.file.size)) continue;
      const next = { file: smaller, upload: null, failed: "" };
      next.chip = chipFor(next);
      item.chip.replaceWith(next.chip);
      items[index] = next;
      await upload(next);
    }
    shrinkButton.disabled = false;
    announce(total() > max ? overLimitText(total(), max) : `The images are smaller: ${sizeText(total())} in all.`);
    refresh();
  }

  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => { add([...input.files]); input.value = ""; });
  shrinkButton.addEventListener("click", shrink);
  dropTarget.addEventListener("dragover", (event) => {
    if (![...event.dataTransfer.types].includes("Files")) return;
    event.preventDefault();
    dropTarget.classList.add("dropping");
  });
  dropTarget.addEventListener("dragleave", () => dropTarget.classList.remove("dropping"));
  dropTarget.addEventListener("drop", (event) => {
    if (!event.dataTransfer.files.length) return;
    event.preventDefault();
    dropTarget.classList.remove("dropping");
    add([...event.dataTransfer.files]);
  });
  dropTarget.addEventListener("paste", (event) => {
    const files = [...(event.clipboardData?.files || [])];
    if (!files.length) return;
    event.preventDefault();
    add(files.map((file, i) => (file.name && file.name !== "image.png" ? file
      : new File([file], `pasted-${Date.now()}-${i}.${file.type.split("/")[1] || "png"}`, { type: file.type }))));
  });

  return {
    ids: () => items.filter((item) => item.upload).map((item) => item.upload.id),
    count: () => items.length,
    // Why the send must wait ("" when it may go): over 5 MB, an upload still running or refused.
    problem() {
      if (total() > max) return overLimitText(total(), max);
      if (items.some((item) => !item.upload && !item.failed && item.file.size <= max)) return "Wait for the attachments to upload.";
      const failed = items.find((item) => item.failed);
      return failed ? `${failed.failed} Remove it to send.` : "";
    },
    clear() { items.forEach((item) => item.chip.remove()); items = []; refresh(); },
    setDisabled(disabled) { button.disabled = disabled; },
  };
}
