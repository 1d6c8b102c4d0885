//! The response body of every event stream: queued messages out, fault knobs applied.
//!
//! A stream first sends its prelude (the `retry` hint, a snapshot, a gap
//! notice, replayed events), then whatever arrives in its queue. It ends
//! cleanly when every sender of the queue is gone: the hub removed the
//! subscriber (lifetime over, topic closed, queue overflow, shutdown) or a
//! per-request producer finished. No timer is armed per stream unless a
//! fault knob asks for one.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Sleep;

use crate::error::StreamError;
use crate::hub::{MemberGuard, Msg};
use crate::metrics::Counters;
use crate::outbox;
use crate::wire;

/// What polling a stream for its next message gives.
type Polled = Poll<Option<Result<Msg, StreamError>>>;

/// The fault knobs in force for one stream.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct StreamFaults {
    pub(crate) delay: Option<Duration>,
    pub(crate) drop_after: Option<u64>,
    pub(crate) stall_after: Option<u64>,
    pub(crate) stall_for: Duration,
}

impl StreamFaults {
    /// Whether any knob changes the stream: `stall_for` alone does not (it
    /// is only how long a stall set by `stall_after` lasts, and has a default).
    pub(crate) fn any(&self) -> bool {
        self.delay.is_some() || self.drop_after.is_some() || self.stall_after.is_some()
    }
}

/// Per-stream fault state; boxed so streams without faults stay small.
#[derive(Debug)]
struct FaultRun {
    knobs: StreamFaults,
    delay: Option<Pin<Box<Sleep>>>,
    stall: Option<Pin<Box<Sleep>>>,
    dropping: bool,
}

/// Where a stream's live messages come from.
#[derive(Debug)]
pub(crate) enum Live {
    /// A hub subscription.
    Hub(outbox::Receiver),
    /// A producer of its own (a demo feed made for this one request).
    Feed(mpsc::Receiver<Msg>),
}

impl From<outbox::Receiver> for Live {
    fn from(rx: outbox::Receiver) -> Self {
        Self::Hub(rx)
    }
}

impl From<mpsc::Receiver<Msg>> for Live {
    fn from(rx: mpsc::Receiver<Msg>) -> Self {
        Self::Feed(rx)
    }
}

impl Live {
    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Msg>> {
        match self {
            Self::Hub(rx) => rx.poll_recv(cx),
            Self::Feed(rx) => rx.poll_recv(cx),
        }
    }
}

/// An event stream body.
#[derive(Debug)]
pub(crate) struct EventStream {
    prelude: VecDeque<Msg>,
    live: Live,
    counters: Arc<Counters>,
    faults: Option<Box<FaultRun>>,
    sent: u64,
    _guard: Option<MemberGuard>,
}

impl EventStream {
    pub(crate) fn new(prelude: Vec<Msg>, live: impl Into<Live>, counters: Arc<Counters>) -> Self {
        Self {
            prelude: prelude.into(),
            live: live.into(),
            counters,
            faults: None,
            sent: 0,
            _guard: None,
        }
    }

    /// Keeps the hub membership alive as long as the stream.
    pub(crate) fn with_guard(mut self, guard: MemberGuard) -> Self {
        self._guard = Some(guard);
        self
    }

    pub(crate) fn with_faults(mut self, knobs: StreamFaults) -> Self {
        if knobs.any() {
            let delay = knobs.delay.map(|d| Box::pin(tokio::time::sleep(d)));
            self.faults = Some(Box::new(FaultRun {
                knobs,
                delay,
                stall: None,
                dropping: false,
            }));
        }
        self
    }

    fn next_msg(&mut self, cx: &mut Context<'_>) -> Poll<Option<Msg>> {
        loop {
            let msg = match self.prelude.pop_front() {
                Some(msg) => msg,
                None => match std::task::ready!(self.live.poll_recv(cx)) {
                    Some(msg) => msg,
                    None => return Poll::Ready(None),
                },
            };
            match msg {
                // Sent event by event, so that the fault knobs count events.
                Msg::Batch(events) => self.prelude.extend(events.into_iter().map(Msg::Event)),
                msg => return Poll::Ready(Some(msg)),
            }
        }
    }

