use sseload_client::{Closed, Error, Item, Policy, Request};
use sseload_test::{Exchange, Peer, Script};

use crate::support::{
    SSE_OK, assert_ended, builder, client, error, event, get, next, opened, reconnecting, secs,
};

#[tokio::test(start_paused = true)]
async fn no_content_stops_for_good() {
    let script = Script::new()
        .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    assert_ended(&mut stream).await;
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn service_unavailable_then_ok_reconnects() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 4\r\n\r\nbusy"),
        )
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("data: up\n\n")
                .hold(),
        );
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    let lost = reconnecting(&mut stream).await;
    assert_eq!(
        (lost.attempt, lost.delay, lost.cause.status()),
        (1, secs(3), Some(503))
    );
    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "up");
    drop(stream);
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn retry_after_sets_the_delay_for_503_and_429() {
    let script =
        Script::new()
            .exchange(Exchange::expect(get("/", "")).send(
                "HTTP/1.1 503 Service Unavailable\r\nretry-after: 7\r\ncontent-length: 0\r\n\r\n",
            ))
            .exchange(Exchange::expect(get("/", "")).send(
                "HTTP/1.1 429 Too Many Requests\r\nretry-after: 42\r\ncontent-length: 0\r\n\r\n",
            ))
            .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    let first = reconnecting(&mut stream).await;
    assert_eq!((first.delay, first.cause.status()), (secs(7), Some(503)));
    let second = reconnecting(&mut stream).await;
    assert_eq!(
        (second.attempt, second.delay, second.cause.status()),
        (2, secs(42), Some(429))
    );
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_wrong_content_type_ends_the_stream_without_reconnecting() {
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 2\r\n\r\nhi"),
    );
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    let err = error(&mut stream).await;
    assert!(
        matches!(&err, Error::ContentType { content_type, .. } if content_type == "text/html"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{} answered with content type \"text/html\", not text/event-stream",
            peer.url("/")
        )
    );
    assert_ended(&mut stream).await;
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_missing_content_type_ends_the_stream() {
    let script = Script::new()
        .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 200 OK\r\n\r\ndata: x\n\n"));
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    assert!(
        matches!(error(&mut stream).await, Error::ContentType { content_type, .. } if content_type.is_empty())
    );
    assert_ended(&mut stream).await;
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn content_type_parameters_and_case_are_accepted() {
    for content_type in [
        "Text/Event-Stream; charset=utf-8",
        "text/event-stream;charset=utf-8",
        "text/event-stream ;charset=UTF-8",
        "TEXT/EVENT-STREAM",
    ] {
        let head = format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\n\r\n");
        let script = Script::new().exchange(
            Exchange::expect(get("/", ""))
                .send(head)
                .send("data: ok\n\n")
                .hold(),
        );
        let peer = Peer::start(script).await;
        let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

        opened(&mut stream).await;
        assert_eq!(event(&mut stream).await.1, "ok", "{content_type}");
        drop(stream);
        peer.finish().await;
    }
}

#[tokio::test(start_paused = true)]
async fn other_statuses_end_the_stream_without_reconnecting() {
    for status in ["404 Not Found", "401 Unauthorized", "201 Created"] {
        let head = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
        let script = Script::new().exchange(Exchange::expect(get("/", "")).send(head));
        let peer = Peer::start(script).await;
        let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

        let err = error(&mut stream).await;
        assert_eq!(
            err.status().map(|s| s.to_string()),
            Some(status[..3].to_owned()),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("{} answered {}", peer.url("/"), &status[..3])
        );
        assert_ended(&mut stream).await;
        peer.finish().await;
    }
}

#[tokio::test(start_paused = true)]
async fn browser_policy_ends_on_every_non_200() {
    for status in [
        "503 Service Unavailable",
        "429 Too Many Requests",
        "500 Internal Server Error",
    ] {
        let head = format!("HTTP/1.1 {status}\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n");
        let script = Script::new().exchange(Exchange::expect(get("/", "")).send(head));
        let peer = Peer::start(script).await;
        let client = builder().policy(Policy::Browser).build().unwrap();
        let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());

        assert_eq!(
            error(&mut stream).await.status().map(|s| s.to_string()),
            Some(status[..3].to_owned())
        );
        assert_ended(&mut stream).await;
        peer.finish().await;
    }
}

#[tokio::test(start_paused = true)]
async fn browser_policy_still_reconnects_after_a_network_loss() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("id: 9\ndata: a\n\n"),
        )
        .exchange(
            Exchange::expect(get("/", "last-event-id: 9\r\n"))
                .send("HTTP/1.1 204 No Content\r\n\r\n"),
        );
    let peer = Peer::start(script).await;
    let client = builder().policy(Policy::Browser).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());

    opened(&mut stream).await;
    event(&mut stream).await;
    assert_eq!(reconnecting(&mut stream).await.delay, secs(3));
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}
