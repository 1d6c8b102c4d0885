//! `GET /`: a small page that opens a stream with the browser's `EventSource`.
//!
//! Query parameters: `src` (the stream path, default `/clock`), and for
//! automated checks `report` and `count`: after `count` events the page
//! closes the stream and publishes `{"ids": [...], "errors": n}` (the
//! `lastEventId` of each event seen, and how many `error` events fired, one
//! per lost connection) as a `seen` event to topic `report`.

use http::StatusCode;

use crate::respond::{self, Reply};

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>sseload serve</title></head>
<body>
<h1>sseload serve</h1>
<p>Stream <code id="src"></code>: <span id="count">0</span> events, <span id="errors">0</span> reconnects.</p>
<pre id="log"></pre>
<script>
const params = new URLSearchParams(location.search);
const src = params.get("src") || "/clock";
const report = params.get("report");
const want = Number(params.get("count") || "0");
const seen = [];
let errors = 0;
let reported = false;
document.getElementById("src").textContent = src;
const source = new EventSource(src);
source.onerror = () => {
  errors += 1;
  document.getElementById("errors").textContent = errors;
};
function onEvent(event) {
  seen.push(event.lastEventId);
  document.getElementById("count").textContent = seen.length;
  const log = document.getElementById("log");
  log.textContent = (event.type + " " + event.lastEventId + " " + event.data + "\n" + log.textContent).slice(0, 8000);
  if (report && !reported && seen.length >= want) {
    reported = true;
    source.close();
    fetch("/topics/" + encodeURIComponent(report), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event: "seen", data: { ids: seen, errors: errors } }),
    });
  }
}
for (const type of ["message", "timestamp", "price", "snapshot", "sseload-gap"]) {
  source.addEventListener(type, onEvent);
}
</script>
</body>
</html>
"#;

/// The page.
pub(crate) fn index() -> Reply {
    respond::full(StatusCode::OK, "text/html; charset=utf-8", PAGE)
}
