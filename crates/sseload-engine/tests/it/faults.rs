//! Faults in the system under test: connections cut in the middle of an
//! event, garbage, a line past the parser's limit, an event that never
//! ends, invalid UTF-8, the wrong content type, a storm of 500s, a server
//! that trickles one byte a second, and a server killed and restarted in
//! the middle of a run. In each the run goes on, the report says exactly
//! what happened (error kinds and counts, reconnects, missed ids), and what
//! was measured before the fault is still there.

use std::net::SocketAddr;
use std::time::Duration;

use sseload_engine::{ErrorKind, ErrorLine, Report};
use sseload_server::{Demo, NewEvent, RunningServer, Server};
use sseload_test::{Ending, Rogue, SSE_HEAD, Served, Turn};

use super::support::{self, metric, name, subscribers};

/// Long enough for any of these runs; they end by themselves well before.
const DEADLINE: Duration = Duration::from_secs(30);

/// `id: n` / `data: {"n":n}` events, in order.
fn events(range: std::ops::RangeInclusive<u64>) -> String {
    range
        .map(|n| format!("id: {n}\ndata: {{\"n\":{n}}}\n\n"))
        .collect()
}

/// One user reads `/feed`, awaits the event with `n == last`, then closes.
fn feed_plan(last: u64, timeout: &str, reconnect: &str) -> String {
    format!(
        r#"
scenarios:
  - name: faults
    load: [ {{ at_once_users: 1 }} ]
    steps:
      - sse_connect:
          name: feed
          url: /feed
          sequence: {{ json_path: "$.n" }}
          reconnect: {reconnect}
          await:
            - timeout: {timeout}
              checks:
                - name: last
                  matching: {{ json_path: "$.n", is: {last} }}
      - sse_close: {{ name: close }}
"#
    )
}

/// The usual reconnect policy here: a few quick attempts.
const RECONNECT: &str = "{ max_attempts: 10, max_backoff: 200ms }";

/// Runs `plan` against the rogue peer, then collects what the peer saw.
async fn run_against(rogue: Rogue, plan: &str) -> (Report, Vec<Served>) {
    let report = support::run(rogue.addr(), plan).await;
    let served = rogue.finish(DEADLINE).await;
    (report, served)
}

/// The errors of one name, as `(kind, message, count)`.
fn errors_of(report: &Report, of: &str) -> Vec<(ErrorKind, String, u64)> {
    report
        .errors
        .iter()
        .filter(|e| e.name == of)
        .map(|e: &ErrorLine| (e.kind, e.message.clone(), e.count))
        .collect()
}

/// One end of the response body (a close), as the errors table lists it.
fn ended() -> (ErrorKind, String, u64) {
    (
        ErrorKind::Reset,
        "the server ended the response body".to_owned(),
        1,
    )
}

/// Whether `error` is one connection reset, as the client words it.
fn is_one_reset(error: &(ErrorKind, String, u64), addr: SocketAddr) -> bool {
    let (kind, message, count) = error;
    *kind == ErrorKind::Reset
        && *count == 1
        && message.starts_with(&format!("HTTP error with {addr}: "))
        && message.contains("reset")
}

#[tokio::test]
async fn a_cut_mid_event_loses_only_that_event_and_resumes_after_the_last_whole_one() {
    let rogue = Rogue::start(vec![
        // A close (FIN) half-way through event 3, then a reset (RST) half-way through event 4.
        Turn::new()
            .send(SSE_HEAD)
            .send(format!("retry: 10\n{}id: 3\ndata: {{\"n\"", events(1..=2))),
        Turn::new()
            .send(SSE_HEAD)
            .send(format!("{}id: 4\ndata: {{\"n\":4", events(3..=3)))
            .reset(),
        Turn::new().send(SSE_HEAD).send(events(4..=5)).hold(),
    ])
    .await;
    let addr = rogue.addr();
    let (report, served) = run_against(rogue, &feed_plan(5, "10s", RECONNECT)).await;

    let feed = name(&report, "feed");
    assert_eq!(feed.counts.events, 5, "the two halves are never counted");
    assert_eq!((feed.counts.ok, feed.counts.ko), (1, 0));
    assert_eq!(feed.counts.reconnects, 2);
    assert_eq!((feed.counts.missed, feed.counts.duplicates), (0, 0));
    assert_eq!(metric(feed, "reconnect_gap").count, 2);
    assert_eq!(metric(feed, "time_to_first_event").count, 1);
    let errors = errors_of(&report, "feed");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.contains(&ended()), "{errors:?}");
    assert!(errors.iter().any(|e| is_one_reset(e, addr)), "{errors:?}");
    assert_eq!(name(&report, "last").counts.ok, 1);
    let resumed_from: Vec<_> = served.iter().map(|s| s.header("last-event-id")).collect();
    assert_eq!(resumed_from, [None, Some("2"), Some("3")]);
    assert_eq!(
        served.iter().map(|s| s.ending).collect::<Vec<_>>(),
        [Ending::Closed, Ending::Reset, Ending::Held]
    );
}

