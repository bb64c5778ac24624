// Times in the viewer's zone (the user's profile's, else their browser's: the server says which), and
// relative times for the conversation list.

export function formatters(timeZone) {
  return {
    absolute: new Intl.DateTimeFormat(undefined, {
      month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: timeZone || undefined,
    }),
    relative: new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }),
    // As the server writes a moment for people ("Dec 1, 2026, 12:32 AM": PEOPLE_DATETIME), in the viewer's zone.
    withYear: new Intl.DateTimeFormat(undefined, {
      month: "short", day: "numeric", year: "numeric", hour: "numeric", minute: "2-digit", timeZone: timeZone || undefined,
    }),
    withWeekday: new Intl.DateTimeFormat(undefined, {
      weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: timeZone || undefined,
    }),
  };
}

// When a snoozed thread comes back: "Tue, Dec 8, 9:00 AM", in the viewer's zone.
export function snoozeText(date, format) {
  return format.withWeekday.format(date);
}

// "just now", "5 minutes ago", "in 2 hours", "yesterday"…; a week or more away, the date itself.
export function relativeText(date, now, { absolute, relative }) {
  const seconds = Math.round((date - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return "just now";
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
  if (abs < 7 * 86400) return relative.format(Math.round(seconds / 86400), "day");
  return absolute.format(date);
}

// A list row's <time>: relative text, the full time as its title.
export function showRelative(node, iso, format, now = Date.now()) {
  const date = new Date(iso);
  node.setAttribute("datetime", iso);
  node.textContent = relativeText(date, now, format);
  node.title = format.absolute.format(date);
}

export function refreshRelativeTimes(root, format) {
  root.querySelectorAll(".conversation time.when").forEach((node) => showRelative(node, node.getAttribute("datetime"), format));
}

// The cookie that tells the server the browser's zone: "tz=America/New_York". Written as it is (IANA names are
// cookie-safe): Django reads cookie values without percent-decoding, so "America%2FNew_York" named no zone.
export function timeZoneCookie(zone) {
  return zone && /^[A-Za-z0-9_+\-\/]+$/.test(zone) ? `tz=${zone}; path=/; max-age=31536000; samesite=lax` : null;
}

// The server shows times in the browser's own zone unless the user chose one: tell it the zone.
export function rememberTimeZone() {
  try {
    const cookie = timeZoneCookie(Intl.DateTimeFormat().resolvedOptions().timeZone);
    if (cookie) document.cookie = cookie;
  } catch (e) { /* old browsers keep UTC */ }
}
