use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http::{Method, StatusCode};
use sseload_server::{GAP_EVENT, NewEvent};

use crate::support::{Ending, Sse, call, ids, metric, numbered, post, quiet, start, within};

fn event(data: impl Into<String>) -> NewEvent {
    NewEvent::new(data)
}

#[tokio::test]
async fn every_subscriber_gets_every_event_once_in_order() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let mut streams = Vec::new();
    for _ in 0..200 {
        streams.push(Sse::open(addr, "/topics/fan", &[]).await);
    }
    assert_eq!(server.hub().subscribers("fan"), 200);
    let first = streams[0].header("content-type").to_owned();
    assert_eq!(first, "text/event-stream; charset=utf-8");
    assert_eq!(streams[0].header("cache-control"), "no-cache");
    assert_eq!(streams[0].header("x-accel-buffering"), "no");
    assert_eq!(streams[0].header("content-encoding"), "");
    for batch in 0..5 {
        let events: Vec<_> = (0..10)
            .map(|i| event(format!("e{}", batch * 10 + i)).event("tick"))
            .collect();
        server.hub().publish("fan", &events).unwrap();
    }
    let readers = streams
        .into_iter()
        .map(|mut sse| tokio::spawn(async move { within(sse.events(50)).await }));
    for reader in readers {
        let events = reader.await.unwrap();
        assert_eq!(ids(&events), numbered(1, 50));
        assert!(
            events
                .iter()
                .enumerate()
                .all(|(i, e)| e.data() == format!("e{i}") && e.event_type() == "tick")
        );
    }
}

#[tokio::test]
async fn publish_over_http_answers_the_assigned_ids() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let mut sse = Sse::open(addr, "/topics/news", &[]).await;
    let (status, body) = post(
        addr,
        "news",
        r#"{"event":"headline","data":{"title":"hi"}}"#,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"ids":["1"]}"#)
    );
    let (status, body) = post(
        addr,
        "news",
        r#"[{"data":"a"},{"data":"b","id":"custom-7"},{"data":"c"}]"#,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"ids":["2","custom-7","4"]}"#)
    );
    let events = within(sse.events(4)).await;
    assert_eq!(ids(&events), ["1", "2", "custom-7", "4"]);
    assert_eq!(events[0].data(), r#"{"title":"hi"}"#);
    assert_eq!(events[0].event_type(), "headline");
    assert_eq!(events[3].data(), "c");
}

/// Reconnects three times with Last-Event-ID while a task keeps publishing:
/// every id arrives exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_has_no_gap_and_no_duplicate_while_publishing() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let hub = server.hub().clone();
    let total = 600u64;
    let mut sse = Sse::open(addr, "/topics/live", &[]).await;
    let publisher = tokio::spawn(async move {
        for n in 0..total {
            hub.publish("live", &[event(format!("n{n}"))]).unwrap();
            tokio::task::yield_now().await;
        }
    });
    let mut seen: Vec<String> = Vec::new();
    let mut connections = 1;
    while (seen.len() as u64) < total {
        let event = within(sse.next_event()).await;
        seen.push(event.id().to_owned());
        if seen.len().is_multiple_of(150) && (seen.len() as u64) < total {
            drop(sse);
            let last = seen.last().unwrap().clone();
            sse = Sse::open(addr, "/topics/live", &[("last-event-id", &last)]).await;
            connections += 1;
        }
    }
    publisher.await.unwrap();
    assert_eq!(seen, numbered(1, total));
    assert_eq!(connections, 4);
    assert_eq!(metric(addr, "sseload_server_resumes_total").await, 3);
}

#[tokio::test]
async fn an_id_older_than_the_buffer_is_announced_then_the_buffer_replayed() {
    let server = start(quiet().replay(4)).await;
    let addr = server.local_addr();
    let events: Vec<_> = (1..=10).map(|n| event(format!("d{n}"))).collect();
    server.hub().publish("old", &events).unwrap();
    let mut sse = Sse::open(addr, "/topics/old", &[("last-event-id", "2")]).await;
    let gap = within(sse.next_event()).await;
    assert_eq!(gap.event_type(), GAP_EVENT);
    assert_eq!(
        gap.data(),
        r#"{"last_event_id":"2","reason":"too_old","topics":["old"]}"#
    );
    assert_eq!(
        gap.id(),
        "",
        "the notice must not move the client's last event id"
    );
    assert_eq!(ids(&within(sse.events(4)).await), numbered(7, 10));
    server.hub().publish("old", &[event("live")]).unwrap();
    assert_eq!(within(sse.next_event()).await.id(), "11");
    assert_eq!(
        metric(addr, "sseload_server_events_replayed_total").await,
        5
    );
}

