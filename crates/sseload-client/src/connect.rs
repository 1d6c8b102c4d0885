//! One connection: TCP (with `TCP_NODELAY`), optional TLS, then either the
//! bare transport for the client's own HTTP/1.1 path, or a hyper HTTP/1.1 or
//! HTTP/2 handshake whose driver runs as one spawned task.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::client::TlsStream;
use url::{Host, Url};

use crate::client::{Http1Engine, HttpVersion, Inner};
use crate::error::Error;
use crate::request::authority;

/// The request-sending half of a connection.
pub(crate) enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
    /// HTTP/1.1 on the client's own path: the transport itself.
    Builtin(Transport),
}

/// An established connection, ready for one request.
pub(crate) struct Connection {
    pub(crate) sender: Sender,
    pub(crate) connected: Instant,
    pub(crate) clock: WriteClock,
}

/// Opens a connection to the URL's host, within the connect timeout.
pub(crate) async fn connect(inner: &Inner, url: &Url) -> Result<Connection, Error> {
    let io = match inner.connect_timeout {
        None => transport(inner, url).await?,
        Some(after) => tokio::time::timeout(after, transport(inner, url))
            .await
            .map_err(|_| Error::ConnectTimeout {
                authority: authority(url),
                after,
            })??,
    };
    let connected = Instant::now();
    let (transport, h2) = io;
    if !h2 && inner.http1 == Http1Engine::Builtin {
        return Ok(Connection {
            sender: Sender::Builtin(transport),
            connected,
            clock: WriteClock::default(),
        });
    }
    let io = Io::new(transport, h2);
    let clock = io.clock.clone();
    let sender = handshake(inner, io).await.map_err(|err| Error::Http {
        authority: authority(url),
        source: Box::new(err),
    })?;
    Ok(Connection {
        sender,
        connected,
        clock,
    })
}

/// TCP, then TLS for `https`; whether HTTP/2 is to be spoken.
async fn transport(inner: &Inner, url: &Url) -> Result<(Transport, bool), Error> {
    let tcp = tcp(url).await.map_err(|source| Error::Connect {
        authority: authority(url),
        source,
    })?;
    if url.scheme() != "https" {
        let h2 = inner.http == HttpVersion::Http2PriorKnowledge;
        return Ok((Transport::Plain(tcp), h2));
    }
    let tls_error = |source| Error::Tls {
        authority: authority(url),
        source,
    };
    let name = server_name(url).map_err(tls_error)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::clone(&inner.tls));
    let tls = connector.connect(name, tcp).await.map_err(tls_error)?;
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    Ok((Transport::Tls(Box::new(tls)), h2))
}

/// Connects TCP to the URL's host and configures the socket.
async fn tcp(url: &Url) -> io::Result<TcpStream> {
    let port = url.port_or_known_default().unwrap_or(80);
    let tcp = match url.host() {
        Some(Host::Ipv4(ip)) => TcpStream::connect(SocketAddr::new(IpAddr::V4(ip), port)).await?,
        Some(Host::Ipv6(ip)) => TcpStream::connect(SocketAddr::new(IpAddr::V6(ip), port)).await?,
        Some(Host::Domain(name)) => TcpStream::connect((name, port)).await?,
        None => return Err(io::Error::new(io::ErrorKind::InvalidInput, "no host")),
    };
    configure(&tcp)?;
    Ok(tcp)
}

/// Sets `TCP_NODELAY`: small frames (a request, an HTTP/2 window update or
/// ping ack) must not wait for a delayed ACK (Nagle).
fn configure(tcp: &TcpStream) -> io::Result<()> {
    tcp.set_nodelay(true)
}

fn server_name(url: &Url) -> io::Result<ServerName<'static>> {
    let name = match url.host() {
        Some(Host::Ipv4(ip)) => ServerName::IpAddress(IpAddr::V4(ip).into()),
        Some(Host::Ipv6(ip)) => ServerName::IpAddress(IpAddr::V6(ip).into()),
        Some(Host::Domain(name)) => ServerName::try_from(name.to_owned())
            .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err))?,
        None => return Err(io::Error::new(io::ErrorKind::InvalidInput, "no host")),
    };
    Ok(name)
}

/// The HTTP handshake; the connection driver becomes a spawned task that
/// ends when the sender and the response body are dropped.
async fn handshake(inner: &Inner, io: Io) -> hyper::Result<Sender> {
    if io.h2 {
        let (sender, conn) = http2::Builder::new(TokioExecutor::new())
            .initial_stream_window_size(inner.h2_stream_window)
            .initial_connection_window_size(inner.h2_stream_window.saturating_mul(4))
            .handshake(TokioIo::new(io))
            .await?;
        tokio::spawn(conn);
        Ok(Sender::Http2(sender))
    } else {
        let (sender, conn) = http1::handshake(TokioIo::new(io)).await?;
        tokio::spawn(conn);
        Ok(Sender::Http1(sender))
    }
}

