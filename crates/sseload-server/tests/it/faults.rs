use std::time::Duration;

use http::{Method, StatusCode};
use sseload_server::{ErrorStatus, Faults, NewEvent};
use tokio::time::Instant;

use crate::support::{Ending, PAUSED_DEADLINE, Sse, call, ids, numbered, quiet, start, within};

async fn paused<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PAUSED_DEADLINE, future)
        .await
        .expect("deadline passed")
}

fn events(n: u64) -> Vec<NewEvent> {
    (1..=n).map(|i| NewEvent::new(format!("d{i}"))).collect()
}

#[tokio::test(start_paused = true)]
async fn delay_holds_the_first_event_back() {
    let server = start(quiet().header_timeout(None)).await;
    let opened_at = Instant::now();
    let mut sse = Sse::open(server.local_addr(), "/topics/d?delay_ms=2500", &[]).await;
    assert_eq!(sse.status, StatusCode::OK, "headers come at once");
    server.hub().publish("d", &events(1)).unwrap();
    server.hub().wait_delivered();
    paused(sse.next_event()).await;
    assert!(
        opened_at.elapsed() >= Duration::from_millis(2500),
        "{:?}",
        opened_at.elapsed()
    );
}

#[tokio::test]
async fn drop_after_cuts_the_connection_and_resume_continues() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    server.hub().publish("cut", &events(10)).unwrap();
    let mut sse = Sse::open(addr, "/topics/cut?drop_after=3", &[("last-event-id", "0")]).await;
    let (got, ending) = within(sse.rest()).await;
    assert_eq!((ids(&got), ending), (numbered(1, 3), Ending::Cut));
    let mut again = Sse::open(addr, "/topics/cut?drop_after=3", &[("last-event-id", "3")]).await;
    let (got, ending) = within(again.rest()).await;
    assert_eq!((ids(&got), ending), (numbered(4, 6), Ending::Cut));
}

#[tokio::test]
async fn drop_after_as_a_server_default() {
    let mut faults = Faults::default();
    faults.drop_after = Some(2);
    let server = start(quiet().faults(faults)).await;
    server.hub().publish("cut", &events(5)).unwrap();
    let mut sse = Sse::open(
        server.local_addr(),
        "/topics/cut",
        &[("last-event-id", "0")],
    )
    .await;
    let (got, ending) = within(sse.rest()).await;
    assert_eq!((ids(&got), ending), (numbered(1, 2), Ending::Cut));
}

#[tokio::test(start_paused = true)]
async fn stall_goes_silent_then_ends_the_stream() {
    let server = start(
        quiet()
            .header_timeout(None)
            .heartbeat(Some(Duration::from_secs(1))),
    )
    .await;
    let opened_at = Instant::now();
    let mut sse = Sse::open(
        server.local_addr(),
        "/topics/st?stall_after=2&stall_ms=10000",
        &[],
    )
    .await;
    server.hub().publish("st", &events(4)).unwrap();
    let (got, ending) = paused(sse.rest()).await;
    assert_eq!((ids(&got), ending), (numbered(1, 2), Ending::Clean));
    assert!(
        opened_at.elapsed() >= Duration::from_secs(10),
        "{:?}",
        opened_at.elapsed()
    );
}

#[tokio::test]
async fn error_rate_answers_the_configured_status() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let (status, _, body) = call(addr, Method::GET, "/topics/e?error_rate=1", &[], "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"injected fault (error_rate)"}"#
        )
    );
    let (status, _, _) = call(
        addr,
        Method::GET,
        "/topics/e?error_rate=1&error_status=500",
        &[],
        "",
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let sse = Sse::open(addr, "/topics/e?error_rate=0", &[]).await;
    assert_eq!(sse.status, StatusCode::OK);
}

#[tokio::test]
async fn error_rate_hits_about_that_fraction() {
    let mut faults = Faults::default();
    faults.error_rate = 0.3;
    faults.error_status = ErrorStatus::InternalServerError;
    let server = start(quiet().faults(faults).seed(7)).await;
    let addr = server.local_addr();
    // A closed topic answers 204 when no error is injected, so each call is short.
    server.hub().close_topic("e").unwrap();
    let mut failed = 0;
    for _ in 0..200 {
        let (status, _, _) = within(call(addr, Method::GET, "/topics/e", &[], "")).await;
        assert!(matches!(status.as_u16(), 204 | 500), "{status}");
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            failed += 1;
        }
    }
    // Binomial(200, 0.3): mean 60, sd 6.5; the seed makes the draw repeatable.
    assert!((30..=90).contains(&failed), "{failed} of 200 failed");
}

#[tokio::test]
async fn bad_fault_parameters_get_a_400_naming_them() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let cases = [
        (
            "drop_after=many",
            r#"query parameter `drop_after`: invalid value \"many\" (expected a whole number)"#,
        ),
        (
            "delay_ms=-5",
            r#"query parameter `delay_ms`: invalid value \"-5\" (expected milliseconds)"#,
        ),
        (
            "error_rate=1.5",
            "query parameter `error_rate`: 1.5 is not between 0 and 1",
        ),
        (
            "error_status=404",
            "query parameter `error_status`: 404 is not 500 or 503",
        ),
        (
            "types=a,,b",
            r#"query parameter `types`: empty item in \"a,,b\""#,
        ),
        ("colour=red", "unknown query parameter `colour`"),
    ];
    for (query, message) in cases {
        let (status, _, body) =
            call(addr, Method::GET, &format!("/topics/q?{query}"), &[], "").await;
        assert_eq!(
            (status, body),
            (
                StatusCode::BAD_REQUEST,
                format!(r#"{{"error":"{message}"}}"#)
            ),
            "{query}"
        );
    }
}