/// Lines of bytes that name no field the parser knows (no colon, never
/// `data`, `id`, `event` or `retry`), invalid UTF-8 included.
fn garbage(lines: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::new();
    for _ in 0..lines {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = 16 + (state % 200) as usize;
        for k in 0..len {
            let byte = (state.rotate_left(k as u32 % 64) as u8) | 0x80;
            out.push(byte);
        }
        out.push(b'\n');
    }
    out
}

#[tokio::test]
async fn garbage_lines_in_the_body_are_ignored_and_the_events_around_them_all_count() {
    let mut body = format!("retry: 10\n{}", events(1..=2)).into_bytes();
    body.extend(garbage(2000));
    body.extend(events(3..=4).as_bytes());
    let rogue = Rogue::start(vec![Turn::new().send(SSE_HEAD).send(&body).hold()]).await;
    let (report, served) = run_against(rogue, &feed_plan(4, "10s", RECONNECT)).await;

    let feed = name(&report, "feed");
    assert_eq!(feed.counts.events, 4);
    assert_eq!((feed.counts.reconnects, feed.counts.missed), (0, 0));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(served.len(), 1);
}

#[tokio::test]
async fn garbage_instead_of_http_fails_the_connect_once_and_the_user_goes_on() {
    let mut reply = b"SSH-2.0-OpenSSH_9.6\r\n".to_vec();
    reply.extend(garbage(50));
    let rogue = Rogue::start(vec![Turn::new().send(&reply)]).await;
    let (report, _) = run_against(rogue, &feed_plan(1, "10s", RECONNECT)).await;

    let feed = name(&report, "feed");
    assert_eq!(
        (feed.counts.ok, feed.counts.ko, feed.counts.events),
        (0, 1, 0)
    );
    let errors = errors_of(&report, "feed");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].2), (ErrorKind::Reset, 1));
    assert!(errors[0].1.starts_with("HTTP error with"), "{errors:?}");
    // The next step still ran, and says why it could not close.
    let close = errors_of(&report, "close");
    assert_eq!(close.len(), 1, "{close:?}");
    assert_eq!((close[0].0, close[0].2), (ErrorKind::Step, 1));
    assert_eq!(report.meta.ended_by, "completed");
}

#[tokio::test]
async fn a_10_mib_line_is_refused_at_the_1_mib_limit_and_the_stream_resumes() {
    let prefix = format!("retry: 10\n{}", events(1..=2));
    let chunk = vec![b'x'; 64 * 1024];
    let ten_mib = 10 << 20;
    let rogue = Rogue::start(vec![
        Turn::new()
            .send(SSE_HEAD)
            .send(format!("{prefix}data: "))
            .repeat(&chunk, ten_mib / chunk.len() as u64)
            .send("\n\n"),
        Turn::new().send(SSE_HEAD).send(events(3..=4)).hold(),
    ])
    .await;
    let (report, served) = run_against(rogue, &feed_plan(4, "20s", RECONNECT)).await;

    let feed = name(&report, "feed");
    assert_eq!(
        feed.counts.events, 4,
        "the events before the line still count"
    );
    assert_eq!((feed.counts.reconnects, feed.counts.missed), (1, 0));
    let message = format!(
        "the event stream crossed a limit: line starting at byte {} of the stream is longer than the limit of 1048576 bytes",
        prefix.len()
    );
    assert_eq!(errors_of(&report, "feed"), [(ErrorKind::Reset, message, 1)]);
    // The client hung up at the limit instead of reading the whole line.
    assert_eq!(served[0].ending, Ending::ClientLeft);
    assert!(served[0].written < ten_mib, "{} bytes", served[0].written);
    assert_eq!(served[1].header("last-event-id"), Some("2"));
}

