//! Faults at the process level: `sseload serve` killed with SIGKILL in the
//! middle of an `sseload run` and in the middle of a publish stream, then
//! restarted on the same port and data directory; and a publisher flood
//! against stalled and vanished subscribers, with the server's RSS sampled.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

fn sseload() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sseload"))
}

/// An empty directory of this test's own under Cargo's scratch space.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("faults")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn wait_exit(mut child: Child) -> std::process::ExitStatus {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait().unwrap()));
    rx.recv_timeout(DEADLINE).expect("the process exits")
}

/// A running `sseload serve`.
struct Serve {
    child: Child,
    addr: String,
}

impl Serve {
    /// Starts `sseload serve` on `bind` and waits for its banner.
    fn start(bind: &str, flags: &[&str]) -> Self {
        let mut child = sseload()
            .args([
                "serve",
                "--bind",
                bind,
                "--heartbeat",
                "off",
                "--demo",
                "none",
            ])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let _ = tx.send(line);
            }
        });
        let first = rx.recv_timeout(DEADLINE).expect("a banner");
        let addr = first
            .strip_prefix("sseload serve: listening on http://")
            .unwrap_or_else(|| panic!("unexpected banner {first:?}"))
            .to_owned();
        Self { child, addr }
    }

    /// SIGKILL to this one process: nothing but what is on disk survives.
    fn kill_9(mut self) {
        self.child.kill().unwrap();
        assert!(!wait_exit(self.child).success());
    }

    /// The server's resident set size, from `/proc`.
    fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status");
        kib * 1024
    }

    fn stop(mut self) {
        self.child.kill().unwrap();
        let _ = wait_exit(self.child);
    }
}

/// One request with `Connection: close`; the whole response, or the I/O error.
fn http(addr: &str, request: &str) -> std::io::Result<String> {
    let mut tcp = TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(DEADLINE))?;
    tcp.write_all(request.as_bytes())?;
    let mut response = String::new();
    tcp.read_to_string(&mut response)?;
    Ok(response)
}

/// `POST /topics/{topic}`; the ids the server acknowledged (none if it did not answer 200).
fn publish(addr: &str, topic: &str, body: &str) -> Vec<u64> {
    let request = format!(
        "POST /topics/{topic} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let Ok(response) = http(addr, &request) else {
        return Vec::new();
    };
    if !response.starts_with("HTTP/1.1 200") {
        return Vec::new();
    }
    let Some((_, ids)) = response.rsplit_once(r#"{"ids":["#) else {
        return Vec::new();
    };
    ids.trim_end_matches("]}")
        .split(',')
        .map(|id| id.trim_matches('"').parse().unwrap())
        .collect()
}