#[tokio::test]
async fn an_id_still_buffered_resumes_without_notice_and_an_unknown_one_with_one() {
    let server = start(quiet().replay(4)).await;
    let addr = server.local_addr();
    let events: Vec<_> = (1..=10).map(|n| event(format!("d{n}"))).collect();
    server.hub().publish("buf", &events).unwrap();
    server
        .hub()
        .publish("buf", &[event("named").id("x-1"), event("after")])
        .unwrap();
    let mut exact = Sse::open(addr, "/topics/buf", &[("last-event-id", "9")]).await;
    assert_eq!(ids(&within(exact.events(3)).await), ["10", "x-1", "12"]);
    let mut custom = Sse::open(addr, "/topics/buf", &[("last-event-id", "x-1")]).await;
    assert_eq!(within(custom.next_event()).await.id(), "12");
    let mut unknown = Sse::open(addr, "/topics/buf", &[("last-event-id", "no-such-id")]).await;
    let gap = within(unknown.next_event()).await;
    assert_eq!(gap.event_type(), GAP_EVENT);
    assert!(
        gap.data().contains(r#""reason":"unknown_id""#),
        "{}",
        gap.data()
    );
    assert_eq!(
        ids(&within(unknown.events(4)).await),
        ["9", "10", "x-1", "12"]
    );
}

#[tokio::test]
async fn several_topics_and_a_type_filter() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let hub = server.hub();
    let mut both = Sse::open(addr, "/topics/a,b?types=alert,update", &[]).await;
    hub.publish(
        "a",
        &[event("a1").event("alert"), event("a2").event("chatter")],
    )
    .unwrap();
    hub.publish("b", &[event("b1").event("update"), event("b2")])
        .unwrap();
    hub.publish("c", &[event("c1").event("alert")]).unwrap();
    hub.publish("a", &[event("a3").event("update")]).unwrap();
    let got = within(both.events(3)).await;
    let data: Vec<_> = got.iter().map(|e| e.data()).collect();
    assert_eq!(data, ["a1", "b1", "a3"]);
    assert_eq!(ids(&got), ["1", "3", "6"]);
    // Resuming a multi-topic stream replays from both topics, filtered, in order.
    let mut resumed = Sse::open(
        addr,
        "/topics/a,b?types=alert,update",
        &[("last-event-id", "1")],
    )
    .await;
    let data: Vec<_> = within(resumed.events(2))
        .await
        .iter()
        .map(|e| e.data().to_owned())
        .collect();
    assert_eq!(data, ["b1", "a3"]);
}

/// One subscriber never reads: it is dropped once its queue overflows, while
/// the others receive every event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_subscriber_is_dropped_and_the_others_keep_receiving() {
    let server = start(quiet().queue(64)).await;
    let addr = server.local_addr();
    let slow = Sse::open(addr, "/topics/firehose", &[]).await;
    let received: Arc<Vec<AtomicU64>> = Arc::new((0..3).map(|_| AtomicU64::new(0)).collect());
    let mut readers = Vec::new();
    for index in 0..3 {
        let mut sse = Sse::open(addr, "/topics/firehose", &[]).await;
        let received = Arc::clone(&received);
        readers.push(tokio::spawn(async move {
            let mut expected = 1u64;
            loop {
                let event = sse.next_event().await;
                assert_eq!(event.id(), expected.to_string());
                expected += 1;
                received[index].store(expected - 1, Ordering::SeqCst);
            }
        }));
    }
    let payload = "x".repeat(16 * 1024);
    let mut published = 0u64;
    while server.hub().subscribers("firehose") == 4 {
        assert!(published < 20_000, "the slow subscriber was never dropped");
        let batch: Vec<_> = (0..32).map(|_| event(payload.as_str())).collect();
        published += server.hub().publish("firehose", &batch).unwrap().len() as u64;
        within(async {
            while received
                .iter()
                .any(|r| r.load(Ordering::SeqCst) < published)
            {
                tokio::task::yield_now().await;
            }
        })
        .await;
    }
    assert_eq!(server.hub().subscribers("firehose"), 3);
    assert_eq!(
        metric(addr, "sseload_server_subscribers_dropped_total").await,
        1
    );
    assert_eq!(
        metric(addr, "sseload_server_subscribers{topic=\"firehose\"}").await,
        3
    );
    drop(slow);
    for reader in readers {
        reader.abort();
    }
}

#[tokio::test]
async fn a_closed_topic_ends_its_streams_and_answers_204() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let mut sse = Sse::open(addr, "/topics/done", &[]).await;
    let mut other = Sse::open(addr, "/topics/done,other", &[]).await;
    server.hub().publish("done", &[event("last")]).unwrap();
    let (status, _, body) = call(addr, Method::DELETE, "/topics/done", &[], "").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"closed":"done","was_open":true}"#)
    );
    let (events, ending) = within(sse.rest()).await;
    assert_eq!(
        (ids(&events), ending),
        (vec!["1".to_owned()], Ending::Clean)
    );
    assert_eq!(within(other.rest()).await.1, Ending::Clean);
    let again = Sse::open(addr, "/topics/done", &[]).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    let (status, body) = post(addr, "done", r#"{"data":"x"}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::GONE, r#"{"error":"topic \"done\" is closed"}"#)
    );
}

#[tokio::test]
async fn metrics_and_health() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let (status, _, body) = call(addr, Method::GET, "/healthz", &[], "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));
    let mut sse = Sse::open(addr, "/topics/m", &[]).await;
    server
        .hub()
        .publish("m", &[event("1"), event("2")])
        .unwrap();
    within(sse.events(2)).await;
    let (status, headers, text) = call(addr, Method::GET, "/metrics", &[], "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    for line in [
        "sseload_server_subscribers{topic=\"m\"} 1",
        "sseload_server_events_published_total{topic=\"m\"} 2",
        "sseload_server_events_delivered_total 2",
        "# TYPE sseload_server_events_delivered counter",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from\n{text}"
        );
    }
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let (status, _, body) = call(addr, Method::GET, "/nope", &[], "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::NOT_FOUND,
            r#"{"error":"no route for GET /nope"}"#
        )
    );
    let (status, headers, _) = call(addr, Method::PUT, "/topics/x", &[], "").await;
    assert_eq!(
        (status, headers["allow"].to_str().unwrap()),
        (StatusCode::METHOD_NOT_ALLOWED, "GET, POST, DELETE")
    );
    let (status, _, body) = call(addr, Method::GET, "/topics/bad!name", &[], "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("invalid topic name \\\"bad!name\\\""),
        "{body}"
    );
}
