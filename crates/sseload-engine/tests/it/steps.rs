//! The stream state machine: buffering, crashes, listens, optional checks,
//! streams left open, and a stop in the middle of a run.

use std::time::Duration;

use sseload_engine::{ErrorKind, Options};

use super::support::{self, hub, name, publish, subscribers};

fn buffered_plan(unmatched: &str) -> String {
    format!(
        r#"
scenarios:
  - name: late
    load: [ {{ at_once_users: 1 }} ]
    steps:
      - sse_connect: {{ name: feed, url: /topics/late, reconnect: false, unmatched: {unmatched} }}
      - pause: 400ms
      - sse_await:
          await: [ {{ timeout: 300ms, checks: [ {{ name: second, matching: {{ json_path: "$.n", is: 2 }} }} ] }} ]
      - sse_close: {{ name: close }}
"#
    )
}

async fn late_await(unmatched: &str) -> sseload_engine::Report {
    let server = hub(16).await;
    let addr = server.local_addr();
    let plan = buffered_plan(unmatched);
    let engine = tokio::spawn(async move { support::run(addr, &plan).await });
    subscribers(&server, "late", 1).await;
    for n in 1..=3 {
        publish(&server, "late", n);
    }
    engine.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_await_armed_late_sees_buffered_events() {
    let report = late_await("{ buffer: 10 }").await;
    assert_eq!(name(&report, "second").counts.ok, 1);
    assert_eq!(name(&report, "feed").counts.unmatched, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_buffer_early_events_are_lost_and_the_check_times_out() {
    let report = late_await("drop").await;
    let second = name(&report, "second");
    assert_eq!((second.counts.ok, second.counts.ko), (0, 1));
    let error = report
        .errors
        .iter()
        .find(|e| e.name == "second")
        .expect("an error");
    assert_eq!(error.kind, ErrorKind::CheckTimedOut);
    assert!(
        error.message.contains("timed out after 300ms"),
        "{}",
        error.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_crashed_while_idle_fails_the_next_await_clearly() {
    let server = hub(16).await;
    let addr = server.local_addr();
    let plan = r#"
scenarios:
  - name: fragile
    load: [ { at_once_users: 1 } ]
    steps:
      - sse_connect: { name: feed, url: /topics/cut, query: { drop_after: "1" }, reconnect: false }
      - pause: 300ms
      - sse_await: { await: [ { timeout: 1s, checks: [ { name: after } ] } ] }
"#;
    let engine = tokio::spawn(async move { support::run(addr, plan).await });
    subscribers(&server, "cut", 1).await;
    publish(&server, "cut", 1);
    let report = engine.await.unwrap();
    let kinds: Vec<_> = report
        .errors
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    assert!(kinds.contains(&("feed", ErrorKind::Reset)), "{kinds:?}");
    let after = report
        .errors
        .iter()
        .find(|e| e.name == "after")
        .expect("await error");
    assert_eq!(after.kind, ErrorKind::Step);
    assert!(
        after.message.contains("stream `default` crashed earlier"),
        "{}",
        after.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listens_count_in_the_background_and_optional_checks_do_not_fail() {
    let server = hub(16).await;
    let addr = server.local_addr();
    let plan = r#"
scenarios:
  - name: listener
    load: [ { at_once_users: 2 } ]
    steps:
      - sse_connect: { name: feed, url: /topics/listen, reconnect: false }
      - sse_listen: { name: three ticks, matching: { event: tick }, until: 3, during: 5s }
      - sse_await:
          await: [ { timeout: 5s, checks: [ { name: fifth, matching: { json_path: "$.n", is: 5 } } ] } ]
      - sse_await:
          await: [ { timeout: 100ms, checks: [ { name: maybe, optional: true, matching: { event: never } } ] } ]
      - exit_here_if_failed
      - sse_close: { name: close }
"#;
    let engine = tokio::spawn(async move { support::run(addr, plan).await });
    subscribers(&server, "listen", 2).await;
    for n in 1..=5 {
        publish(&server, "listen", n);
    }
    let report = engine.await.unwrap();
    assert_eq!(name(&report, "three ticks").counts.ok, 2);
    assert_eq!(name(&report, "fifth").counts.ok, 2);
    assert_eq!(name(&report, "maybe").counts.ko, 0);
    assert_eq!(
        name(&report, "close").counts.ok,
        2,
        "the session did not fail"
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_left_open_are_closed_and_counted_when_the_user_ends() {
    let server = hub(16).await;
    let plan = r#"
scenarios:
  - name: forgetful
    load: [ { at_once_users: 3 } ]
    steps:
      - sse_connect: { name: feed, url: /topics/open, reconnect: false }
      - pause: 50ms
"#;
    let report = support::run(server.local_addr(), plan).await;
    assert_eq!(name(&report, "feed").counts.closed_at_user_end, 3);
    assert_eq!(report.series.last().map(|p| p.streams), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_ends_the_run_and_still_reports() {
    let server = hub(16).await;
    let plan = r#"
scenarios:
  - name: long
    load: [ { at_once_users: 2 } ]
    steps:
      - sse_connect: { name: feed, url: /topics/long, reconnect: false }
      - pause: 1h
"#;
    let engine = support::start(server.local_addr(), plan, Options::default()).await;
    let stopper = engine.stopper();
    let (tx, mut snapshots) = tokio::sync::mpsc::channel(4);
    let run = tokio::spawn(engine.run(Some(tx)));
    // The engine's own view: both streams open (the hub counts a subscriber
    // before the client has read the response head).
    let open = async {
        while let Some(s) = snapshots.recv().await {
            if s.point.streams == 2 {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), open)
        .await
        .expect("two open streams");
    stopper.stop();
    let report = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("stops")
        .unwrap();
    assert_eq!(report.meta.ended_by, "interrupted");
    assert_eq!(name(&report, "feed").counts.ok, 2);
    assert_eq!(name(&report, "feed").counts.closed_at_user_end, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_steps_publish_save_values_and_classify_a_bad_status() {
    let server = hub(16).await;
    let addr = server.local_addr();
    let plan = r##"
scenarios:
  - name: publisher
    load: [ { at_once_users: 1 } ]
    steps:
      - repeat:
          times: 3
          counter: n
          steps:
            - http:
                name: publish
                method: POST
                url: /topics/news
                body: { json: { event: tick, data: { n: "#{n}" } } }
                checks:
                  - status: 200
                  - { json_path: "$.ids[0]", save_as: last_id }
      - http:
          name: echo
          method: POST
          url: "/topics/news"
          body: { json: { event: echo, data: "after #{last_id}" } }
      - http: { name: missing, url: /nowhere, checks: [ { status: 200 } ] }
"##;
    let report = support::run(addr, plan).await;
    assert_eq!(name(&report, "publish").counts.ok, 3);
    assert_eq!(name(&report, "echo").counts.ok, 1);
    let missing = name(&report, "missing");
    assert_eq!((missing.counts.ok, missing.counts.ko), (0, 1));
    let error = report
        .errors
        .iter()
        .find(|e| e.name == "missing")
        .expect("an error");
    assert_eq!(error.kind, ErrorKind::Status);
    assert!(support::metric(name(&report, "publish"), "response_time").count == 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_during_deadline_interrupts_an_await_without_leaving_it_armed() {
    let server = hub(16).await;
    let plan = r#"
scenarios:
  - name: bounded
    load: [ { at_once_users: 1 } ]
    steps:
      - sse_connect: { name: feed, url: /topics/quiet, reconnect: false }
      - during:
          duration: 200ms
          steps:
            - sse_await: { await: [ { timeout: 500ms, checks: [ { name: never } ] } ] }
      - pause: 600ms
      - sse_close: { name: close }
"#;
    let report = support::run(server.local_addr(), plan).await;
    let never = name(&report, "never");
    assert_eq!(
        (never.counts.ok, never.counts.ko),
        (0, 0),
        "{:?}",
        report.errors
    );
    assert_eq!(name(&report, "close").counts.ok, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_caps_the_request_rate() {
    let server = hub(16).await;
    let plan = r#"
throttle: [ { jump_to_rps: 50 }, { hold_for: 10s } ]
scenarios:
  - name: eager
    load: [ { at_once_users: 2 } ]
    steps:
      - repeat:
          times: 13
          steps:
            - http: { name: publish, method: POST, url: /topics/capped, body: { json: { data: x } } }
"#;
    let report = support::run(server.local_addr(), plan).await;
    assert_eq!(name(&report, "publish").counts.ok, 26);
    // 26 requests at 50/s: the last may leave 0.5 s after the first.
    assert!(report.meta.duration_s >= 0.5, "{}", report.meta.duration_s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_inside_a_group_carry_it_and_group_assertions_read_them() {
    let server = hub(16).await;
    let plan = r#"
scenarios:
  - name: grouped
    load: [ { at_once_users: 2 } ]
    steps:
      - group:
          name: publishing
          steps:
            - http: { name: publish, method: POST, url: /topics/g, body: { json: { data: x } } }
      - http: { name: publish, method: POST, url: /topics/g, body: { json: { data: y } } }
assertions:
  - { metric: requests.count, group: publishing, between: [2, 2] }
  - { metric: requests.count, lte: 4 }
"#;
    let report = support::run(server.local_addr(), plan).await;
    let inside: Vec<_> = report
        .stats
        .iter()
        .filter(|s| s.name.as_deref() == Some("publish"))
        .collect();
    assert_eq!(inside.len(), 2);
    let grouped = inside
        .iter()
        .find(|s| s.group.as_deref() == Some("publishing"))
        .expect("a grouped name");
    assert_eq!(grouped.counts.ok, 2);
    assert!(
        report.assertions.iter().all(|a| a.passed),
        "{:?}",
        report.assertions
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_set_and_pace_shape_the_requests() {
    let server = hub(16).await;
    let plan = r##"
feeders:
  topics: { strategy: queue, inline: [ { topic: a }, { topic: b }, { topic: c } ] }
scenarios:
  - name: paced
    load: [ { at_once_users: 1 } ]
    steps:
      - repeat:
          times: 3
          steps:
            - pace: 100ms
            - feed: topics
            - set: { body: "from #{topic}" }
            - http: { name: publish, method: POST, url: "/topics/#{topic}", body: { json: { data: "#{body}" } } }
      - feed: topics
"##;
    let report = support::run(server.local_addr(), plan).await;
    assert_eq!(name(&report, "publish").counts.ok, 3);
    // Three passes paced 100 ms apart take at least 200 ms.
    assert!(report.meta.duration_s >= 0.2, "{}", report.meta.duration_s);
    // The fourth record does not exist: a step error under the scenario's name.
    let dry = report
        .errors
        .iter()
        .find(|e| e.name == "paced")
        .expect("feeder error");
    assert!(
        dry.message
            .contains("feeder `topics` ran dry after 3 records"),
        "{}",
        dry.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_variables_seed_every_session_and_initial_values_override_them() {
    let server = hub(16).await;
    let addr = server.local_addr();
    let plan = r##"
vars: { path: nowhere }
scenarios:
  - name: s
    load: [ { at_once_users: 2 } ]
    steps:
      - http: { name: probe, url: "/#{path}", checks: [ { status: 200 } ] }
"##;
    let report = support::run(addr, plan).await;
    let probe = name(&report, "probe");
    assert_eq!((probe.counts.ok, probe.counts.ko), (0, 2));

    let text = format!("target: {{ base_url: \"http://{addr}\" }}\n{plan}");
    let parsed = sseload_scenario::from_str(&text).unwrap();
    let path = parsed.declared("path").unwrap();
    let options = Options {
        initial: vec![(path, serde_json::json!("healthz"))],
        ..Options::default()
    };
    let report = support::run_with(addr, plan, options).await;
    let probe = name(&report, "probe");
    assert_eq!((probe.counts.ok, probe.counts.ko), (2, 0));
}