/// When the request was written: the write that completed sending it, once
/// its bytes reached the socket (not a flush hyper makes while reading, nor
/// an HTTP/2 control frame such as a SETTINGS ack or a WINDOW_UPDATE).
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteClock(Arc<Mutex<Option<Instant>>>);

impl WriteClock {
    /// When the request's last byte was written, if it was.
    pub(crate) fn written(&self) -> Option<Instant> {
        *self.0.lock().ok()?
    }

    fn stamp(&self) {
        if let Ok(mut written) = self.0.lock() {
            *written = Some(Instant::now());
        }
    }
}

/// Finds, in the bytes written to a connection, the end of its request.
///
/// HTTP/1.1: a connection carries one request and the client writes nothing
/// else, so every write is request bytes and the last one ends it. HTTP/2:
/// the frames are followed past the connection preface; the request ends
/// with the frame that carries `END_STREAM` on a stream (a `DATA` frame, or
/// the `HEADERS` of a bodiless request) once its header block is complete.
#[derive(Debug)]
enum RequestEnd {
    Http1,
    Http2(FrameScanner),
}

impl RequestEnd {
    /// Whether the written bytes complete (or, for HTTP/1.1, continue) the request.
    fn scan(&mut self, written: &[u8]) -> bool {
        match self {
            Self::Http1 => !written.is_empty(),
            Self::Http2(scanner) => scanner.scan(written),
        }
    }
}

/// The client connection preface every HTTP/2 connection starts with.
const H2_PREFACE_LEN: usize = 24;
const H2_FRAME_HEADER_LEN: usize = 9;
const H2_DATA: u8 = 0x0;
const H2_HEADERS: u8 = 0x1;
const H2_CONTINUATION: u8 = 0x9;
const H2_END_STREAM: u8 = 0x1;
const H2_END_HEADERS: u8 = 0x4;

/// Follows HTTP/2 frame boundaries across writes.
#[derive(Debug)]
struct FrameScanner {
    preface_left: usize,
    header: [u8; H2_FRAME_HEADER_LEN],
    header_len: usize,
    payload_left: usize,
    /// The frame being written ends the request.
    ends_request: bool,
    /// A `HEADERS` frame carried `END_STREAM`; its header block may go on.
    stream_ended: bool,
    done: bool,
}

impl FrameScanner {
    fn new() -> Self {
        Self {
            preface_left: H2_PREFACE_LEN,
            header: [0; H2_FRAME_HEADER_LEN],
            header_len: 0,
            payload_left: 0,
            ends_request: false,
            stream_ended: false,
            done: false,
        }
    }

    /// Consumes written bytes; true when they complete the request.
    fn scan(&mut self, mut bytes: &[u8]) -> bool {
        let mut completed = false;
        while !bytes.is_empty() && !self.done {
            let taken = if self.preface_left > 0 {
                let n = self.preface_left.min(bytes.len());
                self.preface_left -= n;
                n
            } else if self.header_len < H2_FRAME_HEADER_LEN {
                self.take_header(bytes)
            } else {
                let n = self.payload_left.min(bytes.len());
                self.payload_left -= n;
                n
            };
            bytes = &bytes[taken..];
            if self.header_len == H2_FRAME_HEADER_LEN && self.payload_left == 0 {
                completed |= self.end_frame();
            }
        }
        completed
    }

    /// Copies frame-header bytes; a complete header starts the frame.
    fn take_header(&mut self, bytes: &[u8]) -> usize {
        let n = (H2_FRAME_HEADER_LEN - self.header_len).min(bytes.len());
        self.header[self.header_len..self.header_len + n].copy_from_slice(&bytes[..n]);
        self.header_len += n;
        if self.header_len == H2_FRAME_HEADER_LEN {
            self.start_frame();
        }
        n
    }

    fn start_frame(&mut self) {
        let [l0, l1, l2, kind, flags, s0, s1, s2, s3] = self.header;
        self.payload_left = usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2);
        let on_stream = u32::from_be_bytes([s0 & 0x7f, s1, s2, s3]) != 0;
        let end_stream = flags & H2_END_STREAM != 0;
        let end_headers = flags & H2_END_HEADERS != 0;
        self.ends_request = on_stream
            && match kind {
                H2_DATA => end_stream,
                H2_HEADERS => {
                    self.stream_ended = end_stream;
                    end_stream && end_headers
                }
                H2_CONTINUATION => self.stream_ended && end_headers,
                _ => false,
            };
    }

    /// The frame's last byte was written.
    fn end_frame(&mut self) -> bool {
        self.header_len = 0;
        self.done = self.ends_request;
        self.ends_request
    }
}

