// SMS segments and encoding, by the rules messaging/segments.py bills with: the server hands the tables and
// sizes over (the config's "segments", segment_rules()); tests/browser compares the two on the same texts.

export function compileRules(rules) {
  return {
    basic: new Set(Array.from(rules.gsm7Basic)),
    extension: new Set(Array.from(rules.gsm7Extension)),
    gsm7: rules.gsm7,
    ucs2: rules.ucs2,
  };
}

export function segmentInfo(body, rules) {
  const chars = Array.from(body);
  const gsm = chars.every((ch) => rules.basic.has(ch) || rules.extension.has(ch));
  let units, sizes, encoding;
  if (gsm) {
    encoding = "GSM-7";
    units = chars.reduce((n, ch) => n + (rules.extension.has(ch) ? 2 : 1), 0);
    sizes = rules.gsm7;
  } else {
    encoding = "UCS-2";
    units = body.length; // JavaScript strings are UTF-16 code units, as UCS-2 segments count them
    sizes = rules.ucs2;
  }
  const segments = units <= sizes.single ? 1 : Math.ceil(units / sizes.multi);
  return { encoding, characters: chars.length, units, segments };
}
