// The idle timeout's warning (smsinbox/session_limits.py): a minute before the session ends, a dialog counts down
// "You'll be signed out in 60 s" with "Stay signed in", which posts to `/session/` (a real request: the idle
// clock starts again). How long is left is always the server's word: `GET /session/` is a background question
// (it is not activity), asked when the warning would be due, so activity in another tab postpones it. At the
// end the page asks once more; the server, finding the session over, signs it out (its websockets close) and
// the page shows its signed-out notice. A session at its maximum age cannot be extended: the dialog says so.
import { get, markSignedOut, onSignedOut, post } from "./http.js";

export const WARN_SECONDS = 60;
const MAX_WAIT_MS = 5 * 60 * 1000; // asked again at least this often (a rule changed by an admin)
const RETRY_MS = 30 * 1000; // after a failed question (the server restarting)

// Milliseconds until the page should ask again, from the seconds the server said were left (null: no limit).
export function nextCheckMs(expiresIn, warnSeconds = WARN_SECONDS, maxWaitMs = MAX_WAIT_MS) {
  if (expiresIn === null || expiresIn === undefined) return maxWaitMs;
  return Math.max(0, Math.min((expiresIn - warnSeconds) * 1000, maxWaitMs));
}

// The dialog's sentence for `seconds` left.
export function warningText(seconds, renewable) {
  const left = `You'll be signed out in ${Math.max(0, Math.ceil(seconds))} s`;
  return renewable ? `${left} because of inactivity.` : `${left}: sessions have a maximum length. Save your work and sign in again.`;
}

function buildDialog(doc) {
  const dialog = doc.createElement("dialog");
  dialog.id = "idle-warning";
  dialog.className = "shortcuts idle-warning";
  dialog.setAttribute("aria-labelledby", "idle-warning-title");
  dialog.setAttribute("aria-describedby", "idle-warning-text");
  const title = doc.createElement("h2");
  title.id = "idle-warning-title";
  title.textContent = "Still there?";
  const text = doc.createElement("p");
  text.id = "idle-warning-text";
  const stay = doc.createElement("button");
  stay.type = "button";
  stay.className = "primary";
  stay.id = "idle-stay";
  dialog.append(title, text, stay);
  doc.body.append(dialog);
  return dialog;
}

export function wireIdleWarning({ config, doc = document }) {
  const url = config.urls.session;
  const state = { timer: null, tick: null, dialog: null, endsAt: 0, renewable: true, over: false, returnFocus: null };

  function schedule(ms) {
    clearTimeout(state.timer);
    state.timer = setTimeout(check, ms);
  }

  function hide() {
    clearInterval(state.tick);
    if (state.dialog?.open) state.dialog.close();
  }

  function show(seconds, renewable) {
    state.dialog ||= buildDialog(doc);
    const { dialog } = state;
    state.endsAt = Date.now() + seconds * 1000;
    state.renewable = renewable;
    const text = dialog.querySelector("#idle-warning-text");
    const button = dialog.querySelector("#idle-stay");
    button.textContent = renewable ? "Stay signed in" : "OK";
    const render = () => { text.textContent = warningText((state.endsAt - Date.now()) / 1000, renewable); };
    render();
    clearInterval(state.tick);
    state.tick = setInterval(render, 1000);
    if (!dialog.open) {
      state.returnFocus = doc.activeElement;
      dialog.showModal();
      button.focus();
    }
  }

  function heard(answer) {
    if (!answer.signedIn) {
      state.over = true;
      hide();
      markSignedOut();
      return;
    }
    const left = answer.expiresIn;
    if (left !== null && left <= WARN_SECONDS) {
      show(left, answer.renewable);
      schedule(left * 1000 + 500); // at the end: ask once more (the server ends it then)
      return;
    }
    hide();
    schedule(nextCheckMs(left));
  }

  async function ask(write) {
    if (state.over) return;
    try {
      const answer = write ? await post(url, { headers: { Accept: "application/json" } }) : await get(url);
      if (!answer.ok) throw new Error(`session: ${answer.status}`);
      heard(await answer.json());
    } catch (e) {
      if (!state.over) schedule(RETRY_MS);
    }
  }

  function check() { return ask(false); }

  function stay() {
    if (state.renewable) ask(true); else hide();
  }

  state.dialog = buildDialog(doc);
  state.dialog.querySelector("#idle-stay").addEventListener("click", stay);
  state.dialog.addEventListener("cancel", (event) => { event.preventDefault(); stay(); }); // Escape: they are here
  state.dialog.addEventListener("close", () => {
    clearInterval(state.tick);
    state.returnFocus?.focus?.();
    state.returnFocus = null;
  });
  onSignedOut(() => { state.over = true; clearTimeout(state.timer); hide(); });
  schedule(nextCheckMs(config.session?.expiresIn ?? null));
  return { check };
}
