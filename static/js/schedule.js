// Scheduled messages: the composer's "Send later" menu (presets whose moments the server computed in the viewer's
// zone, or a custom date and time read in that zone), and Edit / Cancel on a bubble waiting for its time, through
// PATCH / DELETE /api/messages/{id}/. The server answers what is true (409 once it started sending: shown as is);
// every inbox redraws the bubble from the message.updated event, this one from the answer too.
import { write } from "./http.js";
import { localInputValue, zonedIso } from "./times.js";

export function messageUrl(template, id) {
  return template.replace(/\/0\/?$/, `/${id}/`);
}

export function wireSchedule({ config, thread, composer, doc = document }) {
  const menu = doc.getElementById("send-later");
  const custom = doc.getElementById("send-later-at");
  const errorBox = doc.getElementById("composer-error");
  const said = doc.getElementById("thread-action-state");
  const messages = doc.getElementById("messages");
  const say = (text) => { if (said) said.textContent = text; };
  function showError(text) { if (errorBox) { errorBox.textContent = text; errorBox.hidden = !text; } }

  function schedule(sendAt) {
    if (!sendAt) { showError("Choose a date and time to send it."); custom?.focus(); return; }
    if (menu) menu.open = false;
    composer?.sendLater(sendAt);
    doc.getElementById("body")?.focus();
  }
  // The buttons are also the form's submit buttons (the page without JavaScript): here they schedule through the API.
  menu?.querySelectorAll("[data-send-at]").forEach((button) => {
    button.addEventListener("click", (event) => { event.preventDefault(); schedule(button.dataset.sendAt); });
  });
  doc.getElementById("send-later-custom")?.addEventListener("click", (event) => {
    event.preventDefault();
    schedule(zonedIso(custom.value, config.timeZone));
  });
  custom?.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); schedule(zonedIso(custom.value, config.timeZone)); }
  });
  menu?.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
  });

  async function change(id, method, json) {
    const answer = await write(method, messageUrl(config.urls.message, id), { json, headers: { Accept: "application/json" } });
    const data = await answer.json();
    if (!answer.ok) throw new Error(data.error || "The scheduled message could not be changed.");
    thread.replace(data);
    return data;
  }

  function openEditor(item) {
    if (item.querySelector(".schedule-edit")) return;
    const id = item.dataset.id;
    const time = item.querySelector(".meta .send-at");
    const form = doc.createElement("form");
    form.className = "schedule-edit";
    form.setAttribute("aria-label", "Edit the scheduled message");
    const textId = `schedule-edit-body-${id}`;
    const whenId = `schedule-edit-at-${id}`;
    const textLabel = Object.assign(doc.createElement("label"), { htmlFor: textId, textContent: "Message" });
    const text = Object.assign(doc.createElement("textarea"), { id: textId, rows: 3, value: item.querySelector(".body")?.innerText || "" });
    const whenLabel = Object.assign(doc.createElement("label"), { htmlFor: whenId, textContent: "Send at" });
    const when = Object.assign(doc.createElement("input"), { id: whenId, type: "datetime-local" });
    if (time) when.value = localInputValue(new Date(time.getAttribute("datetime")), config.timeZone);
    const row = Object.assign(doc.createElement("div"), { className: "row" });
    const save = Object.assign(doc.createElement("button"), { type: "submit", className: "primary small", textContent: "Save" });
    const keep = Object.assign(doc.createElement("button"), { type: "button", className: "secondary small", textContent: "Discard changes" });
    const error = Object.assign(doc.createElement("p"), { className: "composer-error", hidden: true });
    error.setAttribute("role", "alert");
    row.append(save, keep);
    form.append(textLabel, text, whenLabel, when, row, error);
    item.querySelector(".bubble").append(form);
    text.focus();
    keep.addEventListener("click", () => { form.remove(); item.querySelector("[data-schedule-edit]")?.focus(); });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      save.disabled = true;
      try {
        await change(id, "PATCH", { message: text.value, sendAt: zonedIso(when.value, config.timeZone) });
        say("Scheduled message saved.");
        messages.querySelector(`li.message[data-id="${id}"] [data-schedule-edit]`)?.focus();
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
        save.disabled = false;
      }
    });
  }

  messages?.addEventListener("click", async (event) => {
    const item = event.target.closest("li.message");
    if (!item) return;
    if (event.target.closest("[data-schedule-edit]")) openEditor(item);
    else if (event.target.closest("[data-schedule-cancel]")) {
      try {
        await change(item.dataset.id, "DELETE");
        say("Scheduled message canceled: it will not be sent.");
      } catch (failure) {
        say(failure.message);
        showError(failure.message);
      }
    }
  });
}
