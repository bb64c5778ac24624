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

// How many minutes `timeZone` is ahead of UTC at `date` (negative west of Greenwich).
export function zoneOffsetMinutes(date, timeZone) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: timeZone || undefined, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(date).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute, +parts.second);
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
}

const pad = (n) => String(n).padStart(2, "0");

// A <input type=datetime-local> value ("2026-12-08T09:00"), a wall time in `timeZone` (the viewer's), as ISO 8601
// with that zone's offset then ("2026-12-08T09:00:00-05:00"): what the API takes. "" for an empty value.
export function zonedIso(local, timeZone) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local || "");
  if (!match) return "";
  const [, y, mo, d, h, mi] = match.map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  let offset = zoneOffsetMinutes(new Date(wall), timeZone);
  offset = zoneOffsetMinutes(new Date(wall - offset * 60000), timeZone);
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

// The datetime-local value of `date` as a wall time in `timeZone`.
export function localInputValue(date, timeZone) {
  const shifted = new Date(date.getTime() + zoneOffsetMinutes(date, timeZone) * 60000);
  return shifted.toISOString().slice(0, 16);
}
