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

// A character is never split across two segments: an escape pair or a surrogate pair that does not fit in what is
// left of a segment starts the next one. `length` is what the 1,600 limit counts: UTF-16 code units, as a
// textarea's maxlength and Twilio's 21617 count them (an emoji is two).
export function segmentInfo(body, rules) {
  const chars = Array.from(body);
  const gsm = chars.every((ch) => rules.basic.has(ch) || rules.extension.has(ch));
  const encoding = gsm ? "GSM-7" : "UCS-2";
  const sizes = gsm ? rules.gsm7 : rules.ucs2;
  // GSM-7: extension characters cost two septets; UCS-2: a character outside the BMP is two code units.
  const costs = chars.map((ch) => (gsm ? (rules.extension.has(ch) ? 2 : 1) : ch.length));
  const units = costs.reduce((n, cost) => n + cost, 0);
  let segments = 1;
  if (units > sizes.single) {
    let used = 0;
    for (const cost of costs) {
      if (used + cost > sizes.multi) {
        segments += 1;
        used = 0;
      }
      used += cost;
    }
  }
  return { encoding, characters: chars.length, length: body.length, units, segments };
}
