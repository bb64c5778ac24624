// The live connection: one websocket per page (the server's events, by the names the config gives), a
// keep-alive ping, reconnection with capped backoff, and a resync of what was missed on every (re)connection.
// Closed with the signed-out or forbidden code (the session ended: logout here or in another tab, a password
// change, expiry…), it stops for good and says "Signed out" with a link to log in.
import { get, isSignedOut, markSignedOut, onSignedOut } from "./http.js";

// After the `retry`-th failed attempt: base × 2^retry, capped, then shortened by up to the jitter (the config's
// "live" timings; tests/chaos/wsclient.py follows the same rule), so no wait ever exceeds the cap.
export function backoffDelay(retry, live, random = Math.random) {
  return Math.min(live.reconnectMaxMs, live.reconnectBaseMs * 2 ** retry) * (1 - live.reconnectJitter * random());
}

export function socketUrl(location, path) {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
}

// The next resync asks from a little before the server's "now" of the last one: commits in flight.
export function nextSince(serverNow, marginMs) {
  return new Date(Date.parse(serverNow) - marginMs).toISOString();
}

// The close codes after which reconnecting cannot help.
export function isFinalClose(code, live) {
  return code === live.signedOutCode || code === live.forbiddenCode;
}

// The notice shown once signed out: a login link that comes back to this page. Built as elements, never HTML.
export function signedOutNotice(doc, { loginUrl, next, forbidden }) {
  const notice = doc.createElement("div");
  notice.className = "signed-out";
  notice.id = "signed-out";
  notice.setAttribute("role", "alert");
  const strong = doc.createElement("strong");
  strong.textContent = forbidden ? "Signed out of this organization." : "Signed out.";
  const link = doc.createElement("a");
  link.href = `${loginUrl}?${new URLSearchParams({ next })}`;
  link.textContent = "Log in";
  notice.append(strong, " Live updates have stopped. ", link, " to carry on.");
  return notice;
}

// Whether this browser is still signed in (`GET /session/`, smsinbox/web/pages/session.py). Asked once before
// saying "Signed out": a password changed in this browser gives the session a new key, which closes the
// websockets opened with the old one (4401) although the browser is still signed in.
export async function stillSignedIn(url) {
  try {
    const answer = await get(url);
    return answer.ok && (await answer.json()).signedIn === true;
  } catch (e) {
    return false;
  }
}

// handlers: Map of event name → function(payload). The resync answer stands in for missed events: its rows
// are conversation-updated payloads (oldest first once reversed), its messages message-created ones, its notes
// note-created ones.
// onOpen: called on every (re)connection. Returns { send(frame) }: a frame for the server, dropped while closed.
export function connectLive({ config, root, handlers, setStatus, onOpen = () => {} }) {
  const live = config.live;
  const state = { since: config.now, retry: 0, socket: null, forbidden: false, rechecked: false };
  const dispatch = (type, payload) => handlers.get(type)?.(payload);

  onSignedOut(() => {
    root.dataset.live = "signed-out";
    setStatus("Signed out");
    state.socket?.close();
    if (!document.getElementById("signed-out")) {
      const next = location.pathname + location.search;
      root.before(signedOutNotice(document, { loginUrl: config.urls.login, next, forbidden: state.forbidden }));
    }
  });

  async function resync() {
    const params = new URLSearchParams({ since: state.since });
    if (config.conversation) params.set("conversation", config.conversation);
    try {
      const answer = await get(`${config.urls.sync}?${params}`);
      if (!answer.ok) return;
      const data = await answer.json();
      data.conversations.reverse().forEach((row) => dispatch(config.events.conversationUpdated, row));
      data.messages.forEach((message) => dispatch(config.events.messageCreated, message));
      (data.notes || []).forEach((note) => dispatch(config.events.noteCreated, note));
      (data.events || []).forEach((event) => dispatch(config.events.activityCreated, event));
      state.since = nextSince(data.now, live.resyncMarginMs);
    } catch (e) { /* the next reconnect tries again */ }
  }

  function connect() {
    const socket = new WebSocket(socketUrl(location, config.urls.socket));
    state.socket = socket;
    socket.addEventListener("open", () => {
      state.retry = 0;
      state.rechecked = false;
      root.dataset.live = "connected";
      setStatus("");
      resync(); // every (re)connection: whatever happened since the page or the last sync was rendered
      onOpen();
    });
    socket.addEventListener("message", (event) => {
      const { type, payload } = JSON.parse(event.data);
      dispatch(type, payload);
    });
    socket.addEventListener("close", async (event) => {
      if (isSignedOut()) return;
      if (isFinalClose(event.code, live)) {
        state.forbidden = event.code === live.forbiddenCode;
        if (!state.forbidden && !state.rechecked) {
          state.rechecked = true; // once: a second 4401 in a row is final
          // (after a moment: the request that changed the password is still setting the new key's cookie)
          await new Promise((resolve) => { setTimeout(resolve, live.reconnectBaseMs); });
          if (await stillSignedIn(config.urls.session)) { connect(); return; }
        }
        markSignedOut();
        return;
      }
      root.dataset.live = "lost";
      setStatus("Reconnecting…");
      const delay = backoffDelay(state.retry, live);
      state.retry += 1;
      setTimeout(connect, delay);
    });
  }

  const send = (frame) => { if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(frame)); };
  connect();
  setInterval(() => send({ type: "ping" }), live.pingMs);
  return { send };
}
