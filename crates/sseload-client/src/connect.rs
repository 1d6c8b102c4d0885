//! One connection: TCP (with `TCP_NODELAY`), optional TLS, then an HTTP/1.1
//! or HTTP/2 handshake whose driver runs as one spawned task.

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

use crate::client::{HttpVersion, Inner};
use crate::error::Error;
use crate::request::authority;

/// The request-sending half of a connection.
pub(crate) enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
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

/// TCP, then TLS for `https`.
async fn transport(inner: &Inner, url: &Url) -> Result<Io, Error> {
    let tcp = tcp(url).await.map_err(|source| Error::Connect {
        authority: authority(url),
        source,
    })?;
    if url.scheme() != "https" {
        let h2 = inner.http == HttpVersion::Http2PriorKnowledge;
        return Ok(Io::new(Transport::Plain(tcp), h2));
    }
    let tls_error = |source| Error::Tls {
        authority: authority(url),
        source,
    };
    let name = server_name(url).map_err(tls_error)?;
    let connector = tokio_rustls::TlsConnector::from(Arc::clone(&inner.tls));
    let tls = connector.connect(name, tcp).await.map_err(tls_error)?;
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    Ok(Io::new(Transport::Tls(Box::new(tls)), h2))
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

/// Records when the request was written: while armed, every completed write
/// or flush stamps the time, so the last stamp before the response headers
/// is when the request left.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteClock(Arc<Mutex<ClockState>>);

#[derive(Debug, Default)]
struct ClockState {
    armed: bool,
    last_write: Option<Instant>,
}

impl WriteClock {
    pub(crate) fn arm(&self) {
        if let Ok(mut state) = self.0.lock() {
            state.armed = true;
        }
    }

    /// Stops recording and returns the last write seen.
    pub(crate) fn disarm(&self) -> Option<Instant> {
        let mut state = self.0.lock().ok()?;
        state.armed = false;
        state.last_write
    }

    fn stamp(&self) {
        if let Ok(mut state) = self.0.lock()
            && state.armed
        {
            state.last_write = Some(Instant::now());
        }
    }
}

enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// The byte stream under hyper: plain or TLS, with the write clock.
struct Io {
    transport: Transport,
    clock: WriteClock,
    h2: bool,
}

impl Io {
    fn new(transport: Transport, h2: bool) -> Self {
        Self {
            transport,
            clock: WriteClock::default(),
            h2,
        }
    }

    fn stamp_if_done<T>(&self, poll: &Poll<io::Result<T>>) {
        if matches!(poll, Poll::Ready(Ok(_))) {
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
        match &mut self.get_mut().transport {
            Transport::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = match &mut this.transport {
            Transport::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        };
        this.stamp_if_done(&poll);
        poll
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = match &mut this.transport {
            Transport::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_write_vectored(cx, bufs),
        };
        this.stamp_if_done(&poll);
        poll
    }

    fn is_write_vectored(&self) -> bool {
        match &self.transport {
            Transport::Plain(tcp) => tcp.is_write_vectored(),
            Transport::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = match &mut this.transport {
            Transport::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        };
        this.stamp_if_done(&poll);
        poll
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Transport::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;
    use url::Url;

    use super::tcp;

    #[tokio::test]
    async fn every_connection_sets_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let stream = tcp(&url).await.unwrap();
        assert!(stream.nodelay().unwrap(), "TCP_NODELAY is off");
    }
}
