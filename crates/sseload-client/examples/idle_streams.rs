//! Measures what one idle stream costs the client, in resident memory.
//!
//! Run: `cargo run --release -p sseload-client --example idle_streams -- 4000`
//!
//! The example starts itself a second time as a tiny SSE server on
//! `127.0.0.1:0` (so the server's memory is not counted), opens N streams
//! from one shared `Client`, waits until each has received its first event,
//! and prints the growth of its resident set size per stream. Linux only
//! (it reads `/proc/self/statm`).

#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use futures_util::StreamExt;
use sseload_client::{Client, Item, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\nid: 1\ndata: hello\n\n";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if std::env::args().nth(1).as_deref() == Some("--serve") {
        return runtime.block_on(serve());
    }
    let streams: usize = std::env::args().nth(1).map_or(Ok(2000), |n| n.parse())?;
    let mut server = Command::new(std::env::current_exe()?)
        .arg("--serve")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut addr = String::new();
    BufReader::new(server.stdout.take().ok_or("no server stdout")?).read_line(&mut addr)?;
    let result = runtime.block_on(measure(addr.trim(), streams));
    server.kill()?;
    server.wait()?;
    result
}

/// Accepts connections, answers each request with one event and keeps it open.
async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?);
    loop {
        let (mut tcp, _) = listener.accept().await?;
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            if tcp.read(&mut buf).await.is_ok() && tcp.write_all(RESPONSE).await.is_ok() {
                while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
            }
        });
    }
}

async fn measure(addr: &str, streams: usize) -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::builder().build()?;
    let url = format!("http://{addr}/events");
    let before = rss_bytes()?;
    let mut open = Vec::with_capacity(streams);
    for _ in 0..streams {
        let mut stream = client.stream(Request::get(&url)?);
        loop {
            match stream.next().await {
                Some(Item::Event { .. }) => break,
                Some(Item::Opened(_)) => {}
                other => return Err(format!("stream failed: {other:?}").into()),
            }
        }
        open.push(stream);
    }
    let after = rss_bytes()?;
    let per_stream = (after.saturating_sub(before)) as f64 / streams as f64;
    println!(
        "{streams} idle streams: RSS {:.1} MiB -> {:.1} MiB, {:.1} KiB per stream",
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        per_stream / 1024.0
    );
    println!(
        "size_of::<EventStream>() = {} bytes",
        std::mem::size_of::<sseload_client::EventStream>()
    );
    drop(open);
    Ok(())
}

fn rss_bytes() -> Result<u64, Box<dyn std::error::Error>> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .ok_or("bad statm")?
        .parse()?;
    Ok(pages * 4096)
}
