//! Events committed but not yet written to subscribers, and the one
//! delivery pass at a time that writes them.
//!
//! A publish commits under the hub's lock (its ids, the event log, the
//! replay ring) and queues its events here. When no pass is running, the
//! publishing thread runs one: it takes everything queued together with a
//! snapshot of each topic's subscribers, lets go of the lock and writes (see
//! [`crate::fanout`]). Publishes that arrive meanwhile only queue and
//! return; the delivery thread (see [`crate::delivery`]) takes them in the
//! next pass, and consecutive events to one topic go to each subscriber as
//! one chunk. So a server that falls behind writes fewer, larger chunks
//! instead of lining publishes up behind the lock, and subscribing and
//! `/metrics` never wait for a fan-out.
//!
//! One pass at a time keeps one hub-wide order: every subscriber gets its
//! events in sequence order, across topics too. A subscriber registered
//! after an event was committed skips that event; it is in the replay ring,
//! and in the subscriber's prelude if it resumed from an earlier id.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::fanout::{self, Removed};
use crate::hub::{Member, State, Stored};
use crate::metrics::Counters;

/// What is waiting to be written, and whether a pass is writing.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    batches: VecDeque<Batch>,
    delivering: bool,
    /// A test keeps passes from taking anything.
    #[cfg(test)]
    held: bool,
}

/// Consecutive events to one topic.
#[derive(Debug)]
struct Batch {
    topic: Arc<str>,
    events: Vec<Stored>,
}

impl Queue {
    /// Queues committed events to `topic`, joining the last batch if it is
    /// to the same topic.
    pub(crate) fn push(&mut self, topic: &Arc<str>, events: impl IntoIterator<Item = Stored>) {
        match self.batches.back_mut() {
            Some(last) if last.topic == *topic => last.events.extend(events),
            _ => self.batches.push_back(Batch {
                topic: Arc::clone(topic),
                events: events.into_iter().collect(),
            }),
        }
    }

    /// Whether a pass is running: the thread that finds none runs one.
    pub(crate) fn delivering(&self) -> bool {
        self.delivering
    }

    /// Whether events are waiting for a pass (and may be taken).
    pub(crate) fn has_work(&self) -> bool {
        #[cfg(test)]
        if self.held {
            return false;
        }
        !self.batches.is_empty()
    }

    /// Keeps passes from taking anything until [`release`](Self::release),
    /// as a test's stand-in for a long pass.
    #[cfg(test)]
    pub(crate) fn hold(&mut self) {
        self.held = true;
    }

    #[cfg(test)]
    pub(crate) fn release(&mut self) {
        self.held = false;
    }

    /// Marks the running pass over.
    pub(crate) fn finish(&mut self) {
        self.delivering = false;
    }
}

/// One topic's events with the subscribers they go to.
#[derive(Debug)]
struct Group {
    events: Vec<Stored>,
    members: Vec<(u64, Arc<Member>)>,
}

/// Everything queued when a pass took it, ready to be written without the lock.
#[derive(Debug)]
pub(crate) struct Pass {
    groups: Vec<Group>,
}

/// Takes what is queued, with each topic's subscribers as they are now, and
/// marks a pass running (until [`Queue::finish`]); `None` when nothing is
/// queued. Only one pass may run at a time: the caller checks.
pub(crate) fn take(state: &mut State) -> Option<Pass> {
    if !state.pending.has_work() {
        return None;
    }
    let batches = std::mem::take(&mut state.pending.batches);
    state.pending.delivering = true;
    let groups = batches
        .into_iter()
        .map(|batch| Group {
            members: state
                .topics
                .get(&batch.topic)
                .map(|topic| topic.snapshot())
                .unwrap_or_default(),
            events: batch.events,
        })
        .collect();
    Some(Pass { groups })
}

impl Pass {
    /// Writes every group in order; returns the subscribers that could not
    /// take their events (to be removed under the lock).
    /// `threads` is the most threads a fan-out may use.
    pub(crate) fn run(self, counters: &Counters, threads: usize) -> Vec<Removed> {
        let mut removed = Vec::new();
        for group in &self.groups {
            let out = fanout::hand_out(&group.members, &group.events, counters, threads);
            removed.extend(out);
        }
        removed
    }
}
