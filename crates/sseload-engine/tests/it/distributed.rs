//! Distributed runs: three shards started together give, merged, exactly the
//! counts of one process running the whole plan; merging is associative and
//! commutative; what must not merge is refused.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sseload_engine::{MergeError, Options, Part, Report, Shard, merge};
use sseload_server::{RunningServer, Server};

use super::support::{global, start};

/// Every open profile kind, a queue feeder (one record per user), a POST
/// stream whose event count depends on the record, and assertions.
const PLAN: &str = r#"
name: sharded
feeders:
  sizes:
    strategy: queue
    inline:
      - { n: 1 }
      - { n: 2 }
      - { n: 3 }
      - { n: 4 }
      - { n: 5 }
      - { n: 6 }
      - { n: 7 }
      - { n: 8 }
      - { n: 9 }
      - { n: 10 }
      - { n: 11 }
      - { n: 12 }
      - { n: 13 }
      - { n: 14 }
      - { n: 15 }
      - { n: 16 }
      - { n: 17 }
      - { n: 18 }
      - { n: 19 }
      - { n: 20 }
      - { n: 21 }
      - { n: 22 }
      - { n: 23 }
      - { n: 24 }
scenarios:
  - name: llm
    load:
      - at_once_users: 4
      - ramp_users: { users: 9, during: 600ms }
      - constant_users_per_sec: { rate: 10, during: 1s }
    steps:
      - feed: sizes
      - sse_connect:
          name: completion
          method: POST
          url: /v1/completions
          query: { ttft_ms: "0", itl_ms: "1" }
          headers: { Content-Type: application/json }
          body: '{"model":"demo","prompt":"hi","max_tokens":#{n},"stream":true}'
          reconnect: false
          await:
            - timeout: 10s
              checks:
                - name: done
                  matching: { data: "[DONE]" }
      - sse_close: { name: close }
assertions:
  - { metric: events.count, gt: 0 }
  - { metric: time_to_first_event.p99, lt: 5s }
  - { metric: checks.failed_count, lt: 1 }
"#;

async fn demo_server() -> RunningServer {
    let server = Server::builder().build().expect("valid settings");
    server
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .expect("server starts")
}

async fn run(addr: SocketAddr, plan: &'static str, options: Options) -> Report {
    let engine = start(addr, plan, options).await;
    tokio::time::timeout(Duration::from_secs(60), engine.run(None))
        .await
        .expect("the run ends by itself")
}

fn part(label: &str, report: &Report) -> Part {
    Part {
        label: label.to_owned(),
        report: report.clone(),
    }
}

/// Runs the three shards at once, starting together.
async fn shards(server: &RunningServer) -> Vec<Report> {
    let start_at = SystemTime::now() + Duration::from_millis(300);
    let runs = (1..=3).map(|i| {
        let options = Options {
            shard: Shard::new(i, 3).unwrap(),
            start_at: Some(start_at),
            ..Options::default()
        };
        run(server.local_addr(), PLAN, options)
    });
    let reports = futures_join(runs).await;
    for r in &reports {
        let run = &r.meta.shards.runs[0];
        let at = start_at.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        assert_eq!(run.start_at_ms, Some(at));
        assert!(run.started_at_ms >= at, "a shard started before its time");
        assert!(run.late_ms.unwrap() < 1000, "{run:?}");
    }
    reports
}

