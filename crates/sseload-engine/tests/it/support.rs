//! A hub on a loopback port, a paced publisher, and ways to read a report.

use std::net::SocketAddr;
use std::time::Duration;

use sseload_engine::{Engine, Line, Options, Report, Stats};
use sseload_server::{Demo, NewEvent, RunningServer, Server};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A hub with no demo feed, a short `retry` hint, and `replay` events kept per topic.
pub(crate) async fn hub(replay: usize) -> RunningServer {
    let server = Server::builder()
        .demo(Demo::none())
        .retry(Some(Duration::from_millis(50)))
        .replay(replay)
        .build()
        .expect("valid settings");
    server
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .expect("server starts")
}

/// Publishes `{"n": i}` for `i` in `range` on `topic`, one every `every`.
pub(crate) async fn publish_paced(
    server: &RunningServer,
    topic: &str,
    range: std::ops::RangeInclusive<u64>,
    every: Duration,
) {
    let mut ticker = tokio::time::interval(every);
    // A late tick never bursts to catch up: gaps are never shorter than `every`.
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for n in range {
        ticker.tick().await;
        publish(server, topic, n);
    }
}

pub(crate) fn publish(server: &RunningServer, topic: &str, n: u64) {
    let event = NewEvent::new(format!(r#"{{"n":{n}}}"#)).event("tick");
    server.hub().publish(topic, &[event]).expect("publish");
}

/// Waits (with a deadline) until `topic` has `count` subscribers.
pub(crate) async fn subscribers(server: &RunningServer, topic: &str, count: usize) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while server.hub().subscribers(topic) != count {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{topic} never had {count} subscribers"));
}

/// Parses `yaml` with the target set to `addr` and runs it.
pub(crate) async fn run(addr: SocketAddr, yaml: &str) -> Report {
    run_with(addr, yaml, Options::default()).await
}

pub(crate) async fn run_with(addr: SocketAddr, yaml: &str, options: Options) -> Report {
    let engine = start(addr, yaml, options).await;
    tokio::time::timeout(Duration::from_secs(60), engine.run(None))
        .await
        .expect("the run ends by itself")
}

pub(crate) async fn start(addr: SocketAddr, yaml: &str, options: Options) -> Engine {
    let text = format!("target: {{ base_url: \"http://{addr}\" }}\n{yaml}");
    let plan = sseload_scenario::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    Engine::start(plan, options)
        .await
        .expect("the engine starts")
}

/// The statistics of one name.
pub(crate) fn name<'r>(report: &'r Report, name: &str) -> &'r Stats {
    report
        .stats
        .iter()
        .find(|s| s.scope == "name" && s.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no stats for {name}"))
}

/// The global statistics.
pub(crate) fn global(report: &Report) -> &Stats {
    report
        .stats
        .iter()
        .find(|s| s.scope == "global")
        .expect("global stats")
}

/// A metric of a name.
pub(crate) fn metric<'r>(stats: &'r Stats, metric: &str) -> &'r Line {
    stats
        .metrics
        .get(metric)
        .unwrap_or_else(|| panic!("no {metric} in {stats:?}"))
}

/// `sseload_server_events_delivered_total` from the server's `/metrics`.
pub(crate) async fn delivered(addr: SocketAddr) -> u64 {
    counter(addr, "sseload_server_events_delivered_total").await
}

/// A counter or gauge from the server's `/metrics`, by its full name.
pub(crate) async fn counter(addr: SocketAddr, name: &str) -> u64 {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut text = String::new();
    tcp.read_to_string(&mut text).await.expect("read");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}
