//! Open-model injection is scheduled from the clock: a stalled server does
//! not slow arrivals.

use std::time::Duration;

use sseload_engine::Options;

use super::support::{self, hub, name};

#[tokio::test(start_paused = true)]
async fn constant_rate_starts_rate_times_duration_users_while_the_server_stalls() {
    let server = hub(16).await;
    let plan = r#"
scenarios:
  - name: stalled
    load: [ { constant_users_per_sec: { rate: 200, during: 10s } } ]
    steps:
      - sse_connect:
          name: stall
          url: /topics/stall
          query: { delay_ms: "600000" }
          reconnect: false
          await: [ { timeout: 60s, checks: [ { name: never } ] } ]
"#;
    let options = Options {
        duration: Some(Duration::from_secs(10)),
        ..Options::default()
    };
    let report = support::run_with(server.local_addr(), plan, options).await;
    assert_eq!(report.meta.users_started, 2000);
    assert_eq!(report.meta.ended_by, "duration");
    let stall = name(&report, "stall");
    assert!(stall.counts.closed_at_user_end > 0, "{stall:?}");
    assert_eq!(name(&report, "never").counts.ok, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_model_keeps_n_users_running_and_stops_them_at_the_end() {
    let server = hub(16).await;
    let plan = r#"
scenarios:
  - name: closed
    load: [ { constant_concurrent_users: { users: 4, during: 1s } } ]
    steps:
      - sse_connect: { name: open, url: /topics/closed, reconnect: false }
      - pause: 300ms
      - sse_close: { name: close }
"#;
    let report = support::run(server.local_addr(), plan).await;
    let started = report.meta.users_started;
    // 4 users at a time, each living about 300 ms, for 1 s: 4 rounds of 4 (the last cut short).
    assert!((12..=20).contains(&started), "{started} users");
    // Users started in the last instants may be stopped while connecting
    // (at most one round of 4); every other connect succeeded.
    let opened = name(&report, "open").counts.ok;
    assert!(
        opened <= started && opened + 4 >= started,
        "{opened} of {started}"
    );
    assert!(name(&report, "close").counts.ok >= 12);
}
