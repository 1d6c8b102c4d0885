use std::net::SocketAddr;
use std::time::Duration;

use sseload_server::{GAP_EVENT, NewEvent, RunningServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{Sse, metric, quiet, start, within};

/// A subscriber on a raw socket with a 4 KiB receive buffer, so that one
/// that stops reading fills up quickly and holds little kernel memory.
async fn raw_subscriber(addr: SocketAddr, topic: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut tcp = socket.connect(addr).await.unwrap();
    let head = format!("GET /topics/{topic} HTTP/1.1\r\nhost: {addr}\r\n\r\n");
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut first = [0u8; 12];
    tcp.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    tcp
}

async fn subscribers(server: &RunningServer, topic: &str, count: usize) {
    within(async {
        while server.hub().subscribers(topic) != count {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
}

const STALLED: usize = 6;
const VANISHED: usize = 4;
const FLOOD: u64 = 20_000;
const REPLAY: usize = 128;

/// Stalled subscribers (connected, never reading, never closing) and
/// vanished ones (gone with a reset, without a clean close) under a
/// publisher flood: the flood never waits on them, exactly the stalled ones
/// are dropped when their bounded queue overflows, the vanished ones are
/// removed without counting as dropped, and the replay ring holds exactly
/// its configured size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_flood_drops_exactly_the_stalled_subscribers_and_keeps_its_bounds() {
    let server = start(quiet().queue(8).replay(REPLAY)).await;
    let addr = server.local_addr();
    let mut stalled = Vec::new();
    for _ in 0..STALLED {
        stalled.push(raw_subscriber(addr, "flood").await);
    }
    let mut vanished = Vec::new();
    for _ in 0..VANISHED {
        vanished.push(raw_subscriber(addr, "flood").await);
    }
    subscribers(&server, "flood", STALLED + VANISHED).await;
    for tcp in vanished {
        tcp.set_zero_linger().unwrap();
    }
    // The server learns that the vanished ones are gone when it writes to them.
    let mut probes = 0;
    within(async {
        while server.hub().subscribers("flood") != STALLED {
            server
                .hub()
                .publish("flood", &[NewEvent::new("probe")])
                .unwrap();
            probes += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(
        metric(addr, "sseload_server_subscribers_dropped_total").await,
        0,
        "the vanished subscribers were removed, not dropped as slow"
    );

    let payload = "f".repeat(1024);
    let mut published = 0;
    while published < FLOOD {
        let batch: Vec<_> = (0..100).map(|_| NewEvent::new(payload.as_str())).collect();
        published += server.hub().publish("flood", &batch).unwrap().len() as u64;
    }
    subscribers(&server, "flood", 0).await;
    assert_eq!(
        metric(addr, "sseload_server_subscribers_dropped_total").await,
        STALLED as u64
    );
    assert_eq!(
        metric(
            addr,
            "sseload_server_events_published_total{topic=\"flood\"}"
        )
        .await,
        probes + FLOOD
    );

    // A late subscriber resuming from the start gets a gap notice, then
    // exactly the last REPLAY events: the ring never grew past its size.
    let last = probes + FLOOD;
    let mut late = Sse::open(addr, "/topics/flood", &[("last-event-id", "0")]).await;
    let gap = within(late.next_event()).await;
    assert_eq!(gap.event_type(), GAP_EVENT);
    let replayed = within(late.events(REPLAY)).await;
    let first = last - REPLAY as u64 + 1;
    assert_eq!(replayed[0].id(), first.to_string());
    assert_eq!(replayed[REPLAY - 1].id(), last.to_string());
    drop(stalled);
}

/// A reader that has taken everything so far is not "too slow" because a
/// publisher sent one batch bigger than the queue: the batch is one
/// message, and the reader gets every event of it.
#[tokio::test]
async fn a_batch_larger_than_the_queue_does_not_drop_a_reader_that_keeps_up() {
    let server = start(quiet().queue(4)).await;
    let addr = server.local_addr();
    let mut reader = Sse::open(addr, "/topics/batch", &[]).await;
    subscribers(&server, "batch", 1).await;
    let batch: Vec<_> = (1..=10).map(|n| NewEvent::new(format!("e{n}"))).collect();
    let ids = server.hub().publish("batch", &batch).unwrap();
    assert_eq!(ids.len(), 10);
    let got = within(reader.events(10)).await;
    let data: Vec<_> = got.iter().map(|e| e.data().to_owned()).collect();
    let expected: Vec<_> = (1..=10).map(|n| format!("e{n}")).collect();
    assert_eq!(data, expected);
    assert_eq!(server.hub().subscribers("batch"), 1);
    assert_eq!(
        metric(addr, "sseload_server_subscribers_dropped_total").await,
        0
    );
}
