use std::time::Duration;

use futures_util::StreamExt;
use sseload_client::{Builder, Client, EventStream, Http1Engine, Item, Reconnecting};

/// A client for the tests: no connect timeout (paused time must not fire
/// one) and no jitter, so every delay is exact.
///
/// `SSELOAD_TEST_HTTP1=hyper` runs every test on hyper's HTTP/1.1 engine
/// instead of the default one.
pub(crate) fn builder() -> Builder {
    let builder = Client::builder().connect_timeout(None).jitter(0.0);
    match std::env::var("SSELOAD_TEST_HTTP1").as_deref() {
        Ok("hyper") => builder.http1_engine(Http1Engine::Hyper),
        _ => builder,
    }
}

pub(crate) fn client() -> Client {
    builder().build().expect("client")
}

/// The request head the client sends for a GET of `path`, then `extra` header lines.
pub(crate) fn get(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nhost: {{addr}}\r\naccept: text/event-stream\r\ncache-control: no-cache\r\n{extra}\r\n"
    )
}

/// A 200 event-stream response head (the body runs until the connection closes).
pub(crate) const SSE_OK: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n";

/// The next item, within a (possibly paused-time) deadline.
pub(crate) async fn next(stream: &mut EventStream) -> Item {
    tokio::time::timeout(Duration::from_secs(3600), stream.next())
        .await
        .expect("an item before the deadline")
        .expect("the stream had ended")
}

/// The stream's end: `None` right after its last item.
pub(crate) async fn assert_ended(stream: &mut EventStream) {
    let end = tokio::time::timeout(Duration::from_secs(3600), stream.next())
        .await
        .expect("the end before the deadline");
    assert!(end.is_none(), "expected the end of the stream, got {end:?}");
}

pub(crate) async fn opened(stream: &mut EventStream) -> Box<sseload_client::Opened> {
    match next(stream).await {
        Item::Opened(opened) => opened,
        other => panic!("expected Opened, got {other:?}"),
    }
}

/// The next event as (type, data, id).
pub(crate) async fn event(stream: &mut EventStream) -> (String, String, String) {
    match next(stream).await {
        Item::Event { event, .. } => (
            event.event_type().to_owned(),
            event.data().to_owned(),
            event.id().to_owned(),
        ),
        other => panic!("expected an event, got {other:?}"),
    }
}

pub(crate) async fn reconnecting(stream: &mut EventStream) -> Box<Reconnecting> {
    match next(stream).await {
        Item::Reconnecting(reconnecting) => reconnecting,
        other => panic!("expected Reconnecting, got {other:?}"),
    }
}

pub(crate) async fn error(stream: &mut EventStream) -> sseload_client::Error {
    match next(stream).await {
        Item::Error(err) => err,
        other => panic!("expected an error, got {other:?}"),
    }
}

pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}