    /// Counts the events of a message about to be written.
    fn count(&mut self, msg: &Msg) {
        let events = msg.events();
        if events > 0 {
            self.sent += events;
            self.counters.delivered.fetch_add(events, Ordering::Relaxed);
        }
    }

    /// The next message, once the fault knobs let it through, counted.
    fn poll_msg(&mut self, cx: &mut Context<'_>) -> Polled {
        if let Some(answer) = self.poll_faults(cx) {
            return answer;
        }
        let msg = std::task::ready!(self.next_msg(cx));
        if let Some(msg) = &msg {
            self.count(msg);
        }
        Poll::Ready(msg.map(Ok))
    }

    /// The next bytes for the built-in HTTP/1.1 path, framed as chunks.
    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, StreamError>>> {
        self.poll_msg(cx)
            .map(|polled| polled.map(|result| result.map(|msg| wire::chunk_of(&msg))))
    }

    /// Lets the hub write this stream's messages to `socket` itself while
    /// nothing is queued. Streams with fault knobs keep to their task, which
    /// counts and delays events one by one.
    pub(crate) fn write_directly(&self, socket: &Arc<TcpStream>) {
        if let (None, Live::Hub(rx)) = (&self.faults, &self.live) {
            rx.write_directly(Arc::clone(socket));
        }
    }

    /// Applies the fault knobs; `Some` is what to answer instead of the next message.
    fn poll_faults(&mut self, cx: &mut Context<'_>) -> Option<Polled> {
        let sent = self.sent;
        let run = self.faults.as_mut()?;
        if let Some(delay) = &mut run.delay {
            if delay.as_mut().poll(cx).is_pending() {
                return Some(Poll::Pending);
            }
            run.delay = None;
        }
        if run.knobs.drop_after.is_some_and(|n| sent >= n) {
            return Some(drop_connection(run, cx, sent));
        }
        if run.stall.is_none() && run.knobs.stall_after.is_some_and(|n| sent >= n) {
            run.stall = Some(Box::pin(tokio::time::sleep(run.knobs.stall_for)));
        }
        let stall = run.stall.as_mut()?;
        Some(poll_stall(
            stall.as_mut(),
            &mut self.prelude,
            &mut self.live,
            cx,
        ))
    }
}

/// Cuts the connection, after one `Pending` so that what was written is flushed first.
fn drop_connection(run: &mut FaultRun, cx: &mut Context<'_>, sent: u64) -> Polled {
    if run.dropping {
        return Poll::Ready(Some(Err(StreamError::Dropped(sent))));
    }
    run.dropping = true;
    cx.waker().wake_by_ref();
    Poll::Pending
}

/// Sends nothing until the stall is over, then ends the stream. Queued
/// messages are discarded (a resuming client gets them back by replay);
/// the queue is still polled so that a shutdown ends the stream at once.
fn poll_stall(
    stall: Pin<&mut Sleep>,
    prelude: &mut VecDeque<Msg>,
    live: &mut Live,
    cx: &mut Context<'_>,
) -> Polled {
    if stall.poll(cx).is_ready() {
        return Poll::Ready(None);
    }
    prelude.clear();
    loop {
        match live.poll_recv(cx) {
            Poll::Ready(Some(_)) => {}
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        }
    }
}

impl Body for EventStream {
    type Data = Bytes;
    type Error = StreamError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamError>>> {
        self.poll_msg(cx)
            .map(|polled| polled.map(|result| result.map(|msg| Frame::data(data_of(msg)))))
    }
}

/// The body bytes of a message.
fn data_of(msg: Msg) -> Bytes {
    match msg {
        Msg::Event(bytes) | Msg::Control(bytes) | Msg::Raw(bytes) => bytes,
        Msg::Batch(events) => events.concat().into(),
        Msg::Heartbeat => Bytes::from_static(sseload_proto::KEEP_ALIVE),
    }
}
