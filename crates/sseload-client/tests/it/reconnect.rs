use std::time::Duration;

use http::{HeaderName, HeaderValue};
use sseload_client::{Closed, Error, Item, Reconnect, Request};
use sseload_test::{Exchange, Peer, Script};

use crate::support::{
    SSE_OK, assert_ended, builder, client, error, event, get, next, opened, reconnecting, secs,
};

#[tokio::test(start_paused = true)]
async fn a_drop_mid_event_discards_it_and_reconnects_after_the_default_delay() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("id: 1\ndata: whole\n\nid: 2\ndata: half"),
        )
        .exchange(
            Exchange::expect(get("/", "last-event-id: 1\r\n"))
                .send(SSE_OK)
                .send("data: again\n\n")
                .hold(),
        );
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    opened(&mut stream).await;
    assert_eq!(
        event(&mut stream).await,
        ("message".into(), "whole".into(), "1".into())
    );
    let lost = reconnecting(&mut stream).await;
    assert_eq!((lost.attempt, lost.delay), (1, secs(3)));
    assert!(matches!(lost.cause, Error::Ended), "{:?}", lost.cause);
    let reopened = opened(&mut stream).await;
    assert!(reopened.timing.connect_started >= lost.lost_at + secs(3));
    assert_eq!(
        event(&mut stream).await,
        ("message".into(), "again".into(), "1".into())
    );
    drop(stream);
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_retry_field_changes_the_reconnect_delay() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("retry: 1500\ndata: a\n\nretry: x\n\n"),
        )
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("retry: 250\n\n"),
        )
        .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    opened(&mut stream).await;
    let Item::Event { event, .. } = next(&mut stream).await else {
        panic!("an event")
    };
    assert_eq!(event.retry(), Some(Duration::from_millis(1500)));
    assert_eq!(
        reconnecting(&mut stream).await.delay,
        Duration::from_millis(1500)
    );
    opened(&mut stream).await;
    assert_eq!(
        reconnecting(&mut stream).await.delay,
        Duration::from_millis(250)
    );
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    assert_ended(&mut stream).await;
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn last_event_id_follows_the_stream_over_several_reconnects() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", "last-event-id: start\r\n"))
                .send(SSE_OK)
                .send("id: 1\ndata: a\n\nid: 2\ndata: b\n\n"),
        )
        .exchange(
            Exchange::expect(get("/", "last-event-id: 2\r\n"))
                .send(SSE_OK)
                .send("data: keeps id 2\n\n"),
        )
        .exchange(
            Exchange::expect(get("/", "last-event-id: 2\r\n"))
                .send(SSE_OK)
                .send("id: 3\n\nid: 4\ndata: unfinished"),
        )
        .exchange(
            Exchange::expect(get("/", "last-event-id: 3\r\n"))
                .send(SSE_OK)
                .send("id\ndata: cleared\n\n"),
        )
        .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap().last_event_id("start"));

    let mut ids = Vec::new();
    while let Some(item) = futures_util::StreamExt::next(&mut stream).await {
        match item {
            Item::Event { event, .. } => ids.push(format!("{}={}", event.data(), event.id())),
            Item::Reconnecting(_) => ids.push(format!("reconnect({})", stream.last_event_id())),
            Item::Closed(Closed::NoContent) => ids.push("204".to_owned()),
            _ => {}
        }
    }
    let expected = [
        "a=1",
        "b=2",
        "reconnect(2)",
        "keeps id 2=2",
        "reconnect(2)",
        "reconnect(3)",
        "cleared=",
        "reconnect()",
        "204",
    ];
    assert_eq!(ids, expected);
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn repeated_failures_back_off_exponentially_up_to_the_cap() {
    let unavailable = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
    let mut script = Script::new();
    for _ in 0..5 {
        script = script.exchange(Exchange::expect(get("/", "")).send(unavailable));
    }
    let script = script.exchange(
        Exchange::expect(get("/", ""))
            .send(SSE_OK)
            .send("data: up\n\n")
            .hold(),
    );
    let peer = Peer::start(script).await;
    let client = builder().max_backoff(secs(20)).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());

    let mut delays = Vec::new();
    for _ in 0..5 {
        let lost = reconnecting(&mut stream).await;
        assert_eq!(lost.cause.status(), Some(503));
        delays.push(lost.delay.as_secs());
    }
    assert_eq!(delays, [3, 6, 12, 20, 20]);
    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "up");
    drop(stream);
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn jitter_shortens_backoff_delays_within_the_band() {
    let unavailable = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
    let script = Script::new()
        .exchange(Exchange::expect(get("/", "")).send(unavailable))
        .exchange(Exchange::expect(get("/", "")).send(unavailable))
        .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let client = builder().jitter(0.5).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());

    assert_eq!(reconnecting(&mut stream).await.delay, secs(3));
    let second = reconnecting(&mut stream).await.delay;
    assert!((secs(3)..=secs(6)).contains(&second), "{second:?}");
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn max_attempts_end_the_stream_with_the_last_cause() {
    let unavailable = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
    let script = Script::new()
        .exchange(Exchange::expect(get("/", "")).send(unavailable))
        .exchange(Exchange::expect(get("/", "")).send(unavailable))
        .exchange(Exchange::expect(get("/", "")).send(unavailable));
    let peer = Peer::start(script).await;
    let client = builder().reconnect(Reconnect::AtMost(2)).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());

    assert_eq!(reconnecting(&mut stream).await.attempt, 1);
    assert_eq!(reconnecting(&mut stream).await.attempt, 2);
    assert_eq!(error(&mut stream).await.status(), Some(503));
    assert_ended(&mut stream).await;
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn the_attempt_count_restarts_when_a_stream_opens() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("data: 1\n\n"),
        )
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("data: 2\n\n"),
        )
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("data: 3\n\n")
                .hold(),
        );
    let peer = Peer::start(script).await;
    let client = builder().reconnect(Reconnect::AtMost(1)).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());

    for n in ["1", "2"] {
        opened(&mut stream).await;
        assert_eq!(event(&mut stream).await.1, n);
        assert_eq!(reconnecting(&mut stream).await.attempt, 1);
    }
    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "3");
    drop(stream);
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn never_reconnect_closes_at_the_end_of_the_body() {
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send(SSE_OK)
            .send("data: only\n\n"),
    );
    let peer = Peer::start(script).await;
    let client = builder().reconnect(Reconnect::Never).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());

    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "only");
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::Ended)
    ));
    assert_ended(&mut stream).await;
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_retried_then_reported() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let client = builder().reconnect(Reconnect::AtMost(1)).build().unwrap();
    let mut stream = client.stream(Request::get(&url).unwrap());

    let lost = reconnecting(&mut stream).await;
    assert!(lost.cause.is_connect(), "{:?}", lost.cause);
    assert_eq!(lost.delay, secs(3));
    let err = error(&mut stream).await;
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("cannot connect to 127.0.0.1:"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_parser_limit_counts_as_a_lost_connection() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send(format!("id: 1\ndata: ok\n\ndata: {}\n\n", "x".repeat(64)))
                .hold(),
        )
        .exchange(
            Exchange::expect(get("/", "last-event-id: 1\r\n"))
                .send("HTTP/1.1 204 No Content\r\n\r\n"),
        );
    let peer = Peer::start(script).await;
    let limits = sseload_client::Limits {
        max_line_len: 32,
        ..Default::default()
    };
    let client = builder().limits(limits).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());

    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "ok");
    let lost = reconnecting(&mut stream).await;
    assert!(matches!(lost.cause, Error::Parse(_)), "{:?}", lost.cause);
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn utf8_ids_are_sent_as_is_and_ids_with_control_characters_are_not_sent() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("id: café\ndata: a\n\n"),
        )
        .exchange(
            Exchange::expect(get("/", "last-event-id: café\r\n"))
                .send(SSE_OK)
                .send("id: a\u{1}b\ndata: b\n\n"),
        )
        .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.2, "café");
    reconnecting(&mut stream).await;
    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.2, "a\u{1}b");
    reconnecting(&mut stream).await;
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn the_reconnection_time_persists_across_reconnects() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("retry: 1500\ndata: a\n\n"),
        )
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("data: b\n\n"),
        )
        .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    for data in ["a", "b"] {
        opened(&mut stream).await;
        assert_eq!(event(&mut stream).await.1, data);
        // The second stream sent no `retry`: the first one's still holds.
        assert_eq!(
            reconnecting(&mut stream).await.delay,
            Duration::from_millis(1500),
            "after {data}"
        );
    }
    assert_eq!(stream.reconnection_time(), Duration::from_millis(1500));
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn retry_fields_with_anything_but_digits_are_ignored() {
    let ignored = "retry: 1x0\n\nretry: -5\n\nretry: 1.5\n\nretry: 9 \n\nretry:  7\n\nretry: +3\n\nretry: \n\nretry\n\nretry: \u{0661}\n\n";
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("retry: 800\n\n")
                .send(ignored)
                .send("data: last\n\n"),
        )
        .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "last");
    assert_eq!(
        reconnecting(&mut stream).await.delay,
        Duration::from_millis(800)
    );
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_last_event_id_header_is_the_starting_id_and_follows_the_stream() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", "last-event-id: 5\r\n"))
                .send(SSE_OK)
                .send("id: 6\ndata: a\n\n"),
        )
        .exchange(
            Exchange::expect(get("/", "last-event-id: 6\r\n"))
                .send(SSE_OK)
                // An `id` field with no value resets the last event id.
                .send("id\ndata: reset\n\n"),
        )
        // So the next reconnect sends no Last-Event-ID at all, not the "5" given.
        .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let request = Request::get(&peer.url("/")).unwrap().header(
        HeaderName::from_static("last-event-id"),
        HeaderValue::from_static("5"),
    );
    let mut stream = client().stream(request);

    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.2, "6");
    reconnecting(&mut stream).await;
    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.2, "");
    reconnecting(&mut stream).await;
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}
