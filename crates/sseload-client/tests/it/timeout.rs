use std::time::Duration;

use sseload_client::{Closed, Error, Item, Reconnect, Request};
use sseload_test::{Exchange, Peer, Script};

use crate::support::{SSE_OK, builder, error, event, get, next, opened, reconnecting, secs};

#[tokio::test(start_paused = true)]
async fn no_bytes_for_the_idle_timeout_counts_as_a_drop() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("id: 1\ndata: a\n\n")
                .hold(),
        )
        .exchange(
            Exchange::expect(get("/", "last-event-id: 1\r\n"))
                .send("HTTP/1.1 204 No Content\r\n\r\n"),
        );
    let peer = Peer::start(script).await;
    let client = builder().idle_timeout(Some(secs(15))).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());

    opened(&mut stream).await;
    let Item::Event { at, .. } = next(&mut stream).await else {
        panic!("an event")
    };
    let lost = reconnecting(&mut stream).await;
    assert!(
        matches!(lost.cause, Error::IdleTimeout { after, .. } if after == secs(15)),
        "{:?}",
        lost.cause
    );
    assert_eq!(lost.lost_at.duration_since(at), secs(15));
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn data_arriving_keeps_the_idle_timeout_away() {
    // A hand-written peer spaces its events 8 s apart (paused time), under
    // the 10 s idle timeout; the timeout fires 10 s after the last one.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let client = builder()
        .idle_timeout(Some(secs(10)))
        .reconnect(Reconnect::Never)
        .build()
        .unwrap();
    let mut stream = client.stream(Request::get(&url).unwrap());
    let serving = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        let _ = tcp.read(&mut buf).await.unwrap();
        tcp.write_all(SSE_OK.as_bytes()).await.unwrap();
        for n in 0..3 {
            tokio::time::sleep(secs(8)).await;
            tcp.write_all(format!("data: {n}\n\n").as_bytes())
                .await
                .unwrap();
        }
        tcp
    });

    let started = opened(&mut stream).await.timing.headers_received;
    for n in ["0", "1", "2"] {
        assert_eq!(event(&mut stream).await.1, n);
    }
    let err = error(&mut stream).await;
    assert!(matches!(err, Error::IdleTimeout { .. }), "{err:?}");
    assert_eq!(
        tokio::time::Instant::now().duration_since(started),
        secs(34)
    );
    drop(serving.await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn the_idle_timeout_also_bounds_the_wait_for_response_headers() {
    let script = Script::new().exchange(Exchange::expect(get("/", "")).hold());
    let peer = Peer::start(script).await;
    let client = builder()
        .idle_timeout(Some(secs(5)))
        .reconnect(Reconnect::Never)
        .build()
        .unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());

    assert!(matches!(
        error(&mut stream).await,
        Error::IdleTimeout { .. }
    ));
    drop(stream);
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn the_connect_timeout_covers_a_tls_handshake_that_never_answers() {
    let peer = Peer::start(Script::new().exchange(Exchange::silent())).await;
    let client = builder()
        .connect_timeout(Some(Duration::from_millis(2500)))
        .reconnect(Reconnect::Never)
        .build()
        .unwrap();
    let mut stream = client.stream(Request::get(&peer.https_url("/")).unwrap());

    let before = tokio::time::Instant::now();
    let err = error(&mut stream).await;
    assert!(matches!(err, Error::ConnectTimeout { .. }), "{err:?}");
    assert!(err.is_connect());
    assert_eq!(before.elapsed(), Duration::from_millis(2500));
    assert_eq!(
        err.to_string(),
        format!("connecting to {} timed out after 2.5s", peer.addr())
    );
    drop(stream);
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_is_a_response_timeout_then_a_retry() {
    // The first connection reads the request and never answers; the retry
    // is answered 204.
    let script = Script::new()
        .exchange(Exchange::expect(get("/", "")).hold())
        .exchange(Exchange::expect(get("/", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let client = builder().response_timeout(Some(secs(30))).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/")).unwrap());
    let lost = reconnecting(&mut stream).await;
    assert!(
        matches!(&lost.cause, Error::ResponseTimeout { after, .. } if *after == secs(30)),
        "{:?}",
        lost.cause
    );
    assert!(
        lost.cause
            .to_string()
            .ends_with("did not answer within 30s"),
        "{}",
        lost.cause
    );
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}
