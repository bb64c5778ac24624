// The settings page's buttons for this browser (templates/account/settings.html): allow desktop notifications,
// and turn Web Push on or off. Permission is asked only when a button is pressed, never on load. What the page
// needs (the server's VAPID public key, the URLs) comes from #settings-config.
import { post } from "./http.js";
import { registerServiceWorker } from "./notify.js";

const node = document.getElementById("settings-config");
const config = node ? JSON.parse(node.textContent) : null;
const allow = document.getElementById("allow-desktop");
const pushOn = document.getElementById("push-on");
const pushOff = document.getElementById("push-off");
const state = document.getElementById("permission-state");

// The VAPID key as the browser takes it: base64url → bytes.
export function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function say(text) {
  if (state) state.textContent = text;
}

const PERMISSION_TEXT = {
  granted: "Desktop notifications are allowed in this browser.",
  denied: "This browser blocks notifications from this site: allow them in the browser's site settings.",
  default: "",
};

function pushSupported() {
  return Boolean(config?.vapidPublicKey) && "serviceWorker" in navigator && "PushManager" in window;
}

async function currentSubscription() {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  return registration ? registration.pushManager.getSubscription() : null;
}

async function refresh() {
  const supported = "Notification" in window;
  const permission = supported ? Notification.permission : "denied";
  allow.hidden = !supported || permission !== "default";
  say(supported ? PERMISSION_TEXT[permission] : "This browser cannot show notifications.");
  const subscription = await currentSubscription().catch(() => null);
  const subscribed = Boolean(subscription) && config.subscribedEndpoints.includes(subscription.endpoint);
  pushOn.hidden = !pushSupported() || permission === "denied" || subscribed;
  pushOff.hidden = !subscribed;
}

async function askPermission() {
  const permission = await Notification.requestPermission();
  await refresh();
  return permission;
}

allow?.addEventListener("click", askPermission);

pushOn?.addEventListener("click", async () => {
  try {
    if (Notification.permission !== "granted" && (await askPermission()) !== "granted") return;
    const registration = (await registerServiceWorker(config.urls.serviceWorker)) && (await navigator.serviceWorker.ready);
    if (!registration) throw new Error("no service worker");
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(config.vapidPublicKey),
    });
    const answer = await post(config.urls.subscribe, { json: subscription.toJSON() });
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
    config.subscribedEndpoints.push(subscription.endpoint);
    await refresh();
    say("This device will be notified when no inbox is open.");
  } catch (e) {
    say("Could not turn on notifications for this device. Try again later.");
  }
});

pushOff?.addEventListener("click", async () => {
  try {
    const subscription = await currentSubscription();
    if (subscription) {
      await post(config.urls.unsubscribe, { json: { endpoint: subscription.endpoint } });
      config.subscribedEndpoints = config.subscribedEndpoints.filter((e) => e !== subscription.endpoint);
      await subscription.unsubscribe();
    }
    await refresh();
    say("This device is no longer notified when no inbox is open.");
  } catch (e) {
    say("Could not turn off notifications for this device. Try again later.");
  }
});

if (config) refresh();