#[tokio::test]
async fn an_event_that_never_ends_is_refused_at_the_16_mib_event_limit() {
    let line = format!("data: {}\n", "y".repeat(1000));
    let rogue = Rogue::start(vec![
        Turn::new()
            .send(SSE_HEAD)
            .send(format!("retry: 10\n{}", events(1..=1)))
            .repeat(&line, 24 << 10),
        Turn::new().send(SSE_HEAD).send(events(2..=2)).hold(),
    ])
    .await;
    let (report, served) = run_against(rogue, &feed_plan(2, "20s", RECONNECT)).await;

    let feed = name(&report, "feed");
    assert_eq!((feed.counts.events, feed.counts.reconnects), (2, 1));
    let errors = errors_of(&report, "feed");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let (kind, message, count) = &errors[0];
    assert_eq!((*kind, *count), (ErrorKind::Reset, 1));
    assert!(
        message.starts_with("the event stream crossed a limit: event reaches ")
            && message.ends_with(", over the limit of 16777216 bytes"),
        "{message}"
    );
    assert_eq!(served[0].ending, Ending::ClientLeft);
    assert!(
        served[0].written < (line.len() as u64) * (24 << 10),
        "{}",
        served[0].written
    );
}

#[tokio::test]
async fn an_event_left_unfinished_times_the_check_out_and_keeps_what_came_before() {
    let rogue = Rogue::start(vec![
        Turn::new()
            .send(SSE_HEAD)
            .send(format!("{}id: 3\ndata: {{\"n\":3}}\n", events(1..=2)))
            .hold(),
    ])
    .await;
    let (report, served) = run_against(rogue, &feed_plan(3, "500ms", RECONNECT)).await;

    let feed = name(&report, "feed");
    assert_eq!((feed.counts.ok, feed.counts.events), (1, 2));
    assert_eq!(metric(feed, "event_gap").count, 1);
    let last = name(&report, "last");
    assert_eq!((last.counts.ok, last.counts.ko), (0, 1));
    let errors = errors_of(&report, "last");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].2), (ErrorKind::CheckTimedOut, 1));
    assert!(errors_of(&report, "feed").is_empty());
    // The user closed the stream after the timeout: the peer saw it go.
    assert_eq!(served[0].ending, Ending::Held);
}

