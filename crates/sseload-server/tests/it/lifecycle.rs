use std::time::Duration;

use http::StatusCode;
use sseload_proto::Item;
use sseload_server::NewEvent;
use tokio::time::Instant;

use crate::support::{Ending, PAUSED_DEADLINE, Sse, quiet, start, within};

async fn paused<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PAUSED_DEADLINE, future)
        .await
        .expect("deadline passed")
}

#[tokio::test(start_paused = true)]
async fn heartbeats_come_at_the_configured_interval() {
    let interval = Duration::from_secs(7);
    let start_at = Instant::now();
    let server = start(quiet().heartbeat(Some(interval)).header_timeout(None)).await;
    // Two topics: still one heartbeat per tick.
    let mut sse = Sse::open(server.local_addr(), "/topics/quiet,other", &[]).await;
    let mut heartbeats = 0;
    while heartbeats < 3 {
        match paused(sse.next_item()).await {
            Ok(Item::Comment(text)) => {
                assert_eq!(text, "");
                heartbeats += 1;
                let ticks = start_at.elapsed().as_secs() / interval.as_secs();
                assert!(
                    ticks >= heartbeats,
                    "heartbeat {heartbeats} after only {ticks} intervals"
                );
            }
            other => panic!("expected only heartbeats, got {other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_stream_starts_with_the_retry_hint() {
    let server = start(
        quiet()
            .retry(Some(Duration::from_millis(1500)))
            .header_timeout(None),
    )
    .await;
    let mut sse = Sse::open(server.local_addr(), "/topics/r", &[]).await;
    assert_eq!(
        paused(sse.next_item()).await,
        Ok(Item::Retry(Duration::from_millis(1500)))
    );
}

#[tokio::test(start_paused = true)]
async fn a_stream_ends_cleanly_when_its_lifetime_is_over() {
    let lifetime = Duration::from_secs(30);
    let server = start(quiet().lifetime(Some(lifetime)).header_timeout(None)).await;
    let opened_at = Instant::now();
    let mut sse = Sse::open(server.local_addr(), "/topics/life", &[]).await;
    server
        .hub()
        .publish("life", &[NewEvent::new("before")])
        .unwrap();
    server.hub().wait_delivered();
    let (events, ending) = paused(sse.rest()).await;
    assert_eq!((events.len(), ending), (1, Ending::Clean));
    assert!(
        opened_at.elapsed() >= lifetime,
        "ended after {:?}",
        opened_at.elapsed()
    );
    assert_eq!(server.hub().subscribers("life"), 0);
}

#[tokio::test]
async fn shutdown_ends_streams_cleanly_and_stops_accepting() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let mut streams = Vec::new();
    for _ in 0..5 {
        streams.push(Sse::open(addr, "/topics/s", &[]).await);
    }
    server.hub().publish("s", &[NewEvent::new("bye")]).unwrap();
    within(server.shutdown()).await;
    for mut sse in streams {
        let (events, ending) = within(sse.rest()).await;
        assert_eq!((events.len(), ending), (1, Ending::Clean));
    }
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting"
    );
}

#[tokio::test]
async fn shutdown_cuts_connections_left_after_the_grace_period() {
    let server = start(quiet().shutdown_grace(Duration::from_millis(50))).await;
    let addr = server.local_addr();
    // A client that sent half a request head keeps its connection busy.
    let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut half, b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    let sse = Sse::open(addr, "/topics/s", &[]).await;
    assert_eq!(sse.status, StatusCode::OK);
    within(server.shutdown()).await;
}
