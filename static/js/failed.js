// The Failed page: "Select all on this page" (the page works without it: each row has its checkbox).
const all = document.getElementById("select-all");
const boxes = [...document.querySelectorAll('#failed-list input[name="message_ids"]')];
if (all && boxes.length) {
  all.closest("label").hidden = false;
  const sync = () => {
    const checked = boxes.filter((b) => b.checked).length;
    all.checked = checked === boxes.length;
    all.indeterminate = checked > 0 && checked < boxes.length;
  };
  all.addEventListener("change", () => { boxes.forEach((b) => { b.checked = all.checked; }); sync(); });
  boxes.forEach((b) => b.addEventListener("change", sync));
  sync();
}
