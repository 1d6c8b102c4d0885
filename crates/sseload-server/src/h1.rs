//! The built-in HTTP/1.1 path: event streams without hyper.
//!
//! Every connection starts here. Its request head is read into a small
//! buffer ([`crate::head`]); a `GET` that opens an event stream is answered
//! here: the response head, then the stream's chunks straight to the socket,
//! with no per-connection read or write buffer kept while it streams. On a
//! TCP socket the hub writes the events itself (see [`crate::outbox`]), so
//! an idle stream's task sleeps until its peer leaves or the stream ends.
//! Any other request (a publish, `/metrics`, a preflight, a `HEAD`, an
//! HTTP/1.0 request…) hands the connection to hyper, with the bytes read so
//! far put back in front of it.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use http::{StatusCode, Version};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::head::{self, Head, HeadError, MAX_HEAD};
use crate::io::Rewind;
use crate::respond::{self, Reply, ServerBody};
use crate::routes;
use crate::server::{Phase, Shared};
use crate::stream::EventStream;
use crate::wire::{self, Framing};

/// Answering one request.
type Step<'a> = Pin<Box<dyn Future<Output = Next> + Send + 'a>>;

/// What to do after one request.
enum Next {
    /// Read the next request head.
    Continue,
    /// Close the connection.
    Close,
    /// Serve the rest of the connection with hyper, `buf` first.
    Hyper,
}

/// Serves a connection: streams here, everything else through hyper.
/// `direct` is the socket the hub may write to itself, if there is one.
pub(crate) async fn serve<T>(mut io: T, direct: Option<Arc<TcpStream>>, shared: Arc<Shared>)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut buf = Vec::new();
    loop {
        // Each step is a boxed future, so that a connection's task holds
        // only the step it is in: an idle stream's task stays small.
        let step: Step<'_> = match Box::pin(read_head(&mut io, &mut buf, &shared)).await {
            Ok(Some(head)) => match answer(&shared, &mut buf, &head) {
                Answer::Hyper => Box::pin(std::future::ready(Next::Hyper)),
                Answer::Full { reply, close } => Box::pin(write_full(&mut io, reply, close)),
                Answer::Stream(opened) => {
                    Box::pin(stream_out(&mut io, &mut buf, direct.as_ref(), opened))
                }
            },
            Ok(None) => Box::pin(std::future::ready(Next::Close)),
            Err(err) => Box::pin(refuse_head(&mut io, err)),
        };
        let next = step.await;
        match next {
            Next::Continue if running(&shared) => {}
            Next::Continue | Next::Close => return,
            Next::Hyper => {
                let io = Rewind::new(buf, io);
                return Box::pin(crate::conn::serve_hyper(io, shared, false)).await;
            }
        }
    }
}

fn running(shared: &Shared) -> bool {
    *shared.phase.borrow() == Phase::Running
}

/// Reads the next head, giving up when the server stops.
async fn read_head<T: AsyncRead + Unpin>(
    io: &mut T,
    buf: &mut Vec<u8>,
    shared: &Shared,
) -> Result<Option<Head>, HeadError> {
    let mut phase = shared.phase.clone();
    tokio::select! {
        read = head::read(io, buf, shared.config.header_timeout) => read,
        () = crate::server::stopping(&mut phase) => Ok(None),
    }
}

/// Answers a head that cannot be served, then closes.
async fn refuse_head<T: AsyncRead + AsyncWrite + Unpin>(io: &mut T, err: HeadError) -> Next {
    let Some(status) = err.status() else {
        return Next::Close;
    };
    if write_reply(io, respond::error(status, err), true)
        .await
        .is_ok()
    {
        Box::pin(linger(io)).await;
    }
    Next::Close
}

