// Notifications while an inbox tab is open. The server decides who is notified of what
// (smsinbox/notifications/rules.py) and sends this user one "notification.created" event per notification; this
// module only shows it, as the user's preferences say (config.notifications: sound, desktop):
// - every tab of the organization it is for: a count on the favicon (drawn on a canvas from our own favicon), kept
//   while the tab is in the background and cleared when the person comes back to it;
// - ONE of the user's tabs: a desktop notification (the browser's Notification API, only once the person allowed
//   it from a button on the settings page: permission is never asked here) and, if chosen, a short tone made with
//   WebAudio. Clicking the notification focuses the tab and opens the thread.
//
// Which tab: the claim protocol, over BroadcastChannel("smsinbox-notify-<user id>"), one per user:
//   1. A tab that receives notification T posts {type: "claim", tag: T, tab: ID, at: TIME}, where TIME is when it
//      received it (Date.now(): one clock for all tabs of a browser) and ID a random id the tab chose at load.
//   2. Every tab records every claim it hears (and its own), by tag, for CLAIM_MEMORY_MS.
//   3. CLAIM_WINDOW_MS after its own claim, each tab takes the earliest claim for T (lowest TIME, then lowest ID).
//      The tab whose claim that is shows the notification and plays the tone; the others do nothing more.
//   A tab showing that very thread to the person claims with TIME 0: it wins, and shows nothing (they see it).
//   Messages between tabs take well under a millisecond, so every tab decides on the same claims. A tab that hears
//   of T late (a slower socket) has already recorded the earlier claims, and its own, later, claim loses: at most
//   one tab shows T. Without BroadcastChannel each tab is alone and shows its own.
//   The Web Push copy of the same notification (static/js/sw.js) carries the same tag: a browser shows one
//   notification per tag, so a push arriving while a tab is hidden replaces the tab's notification, not doubles it.
import { urlFor } from "./config.js";

export const CLAIM_WINDOW_MS = 150;
export const CLAIM_MEMORY_MS = 60_000;

// The earliest of a tag's claims: [{tab, at}] → the winning tab id.
export function claimWinner(claims) {
  let best = null;
  for (const claim of claims) {
    if (!best || claim.at < best.at || (claim.at === best.at && claim.tab < best.tab)) best = claim;
  }
  return best ? best.tab : null;
}

// "(3)" style label of the favicon badge: 1…9, then "9+".
export function badgeLabel(count) {
  return count > 9 ? "9+" : String(count);
}

function randomId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The favicon with a red count in its corner (count 0: the plain favicon again).
function createFaviconBadge(doc) {
  const link = doc.querySelector('link[rel="icon"]');
  if (!link) return { set() {} };
  const original = { href: link.getAttribute("href"), type: link.getAttribute("type") || "" };
  let image = null;
  function load() {
    if (image) return image;
    image = new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => resolve(img);
      img.onerror = reject;
      img.src = original.href;
    });
    return image;
  }
  let drawn = 0;
  return {
    async set(count) {
      drawn = count;
      link.dataset.badge = String(count);
      if (count === 0) {
        link.href = original.href;
        link.type = original.type;
        return;
      }
      try {
        const img = await load();
        if (drawn !== count) return; // a newer count was asked for meanwhile
        const size = 64;
        const canvas = doc.createElement("canvas");
        canvas.width = canvas.height = size;
        const ctx = canvas.getContext("2d");
        ctx.drawImage(img, 0, 0, size, size);
        ctx.beginPath();
        ctx.arc(size - 18, 18, 18, 0, 2 * Math.PI);
        ctx.fillStyle = "#d93025";
        ctx.fill();
        ctx.lineWidth = 3;
        ctx.strokeStyle = "#ffffff";
        ctx.stroke();
        ctx.fillStyle = "#ffffff";
        ctx.font = "bold 22px system-ui, sans-serif";
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.fillText(badgeLabel(count), size - 18, 19);
        link.type = "image/png";
        link.href = canvas.toDataURL("image/png");
      } catch (e) { /* the favicon could not be drawn: the title still counts */ }
    },
  };
}