#[tokio::test]
async fn invalid_utf_8_is_replaced_in_data_and_ids_and_the_stream_goes_on() {
    let mut body = b"retry: 10\nid: 1\ndata: {\"n\":1,\"s\":\"\xff\xfe\"}\n\n".to_vec();
    body.extend(b"id: \xc3\x28\ndata: {\"n\":2}\n\n");
    let rogue = Rogue::start(vec![
        Turn::new().send(SSE_HEAD).send(&body),
        Turn::new().send(SSE_HEAD).send(events(3..=3)).hold(),
    ])
    .await;
    let plan = r#"
scenarios:
  - name: faults
    load: [ { at_once_users: 1 } ]
    steps:
      - sse_connect:
          name: feed
          url: /feed
          sequence: { json_path: "$.n" }
          reconnect: { max_attempts: 3, max_backoff: 200ms }
          await:
            - timeout: 10s
              checks:
                - name: replaced
                  matching: { json_path: "$.n", is: 1 }
                  check: [ { json_path: "$.s", is: "\uFFFD\uFFFD" } ]
            - timeout: 10s
              checks: [ { name: third, matching: { json_path: "$.n", is: 3 } } ]
      - sse_close: { name: close }
"#;
    let (report, served) = run_against(rogue, plan).await;

    let feed = name(&report, "feed");
    let data = [r#"{"n":1,"s":"��"}"#, r#"{"n":2}"#, r#"{"n":3}"#];
    assert_eq!(feed.counts.events, 3);
    assert_eq!(
        feed.counts.bytes,
        data.iter().map(|d| d.len() as u64).sum::<u64>()
    );
    assert_eq!((feed.counts.missed, feed.counts.reconnects), (0, 1));
    assert_eq!(name(&report, "replaced").counts.ok, 1);
    assert_eq!(name(&report, "third").counts.ok, 1);
    // The id's invalid byte became U+FFFD, and that is what the resume sent.
    assert_eq!(served[1].header("last-event-id"), Some("\u{FFFD}("));
}

#[tokio::test]
async fn the_wrong_content_type_fails_each_connect_with_its_kind_and_the_users_finish() {
    let html = "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5\r\n\r\nhello";
    let rogue = Rogue::start(vec![Turn::new().send(html), Turn::new().send(html)]).await;
    let addr = rogue.addr();
    let plan = feed_plan(1, "10s", RECONNECT).replace("at_once_users: 1", "at_once_users: 2");
    let (report, _) = run_against(rogue, &plan).await;

    let feed = name(&report, "feed");
    assert_eq!(
        (feed.counts.ok, feed.counts.ko, feed.counts.reconnects),
        (0, 2, 0)
    );
    let message = format!(
        "http://{addr}/feed answered with content type \"text/html\", not text/event-stream"
    );
    assert_eq!(
        errors_of(&report, "feed"),
        [(ErrorKind::ContentType, message, 2)]
    );
    assert_eq!(report.meta.users_started, 2);
    assert_eq!(report.meta.ended_by, "completed");
}

const STATUS_500: &str =
    "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

#[tokio::test]
async fn a_storm_of_500s_is_counted_reconnect_by_reconnect_and_the_resume_misses_nothing() {
    let mut turns = vec![
        Turn::new()
            .send(SSE_HEAD)
            .send(format!("retry: 10\n{}", events(1..=2))),
    ];
    turns.extend((0..5).map(|_| Turn::new().send(STATUS_500)));
    turns.push(Turn::new().send(SSE_HEAD).send(events(3..=4)).hold());
    let rogue = Rogue::start(turns).await;
    let addr = rogue.addr();
    let (report, served) = run_against(rogue, &feed_plan(4, "20s", RECONNECT)).await;

    let feed = name(&report, "feed");
    assert_eq!(feed.counts.events, 4);
    assert_eq!(feed.counts.reconnects, 6);
    assert_eq!((feed.counts.missed, feed.counts.duplicates), (0, 0));
    assert_eq!(metric(feed, "reconnect_gap").count, 1);
    let mut errors = errors_of(&report, "feed");
    errors.sort();
    let status = (
        ErrorKind::Status,
        format!("http://{addr}/feed answered 500"),
        5,
    );
    assert_eq!(errors, [status, ended()]);
    let resumed: Vec<_> = served.iter().map(|s| s.header("last-event-id")).collect();
    assert_eq!(resumed[1..], [Some("2"); 6]);
}

#[tokio::test]
async fn a_server_that_dies_for_good_is_retried_as_allowed_then_the_stream_fails() {
    let rogue = Rogue::start(vec![
        Turn::new()
            .send(SSE_HEAD)
            .send(format!("retry: 10\n{}", events(1..=2))),
    ])
    .await;
    let addr = rogue.addr();
    let reconnect = "{ max_attempts: 3, max_backoff: 50ms }";
    let (report, _) = run_against(rogue, &feed_plan(4, "20s", reconnect)).await;

    let feed = name(&report, "feed");
    assert_eq!((feed.counts.events, feed.counts.ok), (2, 1));
    // Three attempts, each refused; the third refusal ends the stream.
    assert_eq!(feed.counts.reconnects, 3);
    let errors = errors_of(&report, "feed");
    let kinds: Vec<_> = errors.iter().map(|(k, _, n)| (*k, *n)).collect();
    assert_eq!(
        kinds,
        [(ErrorKind::ConnectRefused, 3), (ErrorKind::Reset, 1)],
        "{errors:?}"
    );
    assert!(
        errors[0]
            .1
            .starts_with(&format!("cannot connect to {addr}: ")),
        "{errors:?}"
    );
    let last = errors_of(&report, "last");
    assert_eq!(
        last.iter().map(|(k, _, n)| (*k, *n)).collect::<Vec<_>>(),
        [(ErrorKind::CheckFailed, 1)]
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_trickling_one_byte_a_second_is_measured_to_the_second() {
    let first = events(1..=1);
    let second = events(2..=2);
    let rogue = Rogue::start(vec![
        Turn::new()
            .send(SSE_HEAD)
            .trickle(format!("{first}{second}"), Duration::from_secs(1))
            .hold(),
    ])
    .await;
    let (report, served) = run_against(rogue, &feed_plan(2, "120s", RECONNECT)).await;

    let feed = name(&report, "feed");
    assert_eq!(feed.counts.events, 2);
    let seconds = |metric_name: &str| metric(feed, metric_name).max / 1000.0;
    // One second per byte: each event is dispatched with its last byte.
    let (a, b) = (first.len() as f64, second.len() as f64);
    assert!((seconds("time_to_first_event") - a).abs() < 0.05, "{a}");
    assert!((seconds("event_gap") - b).abs() < 0.05, "{b}");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let body = first.len() + second.len();
    assert_eq!(served[0].written as usize, SSE_HEAD.len() + body);
}

/// A hub on `addr` (port 0 for any), `retry` 300 ms, with or without a data
/// directory. Its shutdown ends every stream after what is queued for it.
async fn hub_at(addr: SocketAddr, replay: usize, dir: Option<&std::path::Path>) -> RunningServer {
    let mut builder = Server::builder()
        .demo(Demo::none())
        .retry(Some(Duration::from_millis(300)))
        .shutdown_grace(Duration::from_secs(5))
        .replay(replay);
    if let Some(dir) = dir {
        builder = builder.data_dir(dir);
    }
    let server = builder.build().expect("valid settings");
    server.start(addr).await.expect("server starts")
}

fn publish(server: &RunningServer, range: std::ops::RangeInclusive<u64>) {
    for n in range {
        let event = NewEvent::new(format!(r#"{{"n":{n}}}"#));
        server.hub().publish("feed", &[event]).expect("publish");
    }
}

const RESTART_PLAN: &str = r#"
scenarios:
  - name: faults
    load: [ { at_once_users: 2 } ]
    steps:
      - sse_connect:
          name: feed
          url: /topics/feed
          sequence: { json_path: "$.n" }
          reconnect: { max_attempts: 200, max_backoff: 100ms }
          await:
            - timeout: 20s
              checks: [ { name: last, matching: { json_path: "$.n", is: 8 } } ]
      - sse_close: { name: close }
"#;

/// Five events on a first server, which is then shut down; a second one
/// on the same port gets events 6 and 7 before any stream is back (this
/// runtime has one thread, and nothing yields between the start and the
/// publish), then event 8 once both streams are back.
async fn restart_mid_run(replay: usize, dir: Option<&std::path::Path>) -> Report {
    let first = hub_at("127.0.0.1:0".parse().unwrap(), 1024, dir).await;
    let addr = first.local_addr();
    let engine = tokio::spawn(async move { support::run(addr, RESTART_PLAN).await });
    subscribers(&first, "feed", 2).await;
    publish(&first, 1..=5);
    first.shutdown().await;
    let second = hub_at(addr, replay, dir).await;
    publish(&second, 6..=7);
    subscribers(&second, "feed", 2).await;
    publish(&second, 8..=8);
    let report = tokio::time::timeout(DEADLINE, engine)
        .await
        .expect("the run ends")
        .unwrap();
    second.shutdown().await;
    report
}

/// Every reconnect has one cause in the errors table: the first is the
/// server going away, the rest are refused connects while it was down.
fn assert_each_reconnect_has_its_cause(report: &Report) {
    let feed = name(report, "feed");
    let errors = errors_of(report, "feed");
    let count = |kind| {
        errors
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, _, n)| n)
            .sum::<u64>()
    };
    assert_eq!(count(ErrorKind::Reset), 2, "{errors:?}");
    assert_eq!(
        count(ErrorKind::Reset) + count(ErrorKind::ConnectRefused),
        feed.counts.reconnects,
        "{errors:?}"
    );
}

#[tokio::test]
async fn a_server_restarted_without_its_data_loses_what_came_while_streams_were_away() {
    let report = restart_mid_run(0, None).await;
    let feed = name(&report, "feed");
    // Per stream: 1..=5, the new server's gap notice (the old id is unknown
    // to it), then 8; 6 and 7 are missed.
    assert_eq!(feed.counts.events, 2 * 7);
    assert_eq!(feed.counts.missed, 2 * 2);
    assert_eq!(feed.counts.duplicates, 0);
    assert_eq!(name(&report, "last").counts.ok, 2);
    assert_each_reconnect_has_its_cause(&report);
}

#[tokio::test]
async fn a_server_restarted_with_its_data_dir_replays_what_streams_missed_exactly_once() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("engine-faults-restart");
    let _ = std::fs::remove_dir_all(&dir);
    let report = restart_mid_run(1024, Some(&dir)).await;
    let feed = name(&report, "feed");
    assert_eq!(feed.counts.events, 2 * 8);
    assert_eq!((feed.counts.missed, feed.counts.duplicates), (0, 0));
    assert_eq!(name(&report, "last").counts.ok, 2);
    assert_each_reconnect_has_its_cause(&report);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_the_connect_out_instead_of_hanging_the_run() {
    // Accepts, reads the request, then says nothing (as a wedged server or
    // a black-holing proxy would): no response head, ever.
    let rogue = Rogue::start(vec![Turn::new().hold()]).await;
    let plan = feed_plan(1, "10s", RECONNECT);
    let engine = support::start(rogue.addr(), &plan, sseload_engine::Options::default()).await;
    // Paused time: any response timeout up to ten minutes passes at once.
    let report = tokio::time::timeout(Duration::from_secs(600), engine.run(None))
        .await
        .expect("the run ends by itself");
    let served = rogue.finish(DEADLINE).await;

    let feed = name(&report, "feed");
    assert_eq!((feed.counts.ok, feed.counts.ko), (0, 1));
    let errors = errors_of(&report, "feed");
    let kinds: Vec<_> = errors.iter().map(|(k, _, n)| (*k, *n)).collect();
    assert_eq!(kinds, [(ErrorKind::Timeout, 1)], "{errors:?}");
    assert_eq!(report.meta.ended_by, "completed");
    assert_eq!(served[0].ending, Ending::Held);
}

/// A counter (`…_total`) from the server's `/metrics`.
async fn server_counter(addr: SocketAddr, counter: &str) -> u64 {
    support::counter(addr, &format!("{counter}_total")).await
}

const FLOOD: u64 = 3_000;

/// Each flood event's padding: the hub writes whatever queued during a
/// fan-out as one chunk straight to an idle socket, so only a flood that
/// outruns the sockets' buffers (megabytes on loopback) reaches the queues.
const FLOOD_PADDING: usize = 16 << 10;

/// A publisher floods a topic faster than streams with a one-message queue
/// can take it: the sockets fill, the hub drops the streams as slow, and
/// each resumes with Last-Event-ID from a ring that holds the whole flood. The report agrees
/// with the server: one reconnect (and one `reset`) per drop, every event
/// exactly once, nothing missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_flood_drops_slow_streams_and_each_resume_is_counted_and_exact() {
    let server = Server::builder()
        .demo(Demo::none())
        .retry(Some(Duration::from_millis(10)))
        .queue(1)
        .replay(FLOOD as usize)
        .build()
        .expect("valid settings")
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .expect("server starts");
    let addr = server.local_addr();
    let plan = RESTART_PLAN
        .replace("is: 8", &format!("is: {FLOOD}"))
        .replace("max_attempts: 200", "max_attempts: 1000");
    let engine = tokio::spawn(async move { support::run(addr, &plan).await });
    subscribers(&server, "feed", 2).await;
    let padding = "x".repeat(FLOOD_PADDING);
    for n in 1..=FLOOD {
        let event = NewEvent::new(format!(r#"{{"n":{n},"pad":"{padding}"}}"#));
        server.hub().publish("feed", &[event]).expect("publish");
        if n % 64 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let report = tokio::time::timeout(DEADLINE, engine)
        .await
        .expect("the run ends")
        .unwrap();

    let feed = name(&report, "feed");
    assert_eq!(feed.counts.events, 2 * FLOOD);
    assert_eq!((feed.counts.missed, feed.counts.duplicates), (0, 0));
    let dropped = server_counter(addr, "sseload_server_subscribers_dropped").await;
    assert!(dropped > 0, "the flood never outran a one-message queue");
    assert_eq!(feed.counts.reconnects, dropped);
    assert_eq!(
        server_counter(addr, "sseload_server_resumes").await,
        dropped
    );
    assert_eq!(
        server_counter(addr, "sseload_server_events_delivered").await,
        2 * FLOOD
    );
    let errors = errors_of(&report, "feed");
    let resets: u64 = errors.iter().map(|(_, _, n)| n).sum();
    assert_eq!(resets, dropped, "{errors:?}");
    assert!(
        errors.iter().all(|(k, _, _)| *k == ErrorKind::Reset),
        "{errors:?}"
    );
    assert_eq!(name(&report, "last").counts.ok, 2);
}
