//! [`EventStream`]: the reconnecting state machine, and the [`Item`]s it yields.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode, Version};
use http_body::Body as _;
use sseload_proto::{Event, Parser};
use tokio::time::{Instant, Sleep};
use url::Url;

use crate::backoff;
use crate::client::Client;
use crate::error::{BoxError, Error};
use crate::open::{self, Attempt, Body};
use crate::request::Request;

/// The timing points of one successful connection attempt.
///
/// After redirects they describe the last hop, the connection that opened.
/// All come from `tokio::time::Instant`, so paused-time tests see them too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// The attempt started connecting (before DNS and TCP).
    pub connect_started: Instant,
    /// TCP (and TLS) were established.
    pub connected: Instant,
    /// The request was written: the write that completed sending it returned
    /// (its last byte handed to the socket, past TLS; for HTTP/2 the frame
    /// ending the request's stream, never a control frame or a later flush).
    pub request_written: Instant,
    /// The response head was received.
    pub headers_received: Instant,
}

/// A stream that opened: its response head and timing.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The status (always 200).
    pub status: StatusCode,
    /// The HTTP version spoken.
    pub version: Version,
    /// The response headers.
    pub headers: HeaderMap,
    /// The URL that answered, after any redirects (later reconnects go there too).
    pub url: Url,
    /// When each step of the attempt happened.
    pub timing: Timing,
}

/// A reconnect the stream is about to make.
#[derive(Debug)]
pub struct Reconnecting {
    /// Reconnection attempts in a row since the stream last opened, this one included.
    pub attempt: u32,
    /// How long the stream waits before connecting again.
    pub delay: Duration,
    /// Why the connection was lost or refused.
    pub cause: Error,
    /// When the loss was noticed.
    pub lost_at: Instant,
}

/// Why a stream ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Closed {
    /// The server answered 204 No Content: "do not reconnect".
    NoContent,
    /// The body ended and reconnecting was not allowed ([`Reconnect::Never`](crate::Reconnect::Never)
    /// or the attempts were used up).
    Ended,
}

/// What an [`EventStream`] yields.
///
/// Every stream ends with exactly one [`Item::Closed`] or [`Item::Error`],
/// then `None`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Item {
    /// A connection opened (200 with `text/event-stream`).
    Opened(Box<Opened>),
    /// An event was dispatched; `at` is when the chunk that completed it arrived.
    Event {
        /// The event.
        event: Event,
        /// When the body chunk holding its final blank line was read.
        at: Instant,
    },
    /// A comment line (only when the request asked for comments).
    Comment {
        /// The comment, without the colon and one leading space.
        text: String,
        /// When the body chunk holding it was read.
        at: Instant,
    },
    /// The connection was lost or refused; the stream reconnects after `delay`.
    Reconnecting(Box<Reconnecting>),
    /// The stream ended for good, without an error.
    Closed(Closed),
    /// The stream ended for good with this error.
    Error(Error),
}

type Connecting = Pin<Box<dyn Future<Output = (Request, Attempt)> + Send>>;

enum State {
    Connecting(Connecting),
    Streaming(Body),
    Waiting,
    Done,
}

/// One reconnecting event stream: a [`futures_core::Stream`] of [`Item`]s.
///
/// It owns no task or timer of its own beyond one reusable [`Sleep`] (for the
/// reconnection delay and the idle timeout). On the builtin HTTP/1.1 path
/// the stream reads its connection itself when polled; on hyper's paths the
/// connection is driven by the task hyper needs. Dropping it closes the
/// connection.
pub struct EventStream {
    client: Client,
    /// The request; `None` while an attempt owns it.
    request: Option<Request>,
    parser: Parser,
    state: State,
    queue: Queue,
    attempt: u32,
    timer: Option<Pin<Box<Sleep>>>,
    /// When the last body bytes arrived (for the idle timeout).
    last_data: Instant,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("request", &self.request)
            .field("last_event_id", &self.parser.last_event_id())
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

impl EventStream {
    pub(crate) fn new(client: Client, mut request: Request) -> Self {
        request.adopt_last_event_id_header();
        let parser = Parser::new()
            .with_limits(client.inner.limits)
            .with_comments(request.comments)
            .with_last_event_id(&request.last_event_id);
        let mut stream = Self {
            client,
            request: Some(request),
            parser,
            state: State::Done,
            queue: Queue::default(),
            attempt: 0,
            timer: None,
            last_data: Instant::now(),
        };
        stream.connect();
        stream
    }

    /// The last event id: what the next reconnect sends as `Last-Event-ID`.
    pub fn last_event_id(&self) -> &str {
        self.parser.last_event_id()
    }

