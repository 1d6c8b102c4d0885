//! The scripted raw-TCP peer: exact request bytes in, exact response bytes out.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// The placeholder replaced by the peer's `127.0.0.1:PORT` in expected
/// requests and in response bytes.
const ADDR: &str = "{addr}";

/// What the peer does with each connection, in order: one [`Exchange`] per
/// accepted connection.
#[derive(Debug, Default)]
pub struct Script {
    exchanges: Vec<Exchange>,
}

impl Script {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the exchange for the next connection.
    #[must_use]
    pub fn exchange(mut self, exchange: Exchange) -> Self {
        self.exchanges.push(exchange);
        self
    }
}

/// One connection: what the peer expects to read, then what it writes.
///
/// `{addr}` in the expected request or in the response bytes stands for the
/// peer's own `127.0.0.1:PORT`.
#[derive(Debug)]
pub struct Exchange {
    expect: Expect,
    replies: Vec<Vec<u8>>,
    hold: bool,
}

#[derive(Debug)]
enum Expect {
    /// Exactly these request bytes (head and body).
    Request(String),
    /// Nothing: the peer reads nothing and writes nothing (no TLS handshake either).
    Silent,
    /// A TLS handshake that the client aborts.
    TlsRefused,
}

impl Exchange {
    /// Expects exactly these request bytes: the head up to its blank line,
    /// then as many body bytes as its `content-length` says.
    pub fn expect(request: impl Into<String>) -> Self {
        Self::with(Expect::Request(request.into()))
    }

    /// Accepts the connection and says nothing (not even a TLS handshake),
    /// until the client closes it.
    pub fn silent() -> Self {
        Self::with(Expect::Silent).hold()
    }

    /// Expects the client to abort the TLS handshake (it refused the certificate).
    pub fn tls_refused() -> Self {
        Self::with(Expect::TlsRefused)
    }

    fn with(expect: Expect) -> Self {
        Self {
            expect,
            replies: Vec::new(),
            hold: false,
        }
    }

    /// Writes these bytes (after the expected request has been read).
    #[must_use]
    pub fn send(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.replies.push(bytes.as_ref().to_vec());
        self
    }

    /// After the replies, keeps the connection open until the client closes
    /// it (instead of closing it at once).
    #[must_use]
    pub fn hold(mut self) -> Self {
        self.hold = true;
        self
    }
}

/// A running scripted peer on `127.0.0.1:0`.
#[derive(Debug)]
pub struct Peer {
    addr: SocketAddr,
    task: JoinHandle<Result<(), String>>,
}

impl Peer {
    /// Starts a plain-TCP peer running `script`.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound.
    pub async fn start(script: Script) -> Self {
        Self::spawn(script, None).await
    }

    /// Starts a peer that speaks TLS with `config` on every connection.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound.
    pub async fn start_tls(script: Script, config: Arc<rustls::ServerConfig>) -> Self {
        Self::spawn(script, Some(TlsAcceptor::from(config))).await
    }

    async fn spawn(script: Script, tls: Option<TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("local address of the listener");
        let task = tokio::spawn(async move {
            let outcome = run(listener, script, tls, addr.to_string()).await;
            if let Err(problem) = &outcome {
                report(problem);
            }
            outcome
        });
        Self { addr, task }
    }

    /// The peer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `https://127.0.0.1:PORT` followed by `path`.
    pub fn https_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// Waits until the whole script has run and checks it went as written.
    ///
    /// # Panics
    ///
    /// With a readable account of the first difference, if a request did not
    /// match or a connection did not go as scripted.
    pub async fn finish(self) {
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(problem)) => panic!("scripted peer: {problem}"),
            Err(join) => panic!("scripted peer task failed: {join}"),
        }
    }
}

/// Shows a failed script at once, in the failing test's captured output,
/// since the client side usually fails first (with a less telling message).
#[allow(clippy::print_stderr)]
fn report(problem: &str) {
    eprintln!("scripted peer: {problem}");
}

async fn run(
    listener: TcpListener,
    script: Script,
    tls: Option<TlsAcceptor>,
    addr: String,
) -> Result<(), String> {
    for (index, exchange) in script.exchanges.into_iter().enumerate() {
        let (tcp, _) = listener
            .accept()
            .await
            .map_err(|err| format!("accept #{index}: {err}"))?;
        tcp.set_nodelay(true)
            .map_err(|err| format!("nodelay #{index}: {err}"))?;
        serve(tcp, exchange, tls.as_ref(), &addr)
            .await
            .map_err(|problem| format!("connection #{index}: {problem}"))?;
    }
    Ok(())
}

async fn serve(
    tcp: TcpStream,
    exchange: Exchange,
    tls: Option<&TlsAcceptor>,
    addr: &str,
) -> Result<(), String> {
    match (&exchange.expect, tls) {
        (Expect::Silent, _) => {
            drain(tcp).await;
            Ok(())
        }
        (Expect::TlsRefused, Some(acceptor)) => match acceptor.accept(tcp).await {
            Ok(_) => {
                Err("expected the client to refuse the TLS handshake, but it completed".to_owned())
            }
            Err(_) => Ok(()),
        },
        (Expect::TlsRefused, None) => Err("tls_refused() needs a TLS peer".to_owned()),
        (Expect::Request(_), Some(acceptor)) => {
            let stream = acceptor
                .accept(tcp)
                .await
                .map_err(|err| format!("TLS handshake failed: {err}"))?;
            converse(stream, &exchange, addr).await
        }
        (Expect::Request(_), None) => converse(tcp, &exchange, addr).await,
    }
}

async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    exchange: &Exchange,
    addr: &str,
) -> Result<(), String> {
    let Expect::Request(expected) = &exchange.expect else {
        return Ok(());
    };
    let expected = expected.replace(ADDR, addr);
    let got = read_request(&mut stream)
        .await
        .map_err(|err| format!("reading the request: {err}"))?;
    if got != expected.as_bytes() {
        return Err(format!(
            "request mismatch\nexpected: {:?}\n     got: {:?}",
            expected,
            String::from_utf8_lossy(&got)
        ));
    }
    for reply in &exchange.replies {
        let reply = substitute(reply, addr);
        stream
            .write_all(&reply)
            .await
            .map_err(|err| format!("writing the reply: {err}"))?;
        stream
            .flush()
            .await
            .map_err(|err| format!("flushing the reply: {err}"))?;
    }
    if exchange.hold {
        drain(stream).await;
    } else {
        // Closing the write side first makes the end of the response certain
        // even if the client has unread data in flight.
        let _ = stream.shutdown().await;
    }
    Ok(())
}

fn substitute(bytes: &[u8], addr: &str) -> Vec<u8> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.replace(ADDR, addr).into_bytes(),
        Err(_) => bytes.to_vec(),
    }
}

/// Reads until the client closes the connection (or it fails).
async fn drain<S: AsyncRead + Unpin>(mut stream: S) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

/// Reads one request: the head through its blank line, then `content-length` body bytes.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(head_end) = find(&buf, b"\r\n\r\n") {
            let total = head_end + 4 + content_length(&buf[..head_end]);
            if buf.len() >= total {
                return Ok(buf);
            }
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(buf);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}