async fn futures_join<F: std::future::Future<Output = Report> + Send + 'static>(
    runs: impl Iterator<Item = F>,
) -> Vec<Report> {
    let handles: Vec<_> = runs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("the shard's run"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_shards_merged_count_exactly_what_one_process_counts() {
    let server = demo_server().await;
    let whole = run(server.local_addr(), PLAN, Options::default()).await;
    let reports = shards(&server).await;
    let users: Vec<u64> = reports.iter().map(|r| r.meta.users_started).collect();
    assert_eq!(users, [8, 8, 7], "arrivals striped over the shards");
    let parts: Vec<Part> = (reports.iter().enumerate())
        .map(|(i, r)| part(&format!("shard-{i}.json"), r))
        .collect();
    let merged = merge(&parts).expect("the shards merge");
    assert_eq!(merged.meta.users_started, whole.meta.users_started);
    assert_eq!(merged.meta.shards.count, 3);
    assert!(merged.meta.shards.missing().is_empty());
    assert_eq!(merged.stats.len(), whole.stats.len());
    for (m, w) in merged.stats.iter().zip(&whole.stats) {
        assert_eq!(
            (&m.scope, &m.name, &m.scenario),
            (&w.scope, &w.name, &w.scenario)
        );
        assert_eq!(m.counts, w.counts, "counts of {:?} {:?}", m.scope, m.name);
        let counts = |s: &sseload_engine::Stats| {
            s.metrics
                .iter()
                .map(|(k, l)| (k.clone(), l.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(counts(m), counts(w), "histogram counts of {:?}", m.name);
    }
    // Every size from 1 to 23 tokens was asked once: 23 users, each
    // max_tokens chunks, a final chunk and [DONE].
    assert_eq!(
        global(&merged).counts.events,
        (1..=23).sum::<u64>() + 2 * 23
    );
    let series_events: u64 = merged.series.iter().map(|p| p.events).sum();
    assert_eq!(series_events, global(&merged).counts.events);
    assert!(
        merged.assertions.iter().all(|a| a.passed),
        "{:?}",
        merged.assertions
    );
    assert_eq!(merged.assertions.len(), whole.assertions.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merging_is_associative_and_commutative_and_refuses_what_does_not_fit() {
    let server = demo_server().await;
    let reports = shards(&server).await;
    let [a, b, c] = [0, 1, 2].map(|i| part(&format!("{i}.json"), &reports[i]));
    let all = merge(&[a.clone(), b.clone(), c.clone()]).unwrap();
    let ab = part("ab.json", &merge(&[a.clone(), b.clone()]).unwrap());
    let cb = part("cb.json", &merge(&[c.clone(), b.clone()]).unwrap());
    let ba = part("ba.json", &merge(&[b.clone(), a.clone()]).unwrap());
    assert_eq!(
        ab.report.meta.shards.missing(),
        [3],
        "a partial merge names what it lacks"
    );
    assert_eq!(merge(&[ab.clone(), c.clone()]).unwrap(), all);
    assert_eq!(merge(&[a.clone(), cb]).unwrap(), all);
    assert_eq!(merge(&[c.clone(), ba]).unwrap(), all);
    assert_eq!(merge(&[c.clone(), a.clone(), b]).unwrap(), all);
    let json = serde_json::to_string(&all).unwrap();
    let back: Report = serde_json::from_str(&json).expect("a merged file reads back");
    // Derived figures are computed again from exact data (counts,
    // histograms, integer times), so a file read back merges to the same.
    let again = merge(&[part("all.json", &back)]).unwrap();
    assert_eq!(again, merge(&[part("all.json", &all)]).unwrap());
    assert_eq!(again.stats.len(), all.stats.len());

    assert_eq!(merge(&[]).unwrap_err(), MergeError::Empty);
    let twice = merge(&[a.clone(), ab]).unwrap_err();
    assert_eq!(
        twice.to_string(),
        "shard 1/3 is in both 0.json and ab.json; each shard must be merged once"
    );
    let mut other = c.clone();
    other.report.meta.fingerprint = "0123456789abcdef".into();
    let refused = merge(&[a.clone(), other]).unwrap_err().to_string();
    assert!(
        refused.starts_with(
            "2.json: plan `sharded` (fingerprint 0123456789abcdef) is not the plan of 0.json"
        ),
        "{refused}"
    );
    let mut split = c.clone();
    split.report.meta.shards.count = 4;
    assert_eq!(
        merge(&[a.clone(), split]).unwrap_err().to_string(),
        "2.json: the run is split into 4 shards there, but into 3 in 0.json"
    );
    let mut corrupted = c.clone();
    corrupted.report.histograms[0]
        .hdr
        .replace_range(10..14, "!!!!");
    let refused = merge(&[a.clone(), corrupted]).unwrap_err().to_string();
    assert!(refused.starts_with("2.json: histogram "), "{refused}");
    assert!(
        refused.contains("is corrupted: histogram is not valid base64"),
        "{refused}"
    );
    let mut truncated = c;
    let hdr = &mut truncated.report.histograms[0].hdr;
    hdr.truncate(hdr.len() / 2 / 4 * 4);
    let refused = merge(&[a, truncated]).unwrap_err().to_string();
    assert!(
        refused.contains("is corrupted: histogram bytes are not HdrHistogram V2"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_that_starts_late_says_how_late() {
    let server = demo_server().await;
    let options = Options {
        shard: Shard::new(2, 2).unwrap(),
        start_at: Some(SystemTime::now() - Duration::from_secs(3)),
        duration: Some(Duration::from_millis(200)),
        ..Options::default()
    };
    let report = run(server.local_addr(), PLAN, options).await;
    let run = &report.meta.shards.runs[0];
    assert_eq!(run.index, 2);
    assert!((3000..4000).contains(&run.late_ms.unwrap()), "{run:?}");
}