    /// The current reconnection time (the server's `retry`, or the default).
    pub fn reconnection_time(&self) -> Duration {
        self.parser
            .reconnection_time()
            .unwrap_or(self.client.inner.backoff.default_retry)
    }

    fn connect(&mut self) {
        let Some(request) = self.request.take() else {
            return;
        };
        let last_id = Some(self.parser.last_event_id())
            .filter(|id| !id.is_empty())
            .and_then(|id| HeaderValue::from_bytes(id.as_bytes()).ok());
        let attempt = open::attempt(self.client.clone(), request, last_id);
        self.state = State::Connecting(Box::pin(attempt));
    }

    /// Moves the state machine one step; items go to the queue.
    fn step(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.state {
            State::Connecting(attempt) => {
                let (request, outcome) = std::task::ready!(attempt.as_mut().poll(cx));
                self.request = Some(request);
                self.on_attempt(outcome);
            }
            State::Streaming(_) => return self.poll_body(cx),
            State::Waiting => {
                if let Some(timer) = &mut self.timer {
                    std::task::ready!(timer.as_mut().poll(cx));
                }
                self.connect();
            }
            State::Done => {}
        }
        Poll::Ready(())
    }

    fn on_attempt(&mut self, outcome: Attempt) {
        match outcome {
            Attempt::Opened(opened, body, first) => {
                self.attempt = 0;
                self.last_data = opened.timing.headers_received;
                if let Some(idle) = self.client.inner.idle_timeout {
                    self.arm(self.last_data + idle);
                }
                self.state = State::Streaming(body);
                self.queue.push(Item::Opened(opened));
                if !first.is_empty() {
                    self.on_chunk(&first);
                }
            }
            Attempt::NoContent => self.finish(Item::Closed(Closed::NoContent)),
            Attempt::Retry(cause, retry_after) => self.reconnect(cause, retry_after),
            Attempt::Fatal(err) => self.finish(Item::Error(err)),
        }
    }

    fn poll_body(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let State::Streaming(body) = &mut self.state else {
            return Poll::Ready(());
        };
        let polled = match body {
            Body::Hyper(body) => poll_hyper(body, cx, &mut self.parser, &mut self.queue),
            Body::Builtin(reader) => {
                let (parser, queue) = (&mut self.parser, &mut self.queue);
                reader
                    .poll_data(cx, |chunk| feed(parser, queue, chunk))
                    .map_err(BoxError::from)
            }
        };
        match polled {
            Poll::Ready(Ok(Some(fed))) => self.after_chunk(fed),
            Poll::Ready(Ok(None)) => self.lose(Error::Ended),
            Poll::Ready(Err(err)) => self.lose(self.http_error(err)),
            Poll::Pending => return self.poll_idle(cx),
        }
        Poll::Ready(())
    }

    /// After a chunk: any bytes move the idle deadline; a parse error loses the stream.
    fn after_chunk(&mut self, fed: Option<Fed>) {
        match fed {
            Some(Ok(at)) => self.last_data = at,
            Some(Err(err)) => self.lose(Error::Parse(err)),
            None => {}
        }
    }

    /// Parses body bytes that arrived with the response head.
    fn on_chunk(&mut self, chunk: &[u8]) {
        let fed = feed(&mut self.parser, &mut self.queue, chunk);
        self.after_chunk(Some(fed));
    }

    /// The idle timer fires at most once per idle period: data arriving
    /// meanwhile only moves `last_data`, and the timer is pushed back when it fires.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let (Some(idle), Some(timer)) = (self.client.inner.idle_timeout, &mut self.timer) else {
            return Poll::Pending;
        };
        std::task::ready!(timer.as_mut().poll(cx));
        let due = self.last_data + idle;
        if due > timer.deadline() {
            timer.as_mut().reset(due);
            return self.poll_idle(cx);
        }
        let authority = self
            .request
            .as_ref()
            .map(Request::authority)
            .unwrap_or_default();
        self.lose(Error::IdleTimeout {
            authority,
            after: idle,
        });
        Poll::Ready(())
    }

    fn http_error(&self, source: BoxError) -> Error {
        Error::Http {
            authority: self
                .request
                .as_ref()
                .map(Request::authority)
                .unwrap_or_default(),
            source,
        }
    }

    /// The open stream was lost: the parser drops the partial event, and the
    /// stream reconnects (or ends, when no attempt is left).
    fn lose(&mut self, cause: Error) {
        self.state = State::Waiting;
        self.parser.end_of_stream();
        self.reconnect(cause, None);
    }

    fn reconnect(&mut self, cause: Error, retry_after: Option<Duration>) {
        let attempt = self.attempt + 1;
        if !self.client.inner.reconnect.allows(attempt) {
            let last = match cause {
                Error::Ended => Item::Closed(Closed::Ended),
                cause => Item::Error(cause),
            };
            self.finish(last);
            return;
        }
        self.attempt = attempt;
        let delay = retry_after.unwrap_or_else(|| {
            backoff::delay(
                &self.client.inner.backoff,
                self.reconnection_time(),
                attempt,
            )
        });
        let lost_at = Instant::now();
        self.arm(lost_at + delay);
        self.state = State::Waiting;
        self.queue.push(Item::Reconnecting(Box::new(Reconnecting {
            attempt,
            delay,
            cause,
            lost_at,
        })));
    }

    fn finish(&mut self, last: Item) {
        self.state = State::Done;
        self.queue.push(last);
    }

    fn arm(&mut self, deadline: Instant) {
        match &mut self.timer {
            Some(timer) => timer.as_mut().reset(deadline),
            None => self.timer = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
    }
}

