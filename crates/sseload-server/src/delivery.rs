//! The hub's delivery thread: it writes what publishes queue while a pass
//! is running (see [`crate::pending`]), so that no publish waits for
//! another's fan-out.
//!
//! A publish that finds no pass running writes its own on its thread; one
//! that finds a pass running only queues. When a pass ends with more
//! queued, the thread takes everything queued in one pass and writes it
//! without the lock. It ends when the last clone of the hub is dropped.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, MutexGuard, PoisonError};

use crate::hub::{Inner, State, remove_member};
use crate::pending;

/// The running thread; dropping it (with the last hub) stops it.
#[derive(Debug)]
pub(crate) struct Thread {
    inner: Arc<Inner>,
}

impl Thread {
    /// Starts the thread for `inner`; `None` when the system refuses one.
    pub(crate) fn spawn(inner: &Arc<Inner>) -> Option<Self> {
        let shared = Arc::clone(inner);
        std::thread::Builder::new()
            .name("sseload-fanout".into())
            .spawn(move || run(&shared))
            .ok()?;
        Some(Self {
            inner: Arc::clone(inner),
        })
    }
}

impl Drop for Thread {
    fn drop(&mut self) {
        self.inner.lock().stopped = true;
        self.inner.work.notify_all();
    }
}

/// Runs passes until the hub is dropped, sleeping while nothing is queued
/// or another thread's pass is running.
fn run(inner: &Inner) {
    let mut state = inner.lock();
    while !state.stopped {
        if state.pending.delivering() || !state.pending.has_work() {
            state = inner
                .work
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        state = run_one(inner, state);
    }
}

/// Runs one pass over everything queued, unless one is running already;
/// takes the lock back afterwards and wakes whoever waits for the queue
/// to settle, and the delivery thread only if something queued meanwhile
/// (waking it after every publish would cost a context switch each).
pub(crate) fn run_one<'a>(
    inner: &'a Inner,
    mut state: MutexGuard<'a, State>,
) -> MutexGuard<'a, State> {
    if state.pending.delivering() {
        return state;
    }
    let Some(pass) = pending::take(&mut state) else {
        return state;
    };
    drop(state);
    let threads = inner.limits.fanout_threads;
    // A pass that panics is given up; the next one still runs.
    let removed = std::panic::catch_unwind(AssertUnwindSafe(|| pass.run(&inner.counters, threads)));
    let mut state = inner.lock();
    for (member, topics) in removed.unwrap_or_default() {
        remove_member(&mut state, member, &topics);
    }
    state.pending.finish();
    inner.idle.notify_all();
    if state.pending.has_work() {
        inner.work.notify_one();
    }
    state
}
