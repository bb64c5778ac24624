// The page's configuration: what the server tells the scripts (smsinbox/web/pages/inbox.py, inbox_config),
// rendered as JSON in <script type="application/json" id="inbox-config">. The scripts keep no copy of a
// server rule: statuses, limits, segment rules, event names, URLs and live-connection timings are read here.

export function readConfig(doc = document) {
  const node = doc.getElementById("inbox-config");
  return node ? JSON.parse(node.textContent) : null;
}

// { status: rank } and { status: label } from the config's ordered list of statuses.
export function statusTables(statuses) {
  const rank = {};
  const label = {};
  for (const status of statuses) {
    rank[status.value] = status.rank;
    label[status.value] = status.label;
  }
  return { rank, label };
}

// A URL pattern's "{id}" replaced: "/c/{id}/?filter=open" → "/c/7/?filter=open".
export function urlFor(pattern, id) {
  return pattern.replace("{id}", encodeURIComponent(String(id)));
}
