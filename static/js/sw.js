// The service worker (served at /sw.js by smsinbox/web/pages/pwa.py, so its scope is the whole site).
// Web Push: the server pushes each notification the rule gives this user (smsinbox/notifications/push.py),
// encrypted for this browser's subscription; it is shown here unless an inbox window is visible and focused
// (that tab shows it itself, static/js/notify.js). The tab's copy and this one share a tag, so a browser shows
// one of them, never both. Clicking a notification focuses an open inbox window (opening the thread there) or
// opens a new one. No fetch handler: the inbox is online-only, nothing is cached.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

async function onPush(event) {
  let data;
  try {
    data = event.data.json();
  } catch (e) {
    return;
  }
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  if (windows.some((client) => client.visibilityState === "visible" && client.focused)) return;
  await self.registration.showNotification(data.title || "smsinbox", {
    body: data.body || "",
    tag: data.tag,
    icon: data.icon,
    data: { url: data.url || "/" },
  });
}

self.addEventListener("push", (event) => event.waitUntil(onPush(event)));

async function onClick(event) {
  event.notification.close();
  const target = new URL(event.notification.data?.url || "/", self.location.origin);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const same = windows.find((client) => new URL(client.url).pathname === target.pathname);
  if (same) return same.focus();
  if (windows[0]) {
    const client = await windows[0].focus();
    return client.navigate(target.href);
  }
  return self.clients.openWindow(target.href);
}

self.addEventListener("notificationclick", (event) => event.waitUntil(onClick(event)));
