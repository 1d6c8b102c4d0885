//! The rogue peer: an HTTP/1.1 server that misbehaves on cue, for fault
//! tests. It accepts any request, then plays one [`Turn`] per connection,
//! in accept order: bytes at once, bytes one at a time, a large body made
//! from a repeated chunk, then a reset, a close, or a connection held open.
//! When the turns run out it stops listening, so later connects are refused.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// The send buffer of every connection: small, so that what the peer has
/// written is close to what the client has taken in.
const SEND_BUFFER: u32 = 64 * 1024;

/// The most bytes written in one call.
const WRITE_CHUNK: usize = 64 * 1024;

/// The head of a `200` event-stream response with a close-delimited body.
pub const SSE_HEAD: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\r\n";

/// What the peer does on one connection, after reading the request head.
#[derive(Debug, Clone, Default)]
pub struct Turn {
    acts: Vec<Act>,
    end: End,
}

#[derive(Debug, Clone)]
enum Act {
    Send(Bytes),
    Trickle(Bytes, Duration),
    Repeat(Bytes, u64),
}

/// How a turn ends once its bytes are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum End {
    /// Close the connection (FIN).
    #[default]
    Close,
    /// Reset it (RST): the client sees a connection error, not an end of body.
    Reset,
    /// Keep it open, reading, until the client closes it.
    Hold,
}

impl Turn {
    /// A turn that writes nothing and closes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes these bytes.
    #[must_use]
    pub fn send(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.acts
            .push(Act::Send(Bytes::copy_from_slice(bytes.as_ref())));
        self
    }

    /// Writes these bytes one at a time, waiting `every` before each byte.
    #[must_use]
    pub fn trickle(mut self, bytes: impl AsRef<[u8]>, every: Duration) -> Self {
        let bytes = Bytes::copy_from_slice(bytes.as_ref());
        self.acts.push(Act::Trickle(bytes, every));
        self
    }

    /// Writes `chunk` `times` times (a large body without holding it whole).
    #[must_use]
    pub fn repeat(mut self, chunk: impl AsRef<[u8]>, times: u64) -> Self {
        let chunk = Bytes::copy_from_slice(chunk.as_ref());
        self.acts.push(Act::Repeat(chunk, times));
        self
    }

    /// Ends with a reset (RST) instead of a close.
    #[must_use]
    pub fn reset(mut self) -> Self {
        self.end = End::Reset;
        self
    }

    /// Keeps the connection open after the bytes, until the client closes it.
    #[must_use]
    pub fn hold(mut self) -> Self {
        self.end = End::Hold;
        self
    }
}

/// How a connection ended, as the peer saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ending {
    /// Every byte was written, then the peer closed it.
    Closed,
    /// Every byte was written, then the peer reset it.
    Reset,
    /// Every byte was written, and the peer held it until the client closed it.
    Held,
    /// The client went away before every byte was written.
    ClientLeft,
}

/// What happened on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The request head as read, through its blank line.
    pub head: String,
    /// Bytes the peer wrote to the connection (accepted by the socket).
    pub written: u64,
    /// How it ended.
    pub ending: Ending,
}

impl Served {
    /// The value of the first header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head
            .split("\r\n")
            .skip(1)
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
    }

    /// The request line, such as `GET /feed HTTP/1.1`.
    pub fn request_line(&self) -> &str {
        self.head.split("\r\n").next().unwrap_or_default()
    }
}

type Log = Arc<Mutex<Vec<Option<Served>>>>;

/// A running rogue peer on `127.0.0.1:0`.
#[derive(Debug)]
pub struct Rogue {
    addr: SocketAddr,
    log: Log,
    task: JoinHandle<Vec<JoinHandle<()>>>,
}

impl Rogue {
    /// Starts a peer that plays `turns`, one per accepted connection, each
    /// connection on its own task; after the last it stops listening.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound.
    pub async fn start(turns: Vec<Turn>) -> Self {
        let listener = listen();
        let addr = listener.local_addr().expect("local address");
        let log: Log = Arc::new(Mutex::new(vec![None; turns.len()]));
        let task = tokio::spawn(accept(listener, turns, Arc::clone(&log)));
        Self { addr, log, task }
    }

    /// The peer's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Waits until every turn has been played and every connection has
    /// ended, with a deadline; returns what happened on each, in accept order.
    ///
    /// # Panics
    ///
    /// If the turns are not all played within `deadline`.
    pub async fn finish(self, deadline: Duration) -> Vec<Served> {
        let played = async {
            let connections = self.task.await.expect("the accept task");
            for connection in connections {
                connection.await.expect("a connection task");
            }
        };
        if tokio::time::timeout(deadline, played).await.is_err() {
            let log = self.log.lock().expect("log");
            let done = log.iter().flatten().count();
            panic!(
                "rogue peer: {done} of {} turns played by the deadline",
                log.len()
            );
        }
        let log = self.log.lock().expect("log");
        log.iter().flatten().cloned().collect()
    }
}

fn listen() -> TcpListener {
    let socket = TcpSocket::new_v4().expect("a socket");
    // Accepted connections inherit the listener's send buffer size.
    socket
        .set_send_buffer_size(SEND_BUFFER)
        .expect("send buffer size");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("bind 127.0.0.1:0");
    socket.listen(1024).expect("listen")
}

async fn accept(listener: TcpListener, turns: Vec<Turn>, log: Log) -> Vec<JoinHandle<()>> {
    let mut connections = Vec::new();
    for (index, turn) in turns.into_iter().enumerate() {
        let Ok((tcp, _)) = listener.accept().await else {
            break;
        };
        let log = Arc::clone(&log);
        connections.push(tokio::spawn(async move {
            let served = play(tcp, turn).await;
            log.lock().expect("log")[index] = Some(served);
        }));
    }
    connections
}

async fn play(mut tcp: TcpStream, turn: Turn) -> Served {
    let _ = tcp.set_nodelay(true);
    let head = read_head(&mut tcp).await;
    let mut written = 0;
    for act in &turn.acts {
        if act_on(&mut tcp, act, &mut written).await.is_err() {
            return Served {
                head,
                written,
                ending: Ending::ClientLeft,
            };
        }
    }
    let ending = match turn.end {
        End::Close => {
            let _ = tcp.shutdown().await;
            Ending::Closed
        }
        End::Reset => {
            let _ = tcp.set_zero_linger();
            Ending::Reset
        }
        End::Hold => {
            drain(&mut tcp).await;
            Ending::Held
        }
    };
    Served {
        head,
        written,
        ending,
    }
}

async fn act_on(tcp: &mut TcpStream, act: &Act, written: &mut u64) -> std::io::Result<()> {
    match act {
        Act::Send(bytes) => write(tcp, bytes, written).await,
        Act::Trickle(bytes, every) => {
            for byte in bytes.chunks(1) {
                tokio::time::sleep(*every).await;
                write(tcp, byte, written).await?;
            }
            Ok(())
        }
        Act::Repeat(chunk, times) => {
            for _ in 0..*times {
                write(tcp, chunk, written).await?;
            }
            Ok(())
        }
    }
}

async fn write(tcp: &mut TcpStream, bytes: &[u8], written: &mut u64) -> std::io::Result<()> {
    for piece in bytes.chunks(WRITE_CHUNK) {
        tcp.write_all(piece).await?;
        *written += piece.len() as u64;
    }
    tcp.flush().await
}

/// Reads the request head through its blank line (requests with a body are
/// not expected).
async fn read_head(tcp: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match tcp.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Reads until the client closes the connection (or it fails).
async fn drain(tcp: &mut TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = tcp.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}
