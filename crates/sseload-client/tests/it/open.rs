use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method, StatusCode, Version};
use sseload_client::{Item, Reconnect, Request};
use sseload_test::{Exchange, Peer, Script};

use crate::support::{SSE_OK, builder, client, event, get, next, opened};

#[tokio::test]
async fn get_sends_the_exact_request_and_yields_events_in_order() {
    let script = Script::new().exchange(
        Exchange::expect(get("/events?topic=a", ""))
            .send(SSE_OK)
            .send("id: 1\nevent: tick\ndata: one\n\ndata: two\ndata: lines\n\n")
            .hold(),
    );
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/events?topic=a")).unwrap());

    let opened = opened(&mut stream).await;
    assert_eq!(
        (opened.status, opened.version),
        (StatusCode::OK, Version::HTTP_11)
    );
    assert_eq!(opened.headers["content-type"], "text/event-stream");
    assert_eq!(opened.url.as_str(), peer.url("/events?topic=a"));
    assert_eq!(
        event(&mut stream).await,
        ("tick".into(), "one".into(), "1".into())
    );
    assert_eq!(
        event(&mut stream).await,
        ("message".into(), "two\nlines".into(), "1".into())
    );
    drop(stream);
    peer.finish().await;
}

#[tokio::test]
async fn timing_points_are_in_order_and_events_carry_their_chunk_time() {
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send(SSE_OK)
            .send("data: x\n\n")
            .hold(),
    );
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    let timing = opened(&mut stream).await.timing;
    assert!(timing.connect_started <= timing.connected);
    assert!(timing.connected <= timing.request_written);
    assert!(timing.request_written <= timing.headers_received);
    let Item::Event { at, .. } = next(&mut stream).await else {
        panic!("an event")
    };
    assert!(timing.headers_received <= at);
    drop(stream);
    peer.finish().await;
}

#[tokio::test]
async fn post_sends_headers_and_a_json_body() {
    let body = r#"{"model":"m","stream":true}"#;
    let expected = format!(
        "POST /v1/chat HTTP/1.1\r\nhost: {{addr}}\r\naccept: text/event-stream\r\ncache-control: no-cache\r\n\
         content-type: application/json\r\nauthorization: Bearer t0k\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let script = Script::new().exchange(
        Exchange::expect(expected)
            .send(SSE_OK)
            .send("data: token\n\n")
            .hold(),
    );
    let peer = Peer::start(script).await;
    let request = Request::new(Method::POST, &peer.url("/v1/chat"))
        .unwrap()
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header(AUTHORIZATION, HeaderValue::from_static("Bearer t0k"))
        .body(body);
    let mut stream = client().stream(request);

    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "token");
    drop(stream);
    peer.finish().await;
}

#[tokio::test]
async fn a_given_accept_header_replaces_the_default() {
    let expected = "GET / HTTP/1.1\r\nhost: {addr}\r\ncache-control: no-cache\r\naccept: text/event-stream, */*\r\n\r\n";
    let script =
        Script::new().exchange(Exchange::expect(expected).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let request = Request::get(&peer.url("/")).unwrap().header(
        http::header::ACCEPT,
        HeaderValue::from_static("text/event-stream, */*"),
    );
    let mut stream = client().stream(request);

    assert!(matches!(next(&mut stream).await, Item::Closed(_)));
    peer.finish().await;
}

#[tokio::test]
async fn comments_are_reported_only_when_asked() {
    let body = ": hello\ndata: a\n\n:\n";
    let script = Script::new()
        .exchange(Exchange::expect(get("/", "")).send(SSE_OK).send(body))
        .exchange(Exchange::expect(get("/", "")).send(SSE_OK).send(body));
    let peer = Peer::start(script).await;
    let client = builder().reconnect(Reconnect::Never).build().unwrap();

    let mut with = client.stream(Request::get(&peer.url("/")).unwrap().comments(true));
    let mut seen = Vec::new();
    while let Some(item) = futures_util::StreamExt::next(&mut with).await {
        match item {
            Item::Comment { text, .. } => seen.push(format!("comment {text:?}")),
            Item::Event { event, .. } => seen.push(format!("event {:?}", event.data())),
            _ => {}
        }
    }
    assert_eq!(seen, ["comment \"hello\"", "event \"a\"", "comment \"\""]);

    let mut without = client.stream(Request::get(&peer.url("/")).unwrap());
    opened(&mut without).await;
    assert!(matches!(next(&mut without).await, Item::Event { .. }));
    assert!(matches!(next(&mut without).await, Item::Closed(_)));
    peer.finish().await;
}

#[test]
fn urls_that_cannot_carry_a_stream_are_refused() {
    for (url, reason) in [
        ("not a url", "relative URL without a base"),
        ("ftp://example.com/x", "scheme \"ftp\" is not http or https"),
        ("http://", "empty host"),
    ] {
        let err = Request::get(url).unwrap_err();
        assert!(
            matches!(err, sseload_client::Error::InvalidUrl { .. }),
            "{url}: {err:?}"
        );
        assert!(
            err.to_string().contains(url) && err.to_string().contains(reason),
            "{url}: {err}"
        );
    }
}

#[test]
fn clients_and_streams_can_move_between_tasks() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send + 'static>() {}
    send_sync::<sseload_client::Client>();
    send_sync::<sseload_client::Error>();
    send::<sseload_client::EventStream>();
    send::<Item>();
}

/// hyper reads the response head into its connection buffer and hands out
/// header values that are slices of it; `Opened` must hold copies, or a
/// caller keeping it keeps that buffer (and the body read with it) alive.
#[tokio::test]
async fn opened_headers_are_copies_not_slices_of_the_read_buffer() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-a: 1\r\nx-bb: 2\r\n\r\n";
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send(head)
            .send("data: x\n\n")
            .hold(),
    );
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    let opened = opened(&mut stream).await;
    let a = opened.headers["x-a"].as_bytes().as_ptr() as usize;
    let b = opened.headers["x-bb"].as_bytes().as_ptr() as usize;
    // In the read buffer "2" is 9 bytes after "1" ("1\r\nx-bb: 2"); two
    // separate allocations are never an odd distance apart.
    assert_ne!(
        b.wrapping_sub(a),
        9,
        "the header values share hyper's buffer"
    );
    drop(stream);
    peer.finish().await;
}
