//! Handing a topic's committed events to its subscribers.
//!
//! Each subscriber is offered what passes its type filter and was committed
//! after it subscribed, as one message
//! (see [`crate::outbox`]: an idle socket is written at once). Subscribers
//! without a filter all get the same bytes, framed as one chunk once.
//!
//! Nearly all the time of a large fan-out is the kernel's: one `write` per
//! subscriber, each running the loopback TCP path to the peer's socket. A
//! topic with [`PARALLEL_MIN`] subscribers or more is split across up to
//! [`default_threads`] threads: one per core but one. The core left over runs
//! everything else, and on a machine that also runs the readers (a load
//! test on one host) it is theirs: on two cores, one fan-out thread gave a
//! lower p99 delivery latency than two in every run (docs/server.md). The
//! hub's lock is not held (see [`crate::pending`]: one pass at a time keeps
//! the order).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use crate::hub::{Member, Msg, Stored, type_matches};
use crate::metrics::Counters;
use crate::outbox::{Offered, Refused};
use crate::wire;

/// The fewest subscribers a fan-out is split across threads for.
pub(crate) const PARALLEL_MIN: usize = 2048;

/// A subscriber to remove, with the topics it is in.
pub(crate) type Removed = (u64, Arc<[Arc<str>]>);

/// What a shard of a fan-out did.
#[derive(Debug, Default)]
struct Outcome {
    removed: Vec<Removed>,
    /// Events written to sockets by the hub itself.
    written: u64,
    /// Subscribers whose queue was full.
    dropped: u64,
}

impl Outcome {
    fn merge(&mut self, other: Self) {
        self.removed.extend(other.removed);
        self.written += other.written;
        self.dropped += other.dropped;
    }
}

/// A topic's subscribers as a pass found them.
pub(crate) type Members = [(u64, Arc<Member>)];

/// Offers `events` (in sequence order) to every member; returns the ones
/// that cannot take them, to be removed from all their topics.
/// `threads` is the most threads it may use.
pub(crate) fn hand_out(
    members: &Members,
    events: &[Stored],
    counters: &Counters,
    threads: usize,
) -> Vec<Removed> {
    if members.is_empty() || events.is_empty() {
        return Vec::new();
    }
    let everything = wire::chunk_of(&everything(events));
    let shards = threads.min(members.len() / PARALLEL_MIN).max(1);
    let outcome = offer_sharded(members, events, &everything, shards);
    counters
        .delivered
        .fetch_add(outcome.written, Ordering::Relaxed);
    counters
        .dropped
        .fetch_add(outcome.dropped, Ordering::Relaxed);
    outcome.removed
}

/// The most threads a fan-out uses unless configured: one per core but one.
pub(crate) fn default_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    cores.saturating_sub(1).max(1)
}

/// Offers to `all`, split across `shards` threads.
fn offer_sharded(all: &Members, events: &[Stored], everything: &Bytes, shards: usize) -> Outcome {
    if shards <= 1 {
        return offer_each(all, events, everything);
    }
    let size = all.len().div_ceil(shards);
    std::thread::scope(|scope| {
        let mut parts = all.chunks(size);
        let first = parts.next().unwrap_or_default();
        let helpers: Vec<_> = parts
            .map(|part| {
                let work = move || offer_each(part, events, everything);
                // Without a thread, the part is done here, after the first.
                std::thread::Builder::new()
                    .name("sseload-fanout".into())
                    .spawn_scoped(scope, work)
                    .map_err(|_| part)
            })
            .collect();
        let mut outcome = offer_each(first, events, everything);
        for helper in helpers {
            let done = match helper {
                Ok(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(part) => offer_each(part, events, everything),
            };
            outcome.merge(done);
        }
        outcome
    })
}

/// Offers to each member in turn.
fn offer_each(members: &Members, events: &[Stored], everything: &Bytes) -> Outcome {
    let mut outcome = Outcome::default();
    // Members that subscribed before the first event get all of them.
    let first = events.first().map_or(0, |e| e.seq);
    for (id, member) in members {
        let whole = member.types.is_none() && member.after < first;
        let Some(msg) = message_for(member, events, whole) else {
            continue;
        };
        let events = msg.events();
        let chunk = |msg: &Msg| {
            if whole {
                everything.clone()
            } else {
                wire::chunk_of(msg)
            }
        };
        match member.tx.offer(msg, chunk) {
            Ok(Offered::Written) => outcome.written += events,
            Ok(Offered::Queued) => {}
            Err(refused) => {
                if refused == Refused::Full {
                    outcome.dropped += 1;
                }
                outcome.removed.push((*id, Arc::clone(&member.topics)));
            }
        }
    }
    outcome
}

/// All the events as one message.
fn everything(events: &[Stored]) -> Msg {
    match events {
        [one] => Msg::Event(one.bytes.clone()),
        all => Msg::Batch(all.iter().map(|e| e.bytes.clone()).collect()),
    }
}

/// The message carrying what a subscriber gets of `events`, if anything:
/// all of them when `whole`, else those after it subscribed that pass its
/// type filter.
fn message_for(member: &Member, events: &[Stored], whole: bool) -> Option<Msg> {
    if whole {
        return Some(everything(events));
    }
    let mut events: Vec<Bytes> = events
        .iter()
        .filter(|e| e.seq > member.after)
        .filter(|e| type_matches(member.types.as_deref(), e.event_type.as_deref()))
        .map(|e| e.bytes.clone())
        .collect();
    match events.len() {
        0 => None,
        1 => events.pop().map(Msg::Event),
        _ => Some(Msg::Batch(events)),
    }
}
