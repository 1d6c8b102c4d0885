//! Counters and their OpenMetrics text rendering for `GET /metrics`.
//!
//! The counters are plain atomics bumped off the lock where possible; the
//! per-topic numbers are read from the hub under its lock when rendered.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::hub::Hub;

/// The content type of `GET /metrics`.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Hub- and server-wide counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) published: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) replayed: AtomicU64,
    pub(crate) resumes: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) refused: AtomicU64,
}

/// Renders every metric in OpenMetrics text format, ending with `# EOF`.
pub(crate) fn render(hub: &Hub) -> String {
    let mut out = String::with_capacity(2048);
    render_topics(hub, &mut out);
    let c = hub.counters();
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    counter(
        &mut out,
        "sseload_server_events_delivered",
        "Events written to subscriber streams, replays included.",
        load(&c.delivered),
    );
    counter(
        &mut out,
        "sseload_server_subscribers_dropped",
        "Subscribers disconnected because their queue overflowed.",
        load(&c.dropped),
    );
    counter(
        &mut out,
        "sseload_server_events_replayed",
        "Events sent from the replay buffer to resuming subscribers.",
        load(&c.replayed),
    );
    counter(
        &mut out,
        "sseload_server_resumes",
        "Subscriptions that carried a Last-Event-ID.",
        load(&c.resumes),
    );
    counter(
        &mut out,
        "sseload_server_connections_refused",
        "Connections answered 503 because of the connection limit.",
        load(&c.refused),
    );
    gauge_header(
        &mut out,
        "sseload_server_connections",
        "Open TCP connections.",
    );
    let _ = writeln!(out, "sseload_server_connections {}", load(&c.connections));
    out.push_str("# EOF\n");
    out
}

fn render_topics(hub: &Hub, out: &mut String) {
    let state = hub.lock();
    let mut topics: Vec<_> = state.topics.iter().collect();
    topics.sort_unstable_by(|a, b| a.0.cmp(b.0));
    gauge_header(out, "sseload_server_subscribers", "Subscribers per topic.");
    for (name, topic) in &topics {
        let _ = writeln!(
            out,
            "sseload_server_subscribers{{topic=\"{name}\"}} {}",
            topic.subscribers()
        );
    }
    let name = "sseload_server_events_published";
    let _ = writeln!(
        out,
        "# TYPE {name} counter\n# HELP {name} Events published per topic."
    );
    for (topic_name, topic) in &topics {
        let _ = writeln!(
            out,
            "{name}_total{{topic=\"{topic_name}\"}} {}",
            topic.published
        );
    }
}

fn gauge_header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# TYPE {name} gauge\n# HELP {name} {help}");
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    let _ = writeln!(
        out,
        "# TYPE {name} counter\n# HELP {name} {help}\n{name}_total {value}"
    );
}
