// The live connection: one websocket per page (the server's events, by the names the config gives), a
// keep-alive ping, reconnection with capped backoff, and a resync of what was missed on every (re)connection.
import { get } from "./http.js";

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

// handlers: Map of event name → function(payload). The resync answer stands in for missed events: its rows
// are conversation-updated payloads (oldest first once reversed), its messages message-created ones.
export function connectLive({ config, root, handlers, setStatus }) {
  const live = config.live;
  const state = { since: config.now, retry: 0, socket: null };
  const dispatch = (type, payload) => handlers.get(type)?.(payload);

  async function resync() {
    const params = new URLSearchParams({ since: state.since });
    if (config.conversation) params.set("conversation", config.conversation);
    try {
      const answer = await get(`${config.urls.sync}?${params}`);
      if (!answer.ok) return;
      const data = await answer.json();
      data.conversations.reverse().forEach((row) => dispatch(config.events.conversationUpdated, row));
      data.messages.forEach((message) => dispatch(config.events.messageCreated, message));
      state.since = nextSince(data.now, live.resyncMarginMs);
    } catch (e) { /* the next reconnect tries again */ }
  }

  function connect() {
    const socket = new WebSocket(socketUrl(location, config.urls.socket));
    state.socket = socket;
    socket.addEventListener("open", () => {
      state.retry = 0;
      root.dataset.live = "connected";
      setStatus("");
      resync(); // every (re)connection: whatever happened since the page or the last sync was rendered
    });
    socket.addEventListener("message", (event) => {
      const { type, payload } = JSON.parse(event.data);
      dispatch(type, payload);
    });
    socket.addEventListener("close", (event) => {
      root.dataset.live = "lost";
      if (event.code === live.signedOutCode) { setStatus("Signed out: reload to log in."); return; }
      setStatus("Reconnecting…");
      const delay = backoffDelay(state.retry, live);
      state.retry += 1;
      setTimeout(connect, delay);
    });
  }

  connect();
  setInterval(() => { if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify({ type: "ping" })); }, live.pingMs);
}