/// Ends the sending side, then reads and discards what the peer is still
/// sending (a bounded amount, for a bounded time): closing with unread
/// bytes would reset the connection and could destroy the answer before
/// the peer reads it.
async fn linger<T: AsyncRead + AsyncWrite + Unpin>(io: &mut T) {
    if io.shutdown().await.is_err() {
        return;
    }
    let drain = async {
        let mut discarded = 0;
        let mut chunk = [0u8; 1024];
        while discarded < LINGER_BYTES {
            match io.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => discarded += n,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

/// The most bytes [`linger`] reads from a refused peer.
const LINGER_BYTES: usize = 1 << 20;
/// The longest [`linger`] waits for a refused peer to finish sending.
const LINGER_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// How a request is answered.
enum Answer {
    /// By hyper, from its head on.
    Hyper,
    /// Here, with a complete reply.
    Full { reply: Reply, close: bool },
    /// Here, with an event stream.
    Stream(Opened),
}

/// An event stream with its response head, ready to write.
struct Opened {
    head: Vec<u8>,
    stream: Box<EventStream>,
    close: bool,
}

/// Routes a request whose head is at the start of `buf`; a request served
/// here is taken out of `buf`.
fn answer(shared: &Shared, buf: &mut Vec<u8>, head: &Head) -> Answer {
    let close = head.wants_close();
    let Some(reply) = builtin(shared, head) else {
        return Answer::Hyper;
    };
    buf.drain(..head.len);
    if buf.is_empty() {
        *buf = Vec::new();
    }
    let (parts, body) = reply.into_parts();
    match body {
        ServerBody::Stream(stream) => Answer::Stream(Opened {
            head: wire::response_head(parts.status, &parts.headers, Framing::Chunked, close),
            stream,
            close,
        }),
        full @ ServerBody::Full(_) => Answer::Full {
            reply: Reply::from_parts(parts, full),
            close,
        },
    }
}

/// Writes a complete reply; what comes next.
async fn write_full<T: AsyncWrite + Unpin>(io: &mut T, reply: Reply, close: bool) -> Next {
    match write_reply(io, reply, close).await {
        Ok(()) if !close => Next::Continue,
        _ => Next::Close,
    }
}

/// The reply to a request served here, `None` for one hyper serves.
fn builtin(shared: &Shared, head: &Head) -> Option<Reply> {
    let request = &head.request;
    if request.version() != Version::HTTP_11 || head.has_body() {
        return None;
    }
    let mut reply = routes::stream(shared, request)?;
    if let Some(cors) = &shared.config.cors {
        cors.allow(reply.headers_mut());
    }
    Some(reply)
}

/// Writes a complete reply (head and body).
async fn write_reply<T: AsyncWrite + Unpin>(
    io: &mut T,
    reply: Reply,
    close: bool,
) -> std::io::Result<()> {
    let (parts, body) = reply.into_parts();
    let body = match body {
        ServerBody::Full(bytes) => bytes.unwrap_or_default(),
        // Only complete replies come here.
        ServerBody::Stream(_) => Bytes::new(),
    };
    let status: StatusCode = parts.status;
    let mut out = wire::response_head(status, &parts.headers, Framing::Length(body.len()), close);
    out.extend_from_slice(&body);
    io.write_all(&out).await?;
    io.flush().await
}

/// How a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// It ended cleanly and its last chunk was written.
    Finished,
    /// The peer closed the connection, or writing to it failed.
    PeerGone,
    /// A fault knob cut the connection.
    Cut,
}

/// Writes the response head, then the stream until it ends; bytes the
/// peer sends meanwhile (a pipelined request) are kept in `stash`.
async fn stream_out<T: AsyncRead + AsyncWrite + Unpin>(
    io: &mut T,
    stash: &mut Vec<u8>,
    direct: Option<&Arc<TcpStream>>,
    opened: Opened,
) -> Next {
    let Opened {
        head,
        mut stream,
        close,
    } = opened;
    if io.write_all(&head).await.is_err() {
        return Next::Close;
    }
    drop(head);
    if let Some(socket) = direct {
        stream.write_directly(socket);
    }
    let mut pump = Pump {
        io,
        stash,
        stream: &mut stream,
        pending: Bytes::new(),
        unflushed: false,
    };
    let ended = poll_fn(|cx| pump.poll(cx)).await;
    drop(stream);
    if ended != Ended::Finished || io.write_all(wire::LAST_CHUNK).await.is_err() || close {
        return Next::Close;
    }
    Next::Continue
}

/// One stream being written, and the peer being watched.
struct Pump<'a, T> {
    io: &'a mut T,
    stash: &'a mut Vec<u8>,
    stream: &'a mut EventStream,
    /// The rest of the chunk being written.
    pending: Bytes,
    unflushed: bool,
}

impl<T: AsyncRead + AsyncWrite + Unpin> Pump<'_, T> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Ended> {
        loop {
            if self.poll_peer(cx).is_ready() {
                return Poll::Ready(Ended::PeerGone);
            }
            if self.pending.is_empty() {
                match self.stream.poll_chunk(cx) {
                    Poll::Ready(Some(Ok(chunk))) => self.pending = chunk,
                    Poll::Ready(Some(Err(_))) => return Poll::Ready(Ended::Cut),
                    Poll::Ready(None) => return Poll::Ready(Ended::Finished),
                    Poll::Pending => return self.poll_flush(cx),
                }
            }
            match Pin::new(&mut *self.io).poll_write(cx, &self.pending) {
                Poll::Ready(Ok(n)) if n > 0 => {
                    self.pending.advance(n);
                    self.unflushed = true;
                }
                Poll::Ready(_) => return Poll::Ready(Ended::PeerGone),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Flushes what was written while waiting for the next message.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Ended> {
        if self.unflushed {
            match Pin::new(&mut *self.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => self.unflushed = false,
                Poll::Ready(Err(_)) => return Poll::Ready(Ended::PeerGone),
                Poll::Pending => {}
            }
        }
        Poll::Pending
    }

    /// Ready when the peer has closed the connection (or it failed). Bytes
    /// it sends are kept for after the stream, up to a head's worth.
    fn poll_peer(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while self.stash.len() < MAX_HEAD {
            let mut chunk = [0u8; 512];
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut *self.io).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => return Poll::Ready(()),
                Poll::Ready(Ok(())) => self.stash.extend_from_slice(read.filled()),
                Poll::Ready(Err(_)) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Pending
    }
}
