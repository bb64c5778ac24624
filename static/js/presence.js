// Presence: who else has the open thread on screen or is typing in it (a line above the composer), and a marker on
// the list's rows of conversations someone else is in. Heard as `presence.changed` events (the server never sends
// one's own back); an entry not refreshed within its TTL is dropped here by the server's rule (smsinbox/presence.py:
// the timings come from the config). This page says where it is: "viewing" every heartbeat while a thread is open,
// "typing" on input (throttled), "left" when the page goes (the server also says it when the websocket closes).

// "alice", "alice and carol", "alice, bob and carol" (the list formatter of the page's language).
export function joinNames(names, locale) {
  return new Intl.ListFormat(locale, { style: "long", type: "conjunction" }).format(names);
}

// What the thread's line (and a row's marker) says about the people in a conversation: [{ name, typing }].
export function describe(people, locale) {
  const typing = people.filter((p) => p.typing).map((p) => p.name);
  const viewing = people.filter((p) => !p.typing).map((p) => p.name);
  const parts = [];
  if (typing.length) parts.push(`${joinNames(typing, locale)} ${typing.length > 1 ? "are" : "is"} typing…`);
  if (viewing.length) parts.push(`${joinNames(viewing, locale)} ${viewing.length > 1 ? "are" : "is"} viewing`);
  return parts.join(" · ");
}

// Apply a heard payload to the entries (Map of "conversation:connection" → entry); returns whether it changed them.
export function applyPresence(entries, p, now, timings) {
  const key = `${p.conversationId}:${p.connection}`;
  if (p.state === "left") return entries.delete(key);
  const previous = entries.get(key);
  const typingUntil = p.state === "typing" ? now + Math.min(p.typingMs || timings.typingTtlMs, timings.typingTtlMs) : previous?.typingUntil || 0;
  entries.set(key, {
    conversationId: p.conversationId,
    userId: p.userId,
    name: p.name,
    until: now + Math.min(p.ttlMs ?? timings.ttlMs, timings.ttlMs),
    typingUntil,
  });
  return true;
}

// Drop the entries not refreshed in time; returns whether any was dropped.
export function expireEntries(entries, now) {
  let changed = false;
  for (const [key, entry] of entries) if (entry.until <= now) { entries.delete(key); changed = true; }
  return changed;
}

// The people in one conversation, one per user (two tabs of one person are one), typing if any tab is.
export function peopleIn(entries, conversationId, now) {
  const byUser = new Map();
  for (const entry of entries.values()) {
    if (entry.conversationId !== conversationId) continue;
    const typing = entry.typingUntil > now;
    const known = byUser.get(entry.userId);
    byUser.set(entry.userId, { name: entry.name, typing: typing || Boolean(known?.typing) });
  }
  return Array.from(byUser.values()).sort((a, b) => a.name.localeCompare(b.name));
}

export function createPresence({ config, list, line, doc = document, clock = () => Date.now() }) {
  const timings = config.presence;
  const locale = doc.documentElement.lang || undefined;
  const entries = new Map();

  function marker(text) {
    const span = doc.createElement("span");
    span.className = "presence-marker";
    span.title = text;
    const hidden = doc.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = text;
    span.append(hidden);
    return span;
  }

  function renderList() {
    if (!list) return;
    const now = clock();
    list.querySelectorAll("li.conversation").forEach((row) => {
      const people = peopleIn(entries, Number(row.dataset.id), now);
      const text = describe(people, locale);
      const shown = row.querySelector(".presence-marker");
      row.classList.toggle("someone-here", Boolean(text));
      if (!text) { shown?.remove(); return; }
      if (shown?.title === text) return;
      const fresh = marker(text);
      fresh.classList.toggle("typing", people.some((p) => p.typing));
      if (shown) shown.replaceWith(fresh); else row.querySelector(".badges")?.prepend(fresh);
    });
  }

  function render() {
    if (line && config.conversation) {
      const text = describe(peopleIn(entries, config.conversation, clock()), locale);
      if (line.textContent !== text) line.textContent = text; // unchanged text is not announced again
    }
    renderList();
  }

  function heard(p) {
    if (p.organizationId !== config.organization || p.userId === config.user) return;
    if (applyPresence(entries, p, clock(), timings)) render();
  }

  // Rows the list re-renders (heard live) get their marker back.
  if (list) new MutationObserver(renderList).observe(list, { childList: true });
  // Entries not heard refreshed expire; typing turns back into viewing.
  let typingShown = 0;
  setInterval(() => {
    const now = clock();
    const typingNow = Array.from(entries.values()).filter((e) => e.typingUntil > now).length;
    if (expireEntries(entries, now) || typingNow !== typingShown) render();
    typingShown = typingNow;
  }, 250);

  // This page's own presence: `send` posts a frame on the live websocket (dropped while it is closed).
  function wire({ send, input }) {
    if (!config.conversation) return { onOpen() {} };
    const say = (state) => send({ type: "presence", conversationId: config.conversation, state });
    let lastTyping = 0;
    input?.addEventListener("input", () => {
      const now = clock();
      if (now - lastTyping < timings.typingThrottleMs) return;
      lastTyping = now;
      say("typing");
    });
    setInterval(() => say("viewing"), timings.heartbeatMs);
    doc.defaultView.addEventListener("pagehide", () => say("left"));
    doc.defaultView.addEventListener("pageshow", (event) => { if (event.persisted) say("viewing"); });
    return { onOpen: () => say("viewing") };
  }

  return { heard, render, wire };
}
