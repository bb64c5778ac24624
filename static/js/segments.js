// SMS segments and encoding, the same rules as messaging/segments.py (keep them in step).
const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
);
const GSM7_EXTENSION = new Set("\f^{}\\[~]|€");

export function segmentInfo(body) {
  const chars = Array.from(body);
  const gsm = chars.every((ch) => GSM7_BASIC.has(ch) || GSM7_EXTENSION.has(ch));
  let units, single, multi, encoding;
  if (gsm) {
    encoding = "GSM-7";
    units = chars.reduce((n, ch) => n + (GSM7_EXTENSION.has(ch) ? 2 : 1), 0);
    single = 160;
    multi = 153;
  } else {
    encoding = "UCS-2";
    units = body.length; // JavaScript strings are UTF-16 code units, as UCS-2 segments count them
    single = 70;
    multi = 67;
  }
  const segments = units <= single ? 1 : Math.ceil(units / multi);
  return { encoding, characters: chars.length, units, segments };
}
