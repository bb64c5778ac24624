// How long an inbox waits before opening its websocket again (tests/chaos/wsclient.py follows the same rule).
// Doubling from 0.5 s after each failed attempt, but never more than 4 s, jitter included: after an outage
// (Redis restarted, a deploy) every inbox tries again within 4 s of the server being able to serve it, and a
// connection plus its resync take well under a second, so every inbox is live and resynced within 5 s.
// The jitter spreads each wait over the top quarter below its ceiling, so reconnects do not come in waves.
export const RECONNECT_FIRST_MS = 500;
export const RECONNECT_MAX_MS = 4000;

export function reconnectDelay(retry, random = Math.random) {
  return Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** retry) * (0.75 + 0.25 * random());
}
