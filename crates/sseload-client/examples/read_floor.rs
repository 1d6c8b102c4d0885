//! The floor under a stream's per-event cost: N streams read by a process
//! that does as little as Tokio allows, or by the sseload client alone.
//!
//! Run against any SSE server that sends every stream an event now and then
//! (`sseload serve` and its `/clock` feed, one event per second):
//!
//! ```console
//! sseload serve --bind 127.0.0.1:8080 --heartbeat off &
//! cargo run --release -p sseload-client --example read_floor -- tokio http://127.0.0.1:8080/clock 5000
//! cargo run --release -p sseload-client --example read_floor -- client http://127.0.0.1:8080/clock 5000
//! ```
//!
//! - **tokio**: one task per stream writes the request on a `TcpStream` and
//!   then only reads into a 2 KiB buffer and counts blank lines (`\n\n`):
//!   no HTTP parsing, no SSE parsing, nothing recorded. What is left is the
//!   kernel (epoll, `recv`, loopback TCP) and Tokio's wake-up and poll.
//! - **client**: one task per stream polls an [`EventStream`] from one
//!   shared [`Client`] (the builtin HTTP/1.1 path, chunked decoding, the
//!   spec parser, an owned [`Event`](sseload_client::Event) per event) and
//!   counts the events: the engine's input, without the engine.
//!
//! Both run on the same multi-thread runtime as `sseload run`
//! (`FLOOR_RT=current` runs them on a current-thread runtime instead). The
//! process prints `connected N` once every stream has had its first event,
//! then runs until it is killed, or ends with an error when a stream fails
//! or is lost (a floor is not measured across reconnections).
//! `scripts/bench.sh locust` measures its CPU time (user and system) against
//! the server's count of deliveries. HTTP/1.1 on plain TCP only.

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use sseload_client::{Client, Item, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// How many streams are opened at once (the server's accept backlog).
const OPENING: usize = 256;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, url, count] = args.as_slice() else {
        return Err("usage: read_floor tokio|client URL STREAMS".into());
    };
    let count: usize = count.parse()?;
    let url = url::Url::parse(url)?;
    let runtime = match std::env::var("FLOOR_RT").as_deref() {
        Ok("current") => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
    .enable_all()
    .build()?;
    runtime.block_on(async {
        match mode.as_str() {
            "tokio" => hold(count, |ready| raw(url.clone(), ready)).await,
            "client" => {
                let client = Client::builder().build()?;
                hold(count, |ready| events(client.clone(), url.clone(), ready)).await
            }
            other => Err(format!("unknown mode `{other}`: tokio or client").into()),
        }
    })
}

/// Opens `count` streams with `open` (at most [`OPENING`] at once), says so
/// once each has had its first event, then holds them until one fails.
async fn hold<F, Fut>(count: usize, open: F) -> Res<()>
where
    F: Fn(Arc<Ready>) -> Fut,
    Fut: std::future::Future<Output = Res<()>> + Send + 'static,
{
    let ready = Arc::new(Ready::default());
    for _ in 0..count {
        while ready.opening() >= OPENING && ready.failure().is_none() {
            ready.changed.notified().await;
        }
        ready.started.fetch_add(1, Ordering::SeqCst);
        let task = open(ready.clone());
        let watch = ready.clone();
        tokio::spawn(async move {
            if let Err(err) = task.await {
                watch.fail(err.to_string());
            }
        });
    }
    let mut said = false;
    loop {
        if let Some(failure) = ready.failure() {
            return Err(format!("a stream failed: {failure}").into());
        }
        if !said && ready.first.load(Ordering::SeqCst) >= count {
            println!("connected {count}");
            said = true;
        }
        ready.changed.notified().await;
    }
}

/// Streams started, streams that had their first event, the first failure.
#[derive(Default)]
struct Ready {
    started: AtomicUsize,
    first: AtomicUsize,
    failed: std::sync::Mutex<Option<String>>,
    changed: Notify,
}

impl Ready {
    fn opening(&self) -> usize {
        self.started.load(Ordering::SeqCst) - self.first.load(Ordering::SeqCst)
    }

    fn arrived(&self) {
        self.first.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    fn fail(&self, why: String) {
        let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        failed.get_or_insert(why);
        self.changed.notify_one();
    }

    fn failure(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The least a reader can do: write the request, read, count blank lines.
async fn raw(url: url::Url, ready: Arc<Ready>) -> Res<()> {
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().ok_or("the URL has no port")?;
    let mut tcp = TcpStream::connect((host, port)).await?;
    let request = format!(
        "GET {} HTTP/1.1\r\nhost: {host}:{port}\r\naccept: text/event-stream\r\n\r\n",
        url.path()
    );
    tcp.write_all(request.as_bytes()).await?;
    let mut buf = [0u8; 2048];
    let mut seen = 0usize;
    loop {
        let n = tcp.read(&mut buf).await?;
        if n == 0 {
            return Err("the server closed the stream".into());
        }
        let before = seen;
        seen += buf[..n].windows(2).filter(|w| w == b"\n\n").count();
        if before == 0 && seen > 0 {
            ready.arrived();
        }
    }
}

/// The sseload client alone: poll the stream, count its events.
async fn events(client: Client, url: url::Url, ready: Arc<Ready>) -> Res<()> {
    let mut stream = client.stream(Request::get(url.as_str())?);
    let mut seen = 0u64;
    while let Some(item) = stream.next().await {
        match item {
            Item::Event { .. } => {
                seen += 1;
                if seen == 1 {
                    ready.arrived();
                }
            }
            Item::Error(err) => return Err(err.into()),
            Item::Reconnecting(lost) => return Err(format!("lost: {}", lost.cause).into()),
            _ => {}
        }
    }
    Err("the stream ended".into())
}