// A short two-note tone, made with WebAudio (no audio file). Browsers may keep audio suspended until the person
// has interacted with the page; then the tone is silently skipped.
function createTone() {
  let context = null;
  return function play() {
    const Audio = window.AudioContext || window.webkitAudioContext;
    if (!Audio) return false;
    try {
      context ||= new Audio();
      if (context.state === "suspended") context.resume().catch(() => {});
      const t = context.currentTime + 0.01;
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.setValueAtTime(880, t);
      oscillator.frequency.setValueAtTime(660, t + 0.12);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(t);
      oscillator.stop(t + 0.32);
      return true;
    } catch (e) {
      return false;
    }
  };
}

// Register the service worker (Web Push when no tab is open; installable app). Asks no permission.
export function registerServiceWorker(url) {
  if (!("serviceWorker" in navigator) || !url) return Promise.resolve(null);
  return navigator.serviceWorker.register(url, { scope: "/" }).catch(() => null);
}

// Wire the notifications of the inbox page: returns the handler of "notification.created".
export function createNotifier({ config, doc = document, root }) {
  const prefs = config.notifications || {};
  const tab = randomId();
  const claims = new Map(); // tag → [{tab, at}]
  const badge = createFaviconBadge(doc);
  const tone = createTone();
  let unseen = 0;
  let away = doc.visibilityState === "hidden" || !doc.hasFocus();
  const channel = "BroadcastChannel" in window ? new BroadcastChannel(`smsinbox-notify-${config.user}`) : null;

  function remember(tag, claim) {
    const list = claims.get(tag) || [];
    list.push(claim);
    claims.set(tag, list);
    setTimeout(() => claims.delete(tag), CLAIM_MEMORY_MS);
  }
  channel?.addEventListener("message", (event) => {
    const { type, tag, tab: other, at } = event.data || {};
    if (type === "claim" && typeof tag === "string") remember(tag, { tab: other, at });
  });

  function back() {
    away = false;
    if (unseen) { unseen = 0; badge.set(0); }
  }
  window.addEventListener("focus", back);
  window.addEventListener("blur", () => { away = true; });
  doc.addEventListener("visibilitychange", () => { if (doc.visibilityState === "visible" && doc.hasFocus()) back(); else away = true; });

  // The person is looking at this very thread: nothing to tell them.
  function seeing(notification) {
    return !away && doc.visibilityState === "visible" && notification.conversation === config.conversation;
  }

  function show(notification) {
    const url = urlFor(config.urls.thread, notification.conversation);
    if (prefs.sound && tone()) root.dataset.notifySounds = String(Number(root.dataset.notifySounds || 0) + 1);
    if (!prefs.desktop || !("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const shown = new Notification(notification.title, {
        body: notification.body,
        tag: notification.tag,
        icon: notification.icon || prefs.icon,
        data: { url },
      });
      shown.onclick = () => {
        window.focus();
        shown.close();
        if (notification.conversation !== config.conversation) location.assign(url);
      };
    } catch (e) { /* this browser shows notifications only from a service worker */ }
  }

  return function onNotification(notification) {
    if (notification.organization !== config.organization) return;
    const looking = seeing(notification);
    if (away) { unseen += 1; badge.set(unseen); }
    if (!channel) {
      if (!looking) show(notification);
      root.dataset.notifyDecided = `${notification.tag} ${looking ? "left" : "shown"}`;
      return;
    }
    // A tab showing the thread in front of the person claims first of all (at 0): it wins and shows nothing.
    const mine = { tab, at: looking ? 0 : Date.now() };
    remember(notification.tag, mine);
    channel.postMessage({ type: "claim", tag: notification.tag, ...mine });
    setTimeout(() => {
      const won = !looking && claimWinner(claims.get(notification.tag) || []) === tab;
      if (won) show(notification);
      root.dataset.notifyDecided = `${notification.tag} ${won ? "shown" : "left"}`; // what this tab decided, last
    }, CLAIM_WINDOW_MS);
  };
}
