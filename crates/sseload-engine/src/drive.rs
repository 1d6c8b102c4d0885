//! The user's wait loop: while a step waits (a pause, an await, a request),
//! the user's streams are read and measured, check and listen deadlines are
//! kept, and a stop is noticed at once.

use std::future::{Future, poll_fn};
use std::task::{Context, Poll};
use std::time::Duration;

use sseload_client::Item;
use tokio::time::Instant;

use crate::record::{ErrorKind, Rec};
use crate::stream::{Phase, Slot};
use crate::user::{Halt, User};

/// Far enough to mean "no deadline".
const FAR: Duration = Duration::from_secs(86_400 * 365);

impl<'p> User<'p> {
    /// Reads the streams until `fut` completes (its output) or `done` holds (`None`).
    pub(crate) async fn drive<F: Future>(
        &mut self,
        fut: F,
        done: impl Fn(&Self) -> bool,
    ) -> Result<Option<F::Output>, Halt> {
        let mut fut = std::pin::pin!(fut);
        // Read once per call, not per event: with no deadline the timer
        // branch is off, so an event costs neither a clock read nor a timer.
        let far = Instant::now() + FAR;
        // One stop future for the whole call: building it per event cost a
        // waker registration and its removal each time.
        let mut stop = self.stop.clone();
        let stopped = crate::engine::stopped(&mut stop);
        let mut stopped = std::pin::pin!(stopped);
        // One timer for the whole call, moved only when the nearest deadline
        // moves: a timer built per event cost a wheel insert and a removal
        // for every event of a listen with a `during`.
        let mut timer = std::pin::pin!(tokio::time::sleep_until(far));
        let mut armed = far;
        loop {
            if done(self) {
                return Ok(None);
            }
            let wake = self.next_wake();
            if let Some(at) = wake.filter(|at| *at != armed) {
                timer.as_mut().reset(at);
                armed = at;
            }
            let streams = &mut self.streams;
            let next_poll = &mut self.next_poll;
            tokio::select! {
                biased;
                () = &mut stopped => return Err(Halt::Stopped),
                out = &mut fut => return Ok(Some(out)),
                (i, item) = poll_fn(|cx| poll_streams(streams, next_poll, cx)) => self.on_item(i, item),
                () = &mut timer, if wake.is_some() => {
                    // Fired: the next deadline re-arms it.
                    armed = far;
                    self.on_wake(Instant::now())?;
                }
            }
        }
    }

    /// Waits until `at`, reading the streams meanwhile.
    pub(crate) async fn sleep_until(&mut self, at: Instant) -> Result<(), Halt> {
        self.drive(tokio::time::sleep_until(at), |_| false)
            .await
            .map(drop)
    }

    /// The nearest deadline, if any.
    fn next_wake(&self) -> Option<Instant> {
        let awaiting = self.awaiting.as_ref().map(|a| a.deadline);
        let listens = self.listens.iter().filter_map(|l| l.deadline);
        let deadlines = self.deadlines.iter().copied();
        awaiting.into_iter().chain(listens).chain(deadlines).min()
    }

    fn on_wake(&mut self, now: Instant) -> Result<(), Halt> {
        if self.awaiting.as_ref().is_some_and(|a| a.deadline <= now) {
            self.await_timed_out(now);
        }
        self.expire_listens(now);
        match self.deadlines.iter().position(|d| *d <= now) {
            Some(depth) => Err(Halt::Deadline(depth)),
            None => Ok(()),
        }
    }

    fn on_item(&mut self, i: usize, item: Option<Item>) {
        match item {
            None => self.streams[i].events = None,
            Some(Item::Opened(opened)) => {
                let slot = &mut self.streams[i];
                self.rec.with(|s| slot.on_opened(s, &opened));
                count_open(&self.rec, slot, true);
            }
            Some(Item::Event { event, at }) => {
                let payload = self.streams[i].read_payload(&event, at);
                let bytes = event.data().len();
                let unmatched = self.dispatch(i, event, at);
                // One lock per event for the measures and the unmatched count.
                let slot = &mut self.streams[i];
                self.rec.with(|s| {
                    slot.on_event(s, bytes, at, payload);
                    if let Some(event) = unmatched {
                        slot.keep_unmatched(s, event, at);
                    }
                });
            }
            Some(Item::Reconnecting(r)) => self.on_lost(i, &r.cause, r.lost_at),
            Some(Item::Closed(closed)) => {
                self.on_end(
                    i,
                    Phase::Ended(format!("the stream ended ({closed:?})")),
                    None,
                );
            }
            Some(Item::Error(err)) => {
                let kind = ErrorKind::of_client(&err);
                self.on_end(i, Phase::Crashed(err.to_string()), Some(kind));
            }
            Some(_) => {}
        }
    }

    /// A connection was lost: before the stream ever opened this fails the
    /// connect; afterwards it is a reconnect, recorded with its cause.
    fn on_lost(&mut self, i: usize, cause: &sseload_client::Error, lost_at: Instant) {
        let kind = ErrorKind::of_client(cause);
        if self.streams[i].phase == Phase::Connecting {
            self.streams[i].events = None;
            self.on_end(i, Phase::Crashed(cause.to_string()), Some(kind));
            return;
        }
        let slot = &mut self.streams[i];
        let message = cause.to_string();
        self.rec.with(|s| {
            slot.on_lost(s, lost_at);
            s.error(slot.connect, kind, &message);
        });
        count_open(&self.rec, slot, false);
    }

    /// The stream ended for good: a connect that never opened is a KO; a
    /// pending check on it fails; its listens end.
    fn on_end(&mut self, i: usize, phase: Phase, kind: Option<ErrorKind>) {
        let slot = &mut self.streams[i];
        let never_opened = slot.phase == Phase::Connecting;
        let message = match &phase {
            Phase::Ended(m) | Phase::Crashed(m) => m.clone(),
            _ => String::new(),
        };
        self.rec.with(|s| {
            if never_opened {
                s.outcome(slot.connect, false);
            }
            if let Some(kind) = kind {
                s.error(slot.connect, kind, &message);
            }
        });
        slot.phase = phase;
        count_open(&self.rec, slot, false);
        if never_opened {
            self.session.failed = true;
        }
        let name = slot.name;
        self.stream_gone(name, &message);
    }
}

/// Keeps the open-streams gauge in step with a slot.
pub(crate) fn count_open(rec: &Rec, slot: &mut Slot<'_>, open: bool) {
    if slot.counted != open {
        slot.counted = open;
        Rec::gauge(&rec.gauges().streams, if open { 1 } else { -1 });
    }
}

/// Polls the streams in turn, starting after the one polled first last time.
fn poll_streams(
    streams: &mut [Slot<'_>],
    next: &mut usize,
    cx: &mut Context<'_>,
) -> Poll<(usize, Option<Item>)> {
    let count = streams.len();
    for k in 0..count {
        let i = (*next + k) % count;
        if let Poll::Ready(item) = streams[i].poll_item(cx) {
            *next = i + 1;
            return Poll::Ready((i, item));
        }
    }
    Poll::Pending
}