/// One sample of the server's `/metrics` (`name{labels}` as written there).
fn metric(addr: &str, series: &str) -> Option<u64> {
    let text = http(
        addr,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .ok()?;
    text.lines()
        .filter_map(|line| line.rsplit_once(' '))
        .find(|(name, _)| *name == series)
        .and_then(|(_, value)| value.parse().ok())
}

/// Waits, with a deadline, until a metric has a value.
fn until_metric(addr: &str, series: &str, value: u64) {
    let start = Instant::now();
    while metric(addr, series) != Some(value) {
        assert!(
            start.elapsed() < DEADLINE,
            "{series} never reached {value} (last {:?})",
            metric(addr, series)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn subscribers_of(topic: &str) -> String {
    format!("sseload_server_subscribers{{topic=\"{topic}\"}}")
}

const RUN_PLAN: &str = r#"
name: restart
scenarios:
  - name: readers
    load: [ { at_once_users: 3 } ]
    steps:
      - sse_connect:
          name: feed
          url: /topics/t
          sequence: { json_path: "$.n" }
          reconnect: { max_attempts: 200, max_backoff: 200ms }
          await:
            - timeout: 30s
              checks: [ { name: last, matching: { json_path: "$.n", is: 20 } } ]
      - sse_close: { name: close }
"#;

fn stats<'j>(results: &'j serde_json::Value, name: &str) -> &'j serde_json::Value {
    results["stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scope"] == "name" && s["name"] == name)
        .unwrap_or_else(|| panic!("no stats for {name}"))
}

/// `(kind, count)` of each error line of `name`.
fn errors(results: &serde_json::Value, name: &str) -> Vec<(String, u64)> {
    results["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == name)
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The sum of the samples of `family` whose labels hold every one of `labels`,
/// from the live endpoint of `sseload run --metrics-addr`.
fn live_sum(metrics_addr: &str, family: &str, labels: &[&str]) -> u64 {
    let Ok(text) = http(
        metrics_addr,
        "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ) else {
        return 0;
    };
    text.lines()
        .filter(|line| line.starts_with(&format!("{family}{{")))
        .filter(|line| labels.iter().all(|l| line.contains(l)))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<u64>().ok())
        .sum()
}

/// Waits, with a deadline, until `check` holds.
fn until(what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < DEADLINE, "never: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `sseload run` with a live metrics endpoint; returns the child and the endpoint's address.
fn run_with_live_metrics(plan: &Path, results: &Path) -> (Child, String) {
    let mut run = sseload()
        .arg("run")
        .arg(plan)
        .arg("--quiet")
        .arg("--results")
        .arg(results)
        .args(["--metrics-addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(run.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("metrics on http://")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    // Keep reading, so that the run never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (run, addr)
}

/// `sseload run` reads three streams from a durable `sseload serve`; ten
/// events in, the server is killed with SIGKILL and stays down until every
/// stream has had a reconnect refused, then it is restarted on the same
/// port and data directory and ten more are published. Every stream
/// resumes with Last-Event-ID and gets all twenty exactly once; the results
/// file counts each stream's loss and every refused reconnect, and the
/// thirty events measured before the kill are still there.
#[test]
fn a_run_across_a_kill_9_and_restart_of_a_durable_server_misses_nothing() {
    let dir = fresh_dir("run-restart");
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    let flags = ["--data-dir", data, "--retry", "100ms"];
    let serve = Serve::start("127.0.0.1:0", &flags);
    let addr = serve.addr.clone();
    let plan = dir.join("plan.yaml");
    let text = format!("target: {{ base_url: \"http://{addr}\" }}\n{RUN_PLAN}");
    std::fs::write(&plan, text).unwrap();
    let results = dir.join("results.json");
    let (run, live) = run_with_live_metrics(&plan, &results);
    let feed_label = r#"name="feed""#;
    let live_events = || live_sum(&live, "sseload_events_total", &[feed_label]);
    let refused = || {
        let kind = r#"kind="connect_refused""#;
        live_sum(&live, "sseload_errors_total", &[feed_label, kind])
    };

    until_metric(&addr, &subscribers_of("t"), 3);
    for n in 1..=10 {
        assert_eq!(
            publish(&addr, "t", &format!(r#"{{"data":"{{\"n\":{n}}}"}}"#)),
            [n]
        );
    }
    until("the run measured 30 events", || live_events() == 30);
    serve.kill_9();
    until("3 reconnects refused", || refused() >= 3);
    assert_eq!(
        live_events(),
        30,
        "what was measured before the kill is kept"
    );
    let again = Serve::start(&addr, &flags);
    for n in 11..=20 {
        assert_eq!(
            publish(&addr, "t", &format!(r#"{{"data":"{{\"n\":{n}}}"}}"#)),
            [n]
        );
    }
    let status = wait_exit(run);
    again.stop();
    assert_eq!(status.code(), Some(0));

    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let feed = &stats(&results, "feed")["counts"];
    assert_eq!(feed["events"], 3 * 20, "{feed}");
    assert_eq!(
        (&feed["missed"], &feed["duplicates"]),
        (&0.into(), &0.into())
    );
    assert_eq!(stats(&results, "last")["counts"]["ok"], 3);
    let errors = errors(&results, "feed");
    let count = |kind: &str| -> u64 {
        errors
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, n)| n)
            .sum()
    };
    // One loss per stream; every other reconnect was refused while the port was closed.
    assert_eq!(count("reset"), 3, "{errors:?}");
    assert!(count("connect_refused") >= 3, "{errors:?}");
    assert_eq!(
        count("reset") + count("connect_refused"),
        feed["reconnects"].as_u64().unwrap(),
        "{errors:?}"
    );
}

/// Reads a topic's stream after `last_event_id` until the event with id
/// `until`; returns `(id, data)` of every event, in order.
fn read_until(addr: &str, topic: &str, last_event_id: &str, until: u64) -> Vec<(u64, String)> {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    let head = format!(
        "GET /topics/{topic} HTTP/1.1\r\nHost: x\r\nLast-Event-ID: {last_event_id}\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).unwrap();
    let mut seen = String::new();
    let mut buf = [0; 8192];
    let end = format!("\nid: {until}\n");
    while !seen.contains(&end) {
        let n = tcp.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    // Each event is written `id:` first, then `data:`.
    let mut events: Vec<(u64, String)> = Vec::new();
    for line in seen.lines() {
        if let Some(id) = line.strip_prefix("id: ") {
            events.push((id.parse().unwrap(), String::new()));
        } else if let Some(data) = line.strip_prefix("data:") {
            let last = events.last_mut().expect("an id before the data");
            last.1 = data.strip_prefix(' ').unwrap_or(data).to_owned();
        }
    }
    events
}

/// A publisher posts batches as fast as it can; the server is killed with
/// SIGKILL in the middle. After a restart, a resume from the start gets
/// every acknowledged event exactly once, in order, with its data; a batch
/// that was in flight is there whole or not at all.
#[test]
fn every_publish_acknowledged_before_a_kill_9_mid_stream_is_replayed_exactly_once() {
    let dir = fresh_dir("publish-kill");
    let data = dir.join("data");
    let flags = ["--data-dir", data.to_str().unwrap()];
    let serve = Serve::start("127.0.0.1:0", &flags);
    let addr = serve.addr.clone();
    let (acked_tx, acked_rx) = mpsc::channel::<(u64, Vec<u64>)>();
    let publisher = {
        let addr = addr.clone();
        std::thread::spawn(move || {
            for batch in 0.. {
                let body = format!(
                    r#"[{{"data":"a{batch}"}},{{"data":"b{batch}"}},{{"data":"c{batch}"}}]"#
                );
                let ids = publish(&addr, "t", &body);
                if ids.is_empty() || acked_tx.send((batch, ids)).is_err() {
                    return;
                }
            }
        })
    };
    let mut acked = Vec::new();
    while acked.len() < 40 {
        acked.push(acked_rx.recv_timeout(DEADLINE).expect("a publish answered"));
    }
    serve.kill_9();
    publisher.join().unwrap();
    acked.extend(acked_rx.try_iter());

    let again = Serve::start(&addr, &flags);
    let marker = publish(&again.addr, "t", r#"{"data":"after"}"#);
    assert_eq!(marker.len(), 1);
    let events = read_until(&again.addr, "t", "0", marker[0]);
    again.stop();

    let ids: Vec<u64> = events.iter().map(|(id, _)| *id).collect();
    let expected: Vec<u64> = (1..=marker[0]).collect();
    assert_eq!(ids, expected, "every id once, in order, none skipped");
    for (batch, batch_ids) in &acked {
        for (id, letter) in batch_ids.iter().zip(["a", "b", "c"]) {
            let (_, data) = &events[*id as usize - 1];
            assert_eq!(*data, format!("{letter}{batch}"), "event {id}");
        }
    }
    let acknowledged = 3 * acked.len() as u64;
    // At most one batch was written but not answered when the process died.
    assert!(
        [acknowledged, acknowledged + 3].contains(&(marker[0] - 1)),
        "{acknowledged} acknowledged, {} recovered",
        marker[0] - 1
    );
}

/// Stalled subscribers (connected, never reading) and vanished ones (gone
/// without reading what they were sent) under a publisher flood of 64 MiB:
/// the server's RSS stays bounded by its queue and replay limits, exactly
/// the stalled ones are dropped as slow, and none is left subscribed.
#[test]
fn a_publisher_flood_keeps_the_server_rss_bounded_by_its_queues() {
    const STALLED: u64 = 8;
    const VANISHED: u64 = 4;
    const BATCH: usize = 32;
    const POSTS: usize = 512;
    let serve = Serve::start("127.0.0.1:0", &["--queue", "64", "--replay", "256"]);
    let addr = serve.addr.clone();
    let subscribe = || {
        let mut tcp = TcpStream::connect(&addr).unwrap();
        tcp.write_all(b"GET /topics/flood HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        tcp
    };
    let stalled: Vec<TcpStream> = (0..STALLED).map(|_| subscribe()).collect();
    let vanished: Vec<TcpStream> = (0..VANISHED).map(|_| subscribe()).collect();
    until_metric(&addr, &subscribers_of("flood"), STALLED + VANISHED);
    // Gone without reading: the server finds out on its next write to them.
    drop(vanished);
    let start = Instant::now();
    while metric(&addr, &subscribers_of("flood")) != Some(STALLED) {
        assert!(
            start.elapsed() < DEADLINE,
            "the vanished subscribers stayed"
        );
        assert_eq!(publish(&addr, "flood", r#"{"data":"probe"}"#).len(), 1);
    }
    assert_eq!(
        metric(&addr, "sseload_server_subscribers_dropped_total"),
        Some(0)
    );

    let event = format!(r#"{{"data":"{}"}}"#, "v".repeat(4096));
    let batch = format!("[{}]", vec![event.as_str(); BATCH].join(","));
    let post = || assert_eq!(publish(&addr, "flood", &batch).len(), BATCH);
    // Warm-up: buffers and allocator pools reach their working size.
    (0..POSTS / 8).for_each(|_| post());
    let baseline = serve.rss_bytes();
    let mut peak = baseline;
    for _ in 1..8 {
        (0..POSTS / 8).for_each(|_| post());
        peak = peak.max(serve.rss_bytes());
    }
    let published = (POSTS * BATCH * 4096) as u64;
    let growth = peak.saturating_sub(baseline);
    // Queues: 8 x 64 events, the ring 256, a batch in flight 32: all of
    // 4 KiB, under 4 MiB together (and mostly the same buffers). An
    // unbounded queue or ring would hold the whole flood.
    assert!(
        growth < 16 << 20,
        "RSS grew by {growth} bytes (baseline {baseline}) while {published} bytes were published"
    );
    until_metric(&addr, &subscribers_of("flood"), 0);
    assert_eq!(
        metric(&addr, "sseload_server_subscribers_dropped_total"),
        Some(STALLED)
    );
    drop(stalled);
    serve.stop();
}
