use http::{Method, StatusCode};
use serde_json::Value;
use sseload_server::{Demo, Server};

use crate::support::{Ending, Sse, call, start, within};

fn demo_server() -> sseload_server::ServerBuilder {
    Server::builder()
        .heartbeat(None)
        .retry(None)
        .demo(Demo::default())
}

#[tokio::test]
async fn the_firehose_sends_count_events_of_size_bytes_then_ends() {
    let server = start(demo_server()).await;
    let path = "/firehose?size=200&count=1500";
    let mut sse = Sse::open(server.local_addr(), path, &[]).await;
    assert_eq!(sse.status, StatusCode::OK);
    assert_eq!(
        sse.header("content-type"),
        "text/event-stream; charset=utf-8"
    );
    let (events, ending) = within(sse.rest()).await;
    assert_eq!((events.len(), ending), (1500, Ending::Clean));
    for event in &events {
        assert_eq!(event.data().len(), 200);
        let json: Value = serde_json::from_str(event.data()).unwrap();
        assert!(json["ts"].as_u64().unwrap() > 1_700_000_000_000);
    }
}

#[tokio::test]
async fn without_count_the_firehose_keeps_going() {
    let server = start(demo_server()).await;
    let mut sse = Sse::open(server.local_addr(), "/firehose", &[]).await;
    let events = within(sse.events(5000)).await;
    assert!(events.iter().all(|e| e.data().len() == 100));
    drop(sse);
    let (status, _, _) = call(server.local_addr(), Method::GET, "/healthz", &[], "").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_firehose_refuses_bad_parameters() {
    let server = start(demo_server()).await;
    let addr = server.local_addr();
    let cases = [
        (
            "/firehose?size=5",
            "query parameter `size`: 5 bytes is out of range (29 to 65536)",
        ),
        (
            "/firehose?size=big",
            "query parameter `size`: invalid value \\\"big\\\" (expected bytes)",
        ),
        (
            "/firehose?count=-1",
            "query parameter `count`: invalid value \\\"-1\\\" (expected events)",
        ),
        ("/firehose?rate=5", "unknown query parameter `rate`"),
        (
            "/firehose?drop_after=3",
            "the firehose sends batches: drop_after and stall_after do not apply",
        ),
    ];
    for (path, message) in cases {
        let (status, _, body) = call(addr, Method::GET, path, &[], "").await;
        assert_eq!(
            (status, body),
            (
                StatusCode::BAD_REQUEST,
                format!(r#"{{"error":"{message}"}}"#)
            ),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_firehose_is_off_without_demo_feeds() {
    let server = start(crate::support::quiet()).await;
    let (status, _, _) = call(server.local_addr(), Method::GET, "/firehose", &[], "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