/// The byte stream of a connection: plain TCP or TLS over it.
#[derive(Debug)]
pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Transport {
    /// Whether written bytes still wait in the TLS layer (sent by a flush).
    fn holds_bytes(&self) -> bool {
        match self {
            Self::Plain(_) => false,
            Self::Tls(tls) => tls.get_ref().1.wants_write(),
        }
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(tcp) => tcp.is_write_vectored(),
            Self::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The byte stream under hyper: plain or TLS, with the write clock.
struct Io {
    transport: Transport,
    clock: WriteClock,
    request_end: RequestEnd,
    /// The request was written into the TLS layer, not yet to the socket.
    unflushed: bool,
    h2: bool,
}

impl Io {
    fn new(transport: Transport, h2: bool) -> Self {
        let request_end = if h2 {
            RequestEnd::Http2(FrameScanner::new())
        } else {
            RequestEnd::Http1
        };
        Self {
            transport,
            clock: WriteClock::default(),
            request_end,
            unflushed: false,
            h2,
        }
    }

    /// After a write of `written` bytes: stamps the clock if they end the
    /// request and reached the socket.
    fn wrote(&mut self, written: &[u8]) {
        if self.request_end.scan(written) {
            self.unflushed = true;
        }
        self.settle();
    }

    /// Stamps the clock once the request's bytes have left the TLS layer.
    fn settle(&mut self) {
        if self.unflushed && !self.transport.holds_bytes() {
            self.unflushed = false;
            self.clock.stamp();
        }
    }
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().transport).poll_read(cx, buf)
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.transport).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = poll {
            this.wrote(&buf[..n]);
        }
        poll
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.transport).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(mut n)) = poll {
            for buf in bufs {
                let part = n.min(buf.len());
                this.wrote(&buf[..part]);
                n -= part;
                if n == 0 {
                    break;
                }
            }
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.transport.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.transport).poll_flush(cx);
        if matches!(poll, Poll::Ready(Ok(()))) {
            this.settle();
        }
        poll
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().transport).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;
    use url::Url;

    use super::{FrameScanner, H2_PREFACE_LEN, tcp};

    /// One HTTP/2 frame: header (length, type, flags, stream) and payload.
    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
        let mut bytes = vec![len[1], len[2], len[3], kind, flags];
        bytes.extend_from_slice(&stream.to_be_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    const SETTINGS: u8 = 0x4;
    const WINDOW_UPDATE: u8 = 0x8;

    /// Feeds `chunks` one write each; returns the index of the write that ended the request.
    fn ending_write(chunks: &[Vec<u8>]) -> Option<usize> {
        let mut scanner = FrameScanner::new();
        let ends: Vec<usize> = (0..chunks.len())
            .filter(|&i| scanner.scan(&chunks[i]))
            .collect();
        assert!(ends.len() <= 1, "the request ended twice: {ends:?}");
        ends.first().copied()
    }

    #[test]
    fn a_bodiless_request_ends_with_its_headers_not_a_settings_ack() {
        let preface = vec![b'P'; H2_PREFACE_LEN];
        let settings = frame(SETTINGS, 0, 0, &[0; 6]);
        let headers = frame(0x1, 0x1 | 0x4, 1, b"hpack");
        let ack = frame(SETTINGS, 0x1, 0, b"");
        let update = frame(WINDOW_UPDATE, 0, 0, &[0, 0, 1, 0]);
        let chunks = [preface, settings, headers, ack, update];
        assert_eq!(ending_write(&chunks), Some(2));
    }

    #[test]
    fn a_request_with_a_body_ends_with_its_last_data_frame_even_split_across_writes() {
        let mut bytes = vec![b'P'; H2_PREFACE_LEN];
        bytes.extend(frame(0x1, 0x4, 1, b"hpack"));
        bytes.extend(frame(0x0, 0, 1, b"{\"a\":"));
        let before_end = bytes.len();
        bytes.extend(frame(0x0, 0x1, 1, b"1}"));
        // One byte per write: the request ends at the very last byte.
        let chunks: Vec<Vec<u8>> = bytes.iter().map(|b| vec![*b]).collect();
        assert_eq!(ending_write(&chunks), Some(bytes.len() - 1));
        assert!(ending_write(&chunks[..before_end]).is_none());
    }

    #[test]
    fn a_header_block_ends_the_request_only_with_its_last_continuation() {
        let mut first = vec![b'P'; H2_PREFACE_LEN];
        first.extend(frame(0x1, 0x1, 1, b"part one"));
        let last = frame(0x9, 0x4, 1, b"part two");
        assert_eq!(ending_write(&[first, last]), Some(1));
    }

    #[test]
    fn frames_on_stream_zero_never_end_a_request() {
        let mut bytes = vec![b'P'; H2_PREFACE_LEN];
        bytes.extend(frame(0x0, 0x1, 0, b"odd"));
        bytes.extend(frame(0x1, 0x5, 0, b"odd"));
        assert!(ending_write(&[bytes]).is_none());
    }

    #[tokio::test]
    async fn every_connection_sets_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let stream = tcp(&url).await.unwrap();
        assert!(stream.nodelay().unwrap(), "TCP_NODELAY is off");
    }
}
