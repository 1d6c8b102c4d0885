//! The firehose feed, for measuring how fast a client can read:
//! `GET /firehose?size=&count=` writes the same pre-encoded event, in
//! batches of about 64 KiB, as fast as the socket takes them.
//!
//! Each event is one `data:` line holding a JSON object of exactly `size`
//! bytes (100 by default): `{"ts":<ms at open>,"pad":"xxx…"}`, so that a
//! client can run a JSON Path check on every event. The stream ends after
//! `count` events, or runs until the client leaves. Batches are encoded once
//! per stream, so the server spends almost nothing per event; they are sent
//! as control frames and do not count as hub deliveries.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::Request;
use sseload_proto::EventBuilder;
use tokio::sync::mpsc;

use crate::config::Demo;
use crate::hub::Msg;
use crate::respond::{self, Reply};
use crate::server::{Phase, Shared};
use crate::stream::EventStream;
use crate::subscribe::{self, bad_request};

/// The event size when `size` is not given (the parser bench's json-100B corpus).
const DEFAULT_SIZE: usize = 100;

/// The largest event `size` accepted.
pub(crate) const MAX_SIZE: usize = 64 * 1024;

/// About how many bytes one batch holds (at least one event).
const BATCH_BYTES: usize = 64 * 1024;

/// Batches queued ahead of the socket.
const QUEUE: usize = 4;

/// The firehose runs whenever any demo feed does.
pub(crate) fn enabled(demo: &Demo) -> bool {
    demo.stocks || demo.clock || demo.llm
}

/// `GET /firehose?size=..&count=..`.
pub(crate) fn subscribe<B>(shared: &Shared, request: &Request<B>) -> Reply {
    open(shared, request).unwrap_or_else(|reply| reply)
}

fn open<B>(shared: &Shared, request: &Request<B>) -> Result<Reply, Reply> {
    let (mut query, faults) = subscribe::admit(shared, request)?;
    let size = query.parsed("size", "bytes").map_err(bad_request)?;
    let count = query.parsed("count", "events").map_err(bad_request)?;
    query.finish().map_err(bad_request)?;
    if faults.stream.drop_after.is_some() || faults.stream.stall_after.is_some() {
        let message = "the firehose sends batches: drop_after and stall_after do not apply";
        return Err(bad_request(message.to_owned()));
    }
    let event =
        encoded_event(size.unwrap_or(DEFAULT_SIZE), super::now_ms()).map_err(bad_request)?;
    subscribe::inject(shared, &faults)?;
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(produce(
        Batches::new(&event),
        count,
        tx,
        shared.phase.clone(),
    ));
    let prelude = subscribe::retry_hint(shared).into_iter().collect();
    let stream =
        EventStream::new(prelude, rx, Arc::clone(&shared.counters)).with_faults(faults.stream);
    Ok(respond::event_stream(stream))
}

/// One event whose data is a JSON object of exactly `size` bytes.
fn encoded_event(size: usize, ts: u64) -> Result<Bytes, String> {
    let bare = format!("{{\"ts\":{ts},\"pad\":\"\"}}");
    if size < bare.len() || size > MAX_SIZE {
        let range = format!("{} to {MAX_SIZE}", bare.len());
        return Err(format!(
            "query parameter `size`: {size} bytes is out of range ({range})"
        ));
    }
    let pad = "x".repeat(size - bare.len());
    let data = format!("{{\"ts\":{ts},\"pad\":\"{pad}\"}}");
    EventBuilder::new()
        .data(data)
        .encode()
        .map_err(|err| format!("cannot encode the firehose event: {err}"))
}

/// A full batch of one encoded event, repeated.
#[derive(Debug)]
struct Batches {
    event: Bytes,
    full: Bytes,
    per_batch: u64,
}

impl Batches {
    fn new(event: &Bytes) -> Self {
        let per_batch = (BATCH_BYTES / event.len()).max(1);
        Self {
            event: event.clone(),
            full: repeated(event, per_batch),
            per_batch: per_batch as u64,
        }
    }

    /// The next batch when `left` events remain, and how many events it holds.
    fn next(&self, left: u64) -> (Bytes, u64) {
        if left >= self.per_batch {
            return (self.full.clone(), self.per_batch);
        }
        (repeated(&self.event, left as usize), left)
    }
}

fn repeated(event: &Bytes, times: usize) -> Bytes {
    let mut out = BytesMut::with_capacity(event.len() * times);
    for _ in 0..times {
        out.extend_from_slice(event);
    }
    out.freeze()
}

/// Queues batches until `count` events are out, the client leaves, or the
/// server shuts down.
async fn produce(
    batches: Batches,
    count: Option<u64>,
    tx: mpsc::Sender<Msg>,
    mut phase: tokio::sync::watch::Receiver<Phase>,
) {
    let mut left = count.unwrap_or(u64::MAX);
    while left > 0 {
        let (batch, events) = batches.next(left);
        tokio::select! {
            sent = tx.send(Msg::Control(batch)) => if sent.is_err() { return },
            () = crate::server::stopping(&mut phase) => return,
        }
        left -= events;
    }
}

#[cfg(test)]
mod tests {
    use super::{Batches, encoded_event};

    #[test]
    fn events_have_the_asked_size() {
        let event = encoded_event(100, 1_795_272_024_000).unwrap();
        let text = std::str::from_utf8(&event).unwrap();
        let data = text
            .strip_prefix("data: ")
            .unwrap()
            .strip_suffix("\n\n")
            .unwrap();
        assert_eq!(data.len(), 100);
        assert!(data.starts_with(r#"{"ts":1795272024000,"pad":"xxx"#));
        let smallest = encoded_event(29, 1_795_272_024_000).unwrap();
        assert_eq!(
            &smallest[..],
            b"data: {\"ts\":1795272024000,\"pad\":\"\"}\n\n"
        );
    }

    #[test]
    fn sizes_out_of_range_are_refused() {
        assert_eq!(
            encoded_event(28, 1_795_272_024_000).unwrap_err(),
            "query parameter `size`: 28 bytes is out of range (29 to 65536)"
        );
        assert!(
            encoded_event(65_537, 1)
                .unwrap_err()
                .contains("65537 bytes")
        );
    }

    #[test]
    fn batches_hold_whole_events_and_the_last_one_the_rest() {
        let event = encoded_event(100, 1).unwrap();
        let batches = Batches::new(&event);
        let (full, n) = batches.next(u64::MAX);
        assert_eq!(full.len() as u64, n * event.len() as u64);
        assert!(full.len() <= 64 * 1024 && n > 1);
        let (last, m) = batches.next(3);
        assert_eq!((last.len(), m), (3 * event.len(), 3));
    }
}
