//! Handing one publish to a topic's subscribers.
//!
//! Each subscriber is offered what passes its type filter, as one message
//! (see [`crate::outbox`]: an idle socket is written at once). Subscribers
//! without a filter all get the same bytes, framed as one chunk once.
//!
//! Nearly all the time of a large fan-out is the kernel's: one `write` per
//! subscriber, each running the loopback TCP path to the peer's socket. A
//! topic with [`PARALLEL_MIN`] subscribers or more is split into as many
//! shards as there are cores, each written by its own thread, as nginx's
//! workers each write to their own subscribers. The hub's lock is held
//! throughout, so events still reach every subscriber in publish order.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use crate::hub::{Member, Msg, Prepared, type_matches};
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

/// Offers `prepared` to every member, removes the ones that cannot take it
/// and returns them (to be removed from their other topics too).
pub(crate) fn hand_out(
    members: &mut HashMap<u64, Member>,
    prepared: &[Prepared],
    counters: &Counters,
) -> Vec<Removed> {
    if members.is_empty() || prepared.is_empty() {
        return Vec::new();
    }
    let everything = wire::chunk_of(&everything(prepared));
    let all: Vec<(&u64, &Member)> = members.iter().collect();
    let outcome = offer_sharded(&all, prepared, &everything);
    drop(all);
    for (id, _) in &outcome.removed {
        members.remove(id);
    }
    counters
        .delivered
        .fetch_add(outcome.written, Ordering::Relaxed);
    counters
        .dropped
        .fetch_add(outcome.dropped, Ordering::Relaxed);
    outcome.removed
}

/// The threads a fan-out to `members` subscribers uses.
fn shards(members: usize) -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from));
    cores.min(members / PARALLEL_MIN).max(1)
}

/// Offers to `all`, split across threads when there are enough of them.
fn offer_sharded(all: &[(&u64, &Member)], prepared: &[Prepared], everything: &Bytes) -> Outcome {
    let shards = shards(all.len());
    if shards == 1 {
        return offer_each(all, prepared, everything);
    }
    let size = all.len().div_ceil(shards);
    std::thread::scope(|scope| {
        let mut parts = all.chunks(size);
        let first = parts.next().unwrap_or_default();
        let helpers: Vec<_> = parts
            .map(|part| {
                let work = move || offer_each(part, prepared, everything);
                // Without a thread, the part is done here, after the first.
                std::thread::Builder::new()
                    .name("sseload-fanout".into())
                    .spawn_scoped(scope, work)
                    .map_err(|_| part)
            })
            .collect();
        let mut outcome = offer_each(first, prepared, everything);
        for helper in helpers {
            let done = match helper {
                Ok(thread) => thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(part) => offer_each(part, prepared, everything),
            };
            outcome.merge(done);
        }
        outcome
    })
}

/// Offers to each member in turn.
fn offer_each(members: &[(&u64, &Member)], prepared: &[Prepared], everything: &Bytes) -> Outcome {
    let mut outcome = Outcome::default();
    for (id, member) in members {
        let Some(msg) = message_for(member, prepared) else {
            continue;
        };
        let events = msg.events();
        let chunk = |msg: &Msg| match member.types {
            None => everything.clone(),
            Some(_) => wire::chunk_of(msg),
        };
        match member.tx.offer(msg, chunk) {
            Ok(Offered::Written) => outcome.written += events,
            Ok(Offered::Queued) => {}
            Err(refused) => {
                if refused == Refused::Full {
                    outcome.dropped += 1;
                }
                outcome.removed.push((**id, Arc::clone(&member.topics)));
            }
        }
    }
    outcome
}

/// The whole batch as one message.
fn everything(prepared: &[Prepared]) -> Msg {
    match prepared {
        [one] => Msg::Event(one.stored.bytes.clone()),
        all => Msg::Batch(all.iter().map(|p| p.stored.bytes.clone()).collect()),
    }
}

/// The message carrying what a subscriber gets of a batch, if anything.
fn message_for(member: &Member, prepared: &[Prepared]) -> Option<Msg> {
    if member.types.is_none() {
        return Some(everything(prepared));
    }
    let mut events: Vec<Bytes> = prepared
        .iter()
        .filter(|p| type_matches(member.types.as_deref(), p.stored.event_type.as_deref()))
        .map(|p| p.stored.bytes.clone())
        .collect();
    match events.len() {
        0 => None,
        1 => events.pop().map(Msg::Event),
        _ => Some(Msg::Batch(events)),
    }
}
