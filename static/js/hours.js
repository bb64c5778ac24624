// The Business hours page (templates/hours/page.html): each reply's box shows the composer's own counter
// (characters / limit · segments · encoding, by segments.js with the server's rules) as it is typed.
import { counterText } from "./composer.js";
import { compileRules, segmentInfo } from "./segments.js";

const config = JSON.parse(document.getElementById("hours-config").textContent);
const rules = compileRules(config.segments);
const max = config.limits.body;

for (const box of document.querySelectorAll("textarea[data-counter]")) {
  const counter = document.getElementById(box.dataset.counter);
  const update = () => {
    const info = segmentInfo(box.value, rules);
    counter.textContent = counterText(info, max);
    counter.classList.toggle("over", info.length > max);
  };
  box.addEventListener("input", update);
  update();
}
