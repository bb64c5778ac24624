// The inbox page's entry: wires the modules to the page. No third-party code; every message body is
// inserted as text, never as HTML. What the modules need to know comes from the server (config.js).
import { wireCanned } from "./canned.js";
import { optOutText, wireComposer } from "./composer.js";
import { readConfig } from "./config.js";
import { wireIdleWarning } from "./idle.js";
import { wireKeyboard } from "./keyboard.js";
import { wireLabels } from "./labels.js";
import { createList } from "./list.js";
import { connectLive } from "./live.js";
import { wireNotes } from "./notes.js";
import { wireActivity } from "./activity.js";
import { wireSchedule } from "./schedule.js";
import { wireSnooze } from "./snooze.js";
import { createPresence } from "./presence.js";
import { createNotifier, registerServiceWorker } from "./notify.js";
import { createThread } from "./thread.js";
import { formatters, refreshRelativeTimes, rememberTimeZone } from "./times.js";

rememberTimeZone();

document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.requestSubmit());
  const button = select.form.querySelector("button[type=submit]");
  if (button) button.hidden = true;
});

const root = document.getElementById("inbox");
const config = readConfig();
if (root && config) {
  const format = formatters(config.timeZone);
  const list = createList({ config, list: document.getElementById("conversation-list"), format });
  const thread = createThread({ config, messages: document.getElementById("messages"), format });
  const liveState = document.getElementById("live-state");
  const composer = wireComposer({ config, thread });
  wireSchedule({ config, thread, composer });
  const canned = wireCanned({ config });
  const notes = wireNotes({ config, thread, format });
  const activity = wireActivity({ config, thread, format });
  const labels = wireLabels({ config, list: document.getElementById("conversation-list"), onRow: (c) => list.upsert(c) });
  const snooze = wireSnooze({ config });
  const presence = createPresence({ config, list: document.getElementById("conversation-list"), line: document.getElementById("presence-line") });
  let live = null;
  const here = presence.wire({ send: (frame) => live?.send(frame), input: document.getElementById("body") });
  const notify = createNotifier({ config, root });
  registerServiceWorker(config.urls.serviceWorker);

  live = connectLive({
    config,
    root,
    onOpen: here.onOpen,
    handlers: new Map([
      [config.events.presenceChanged, presence.heard],
      [config.events.messageCreated, (m) => { thread.add(m); list.noteMessage(m); }],
      [config.events.messageStatusChanged, (m) => { thread.updateStatus(m); list.noteStatus(m); }],
      [config.events.messageUpdated, (m) => thread.replace(m)],
      [config.events.noteCreated, (n) => notes.add(n)],
      [config.events.activityCreated, (e) => activity.add(e)],
      [config.events.mentionCreated, (p) => notes.mentioned(p)],
      [config.events.conversationWoken, (p) => snooze.woken(p)],
      [config.events.cannedReplyChanged, (p) => canned?.forget(p)],
      [config.events.conversationUpdated, (c) => {
        list.upsert(c);
        if (thread.follow(c)) composer?.setOptOut(optOutText(c, format));
        labels.followConversation(c);
        labels.refreshCounts();
      }],
      [config.events.conversationRemoved, (p) => {
        list.remove(p);
        // The open thread was merged (open the one it went into) or erased (back to the list).
        if (p.id === config.conversation && p.organizationId === config.organization) {
          window.location.assign(p.into ? list.link({ id: p.into }) : config.urls.home);
        }
      }],
      [config.events.labelChanged, (p) => labels.labelChanged(p)],
      [config.events.notificationCreated, notify],
    ]),
    setStatus: (text) => { if (liveState) liveState.textContent = text; },
  });
  setInterval(() => refreshRelativeTimes(root, format), config.timesRefreshMs);
  refreshRelativeTimes(root, format);
  list.updateTitle();
  thread.wireScrolling();
  thread.wireOlder(document.getElementById("load-older"));
  thread.wireRetry();
  thread.wireActions({ onRow: list.upsert });
  wireKeyboard({ config });
  wireIdleWarning({ config });
}