/// The items waiting to be yielded, oldest first.
///
/// A stream mostly holds one item at a time (an event per chunk), so the
/// first waits in a slot: a `VecDeque` would keep a heap block of four items
/// (352 bytes) per stream for ever after its first event. Only a burst uses
/// the deque, and its block is given back once it drains.
#[derive(Debug, Default)]
struct Queue {
    first: Option<Item>,
    rest: VecDeque<Item>,
}

impl Queue {
    fn push(&mut self, item: Item) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(item);
        } else {
            self.rest.push_back(item);
        }
    }

    fn pop(&mut self) -> Option<Item> {
        if let Some(item) = self.first.take() {
            return Some(item);
        }
        let item = self.rest.pop_front();
        if self.rest.is_empty() && self.rest.capacity() > 0 {
            self.rest = VecDeque::new();
        }
        item
    }
}

/// What feeding one chunk gave: the instant it was read, or the parser's error.
type Fed = Result<Instant, sseload_proto::ParseError>;

/// Polls hyper's body for one frame: `Some(None)` for a frame without data.
fn poll_hyper(
    body: &mut hyper::body::Incoming,
    cx: &mut Context<'_>,
    parser: &mut Parser,
    queue: &mut Queue,
) -> Poll<Result<Option<Option<Fed>>, BoxError>> {
    match std::task::ready!(Pin::new(body).poll_frame(cx)) {
        Some(Ok(frame)) => Poll::Ready(Ok(Some(
            frame
                .into_data()
                .ok()
                .map(|data| feed(parser, queue, &data)),
        ))),
        Some(Err(err)) => Poll::Ready(Err(err.into())),
        None => Poll::Ready(Ok(None)),
    }
}

/// Parses one body chunk: the clock is read once and stamps every item in
/// it; the chunk's bytes are copied out, never kept (they pin the read buffer).
fn feed(parser: &mut Parser, queue: &mut Queue, chunk: &[u8]) -> Fed {
    let at = Instant::now();
    parser.feed(chunk, |item| match item {
        sseload_proto::Item::Event(event) => queue.push(Item::Event { event, at }),
        sseload_proto::Item::Comment(text) => queue.push(Item::Comment { text, at }),
        _ => {}
    })?;
    Ok(at)
}

impl futures_core::Stream for EventStream {
    type Item = Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.queue.pop() {
                return Poll::Ready(Some(item));
            }
            if matches!(this.state, State::Done) {
                return Poll::Ready(None);
            }
            std::task::ready!(this.step(cx));
        }
    }
}
#[cfg(test)]
mod tests {
    use super::{EventStream, Item, Queue};

    /// Every idle stream holds one of these inline: keep it from creeping up.
    #[test]
    fn a_stream_stays_small() {
        let size = std::mem::size_of::<EventStream>();
        assert!(size <= 800, "EventStream is {size} bytes");
        assert!(std::mem::size_of::<crate::open::Body>() <= 64);
    }

    #[test]
    fn the_queue_keeps_order_and_gives_its_block_back() {
        let mut queue = Queue::default();
        let closed = |n| {
            Item::Error(crate::Error::Status {
                url: String::new(),
                status: n,
            })
        };
        let status = |item: Option<Item>| match item {
            Some(Item::Error(err)) => err.status(),
            _ => None,
        };
        for n in [1, 2, 3] {
            queue.push(closed(n));
        }
        assert_eq!(status(queue.pop()), Some(1));
        queue.push(closed(4));
        let order: Vec<_> = std::iter::from_fn(|| status(queue.pop())).collect();
        assert_eq!(order, [2, 3, 4]);
        assert_eq!(queue.rest.capacity(), 0);
        queue.push(closed(5));
        assert_eq!(queue.rest.capacity(), 0);
        assert_eq!(status(queue.pop()), Some(5));
    }
}
