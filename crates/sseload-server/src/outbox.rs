//! A subscriber's queue: bounded, allocated on first use, and bypassed once
//! its stream is live on a TCP socket.
//!
//! The hub offers every message under its lock. While the stream's task has
//! nothing in hand and the queue is empty, a stream served on a TCP socket
//! takes the message straight away: the hub writes the chunk to the socket
//! with one non-blocking `write`, and the connection's task is not woken at
//! all. Only what the socket does not take at once is queued for the task,
//! so a publish to 10,000 idle subscribers costs 10,000 `write` calls and no
//! task wake-ups. The queue holds at most `capacity` messages; an offer to a
//! full queue is refused, and the hub disconnects that subscriber.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use tokio::net::TcpStream;

use crate::hub::Msg;

/// The queue and the socket shared by the hub's senders and the stream.
#[derive(Debug)]
struct Outbox {
    capacity: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Empty until the first message that cannot be written at once.
    queue: VecDeque<Msg>,
    waker: Option<Waker>,
    senders: usize,
    receiver: bool,
    /// The stream's task holds a message it has not finished writing (or
    /// has not sent its prelude yet): the hub must queue, not write.
    busy: bool,
    /// The socket to write to directly, once the stream is live on one.
    direct: Option<Arc<TcpStream>>,
}

/// Why an offer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The queue holds `capacity` messages already.
    Full,
    /// The stream is gone, or its socket failed.
    Closed,
}

/// How an accepted offer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offered {
    /// Queued for the stream's task.
    Queued,
    /// Handed to the socket (all of it, or the start with the rest queued).
    Written,
}

/// A queue with room for `capacity` messages.
pub(crate) fn channel(capacity: usize) -> (Sender, Receiver) {
    let outbox = Arc::new(Outbox {
        capacity,
        state: Mutex::new(State {
            queue: VecDeque::new(),
            waker: None,
            senders: 1,
            receiver: true,
            busy: true,
            direct: None,
        }),
    });
    (Sender(Arc::clone(&outbox)), Receiver(outbox))
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl State {
    fn wake(&mut self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

/// The hub's end; the stream ends when the last one is dropped.
#[derive(Debug)]
pub(crate) struct Sender(Arc<Outbox>);

impl Clone for Sender {
    fn clone(&self) -> Self {
        self.0.lock().senders += 1;
        Self(Arc::clone(&self.0))
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.senders -= 1;
        if state.senders == 0 {
            state.wake();
        }
    }
}

impl Sender {
    /// Offers `msg`; `chunk` gives its bytes framed for the wire, asked for
    /// only when they can be written to the socket straight away.
    pub(crate) fn offer(
        &self,
        msg: Msg,
        chunk: impl FnOnce(&Msg) -> Bytes,
    ) -> Result<Offered, Refused> {
        let mut state = self.0.lock();
        if !state.receiver {
            return Err(Refused::Closed);
        }
        if !state.busy
            && state.queue.is_empty()
            && let Some(socket) = &state.direct
        {
            let bytes = chunk(&msg);
            return match socket.try_write(&bytes) {
                Ok(n) if n == bytes.len() => Ok(Offered::Written),
                Ok(n) => {
                    state.queue.push_back(Msg::Raw(bytes.slice(n..)));
                    state.wake();
                    Ok(Offered::Written)
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    state.queue.push_back(msg);
                    state.wake();
                    Ok(Offered::Queued)
                }
                Err(_) => {
                    // The task finds the same error on its next read or write.
                    state.direct = None;
                    state.wake();
                    Err(Refused::Closed)
                }
            };
        }
        if state.queue.len() >= self.0.capacity {
            return Err(Refused::Full);
        }
        state.queue.push_back(msg);
        state.wake();
        Ok(Offered::Queued)
    }
}

/// The stream's end.
#[derive(Debug)]
pub(crate) struct Receiver(Arc<Outbox>);

impl Drop for Receiver {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.receiver = false;
        state.direct = None;
        state.queue = VecDeque::new();
    }
}

impl Receiver {
    /// The next message; `None` once every sender is gone and the queue is
    /// empty. Finding the queue empty hands writing back to the hub.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Msg>> {
        let mut state = self.0.lock();
        if let Some(msg) = state.queue.pop_front() {
            state.busy = true;
            return Poll::Ready(Some(msg));
        }
        state.busy = false;
        if state.senders == 0 {
            return Poll::Ready(None);
        }
        if !state
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            state.waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Lets the hub write to `socket` whenever the queue is empty and the
    /// task holds nothing. Call it only with every earlier byte written.
    pub(crate) fn write_directly(&self, socket: Arc<TcpStream>) {
        self.0.lock().direct = Some(socket);
    }
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Poll, Waker};

    use bytes::Bytes;

    use super::{Offered, Refused, channel};
    use crate::hub::Msg;

    fn event(text: &'static str) -> Msg {
        Msg::Event(Bytes::from_static(text.as_bytes()))
    }

    #[test]
    fn a_full_queue_refuses_and_the_last_sender_ends_the_stream() {
        let (tx, mut rx) = channel(2);
        let never = |_: &Msg| -> Bytes { unreachable!("no socket to write to") };
        assert_eq!(tx.offer(event("a"), never), Ok(Offered::Queued));
        assert_eq!(tx.offer(event("b"), never), Ok(Offered::Queued));
        assert_eq!(tx.offer(event("c"), never), Err(Refused::Full));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(Some(Msg::Event(b))) if b == "a"));
        let second = tx.clone();
        drop(tx);
        assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(Some(Msg::Event(b))) if b == "b"));
        assert!(rx.poll_recv(&mut cx).is_pending(), "one sender is left");
        drop(second);
        assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(None)));
    }

    #[test]
    fn an_offer_to_a_dropped_stream_is_refused() {
        let (tx, rx) = channel(2);
        drop(rx);
        assert_eq!(tx.offer(event("a"), |_| Bytes::new()), Err(Refused::Closed));
    }
}
