//! Measures what a stream costs the client, on both HTTP/1.1 engines, in one run.
//!
//! Run: `cargo run --release -p sseload-client --example idle_streams -- 4000 15000`
//! (options: `--secs S`, the length of the busy measurement, default 20).
//!
//! The example starts itself as a small SSE server on `127.0.0.1:0` (a
//! separate process, so the server's memory and CPU are not counted), then,
//! for each stream count N and each engine ([`Http1Engine::Hyper`] and
//! [`Http1Engine::Builtin`]), starts one fresh measuring process per case:
//!
//! - **idle**: N streams from one shared `Client`, opened one after another,
//!   each held after its first event; RSS growth divided by N.
//! - **busy**: N streams each polled by its own task (as the engine's virtual
//!   users do), the server sending every stream one event per second
//!   (chunked, as most servers frame it); over `--secs` seconds once all are
//!   open: RSS growth per stream, CPU time of the process as a share of one
//!   core, and CPU-seconds per million events.
//!
//! It prints one table and the ratios hyper / builtin measured in the same
//! run. Linux only (it reads `/proc/self/statm` and `/proc/self/stat`, with
//! 100 clock ticks a second). The open-file limit must exceed N + a few: the
//! client and the server each hold N sockets.

#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use sseload_client::{Client, EventStream, Http1Engine, Item, Request};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n";
/// Streams being opened at once in the busy case (the server's accept backlog).
const OPENING: usize = 256;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.first().map(String::as_str) {
        Some("--serve") => runtime.block_on(serve()),
        Some("--measure") => runtime.block_on(measure(&args[1..])),
        _ => orchestrate(&args),
    }
}

/// Starts the server, runs every case in its own process, prints the table.
fn orchestrate(args: &[String]) -> Res<()> {
    let (counts, secs) = options(args)?;
    let mut server = Command::new(std::env::current_exe()?)
        .arg("--serve")
        .stdout(Stdio::piped())
        .spawn()?;
    let addr = first_line(&mut server)?;
    println!(
        "| streams | case | engine | RSS/stream | CPU % of a core | CPU-s per 1M events | events/s |"
    );
    println!("| ---: | --- | --- | ---: | ---: | ---: | ---: |");
    let mut ratios = Vec::new();
    for &n in &counts {
        for case in ["idle", "busy"] {
            let hyper = run_case(&addr, "hyper", case, n, secs)?;
            let builtin = run_case(&addr, "builtin", case, n, secs)?;
            ratios.push(ratio_line(n, case, &hyper, &builtin));
        }
    }
    println!();
    for line in ratios {
        println!("{line}");
    }
    server.kill()?;
    server.wait()?;
    Ok(())
}

fn options(args: &[String]) -> Res<(Vec<usize>, u64)> {
    let mut counts = Vec::new();
    let mut secs = 20;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg == "--secs" {
            secs = args.next().ok_or("--secs needs a value")?.parse()?;
        } else {
            counts.push(arg.parse()?);
        }
    }
    if counts.is_empty() {
        counts.push(4000);
    }
    Ok((counts, secs))
}

fn first_line(child: &mut Child) -> Res<String> {
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

/// What one measuring process reports.
#[derive(Debug, Default)]
struct Figures {
    rss_per_stream: f64,
    cpu_share: f64,
    cpu_per_million: f64,
    events_per_sec: f64,
}

fn run_case(addr: &str, engine: &str, case: &str, n: usize, secs: u64) -> Res<Figures> {
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "--measure",
            addr,
            engine,
            case,
            &n.to_string(),
            &secs.to_string(),
        ])
        .stdout(Stdio::piped())
        .spawn()?;
    let line = first_line(&mut child)?;
    child.wait()?;
    let values: Vec<f64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|err| format!("{engine} {case} {n}: {line:?}: {err}"))?;
    let [rss_per_stream, cpu_share, cpu_per_million, events_per_sec] = values[..] else {
        return Err(format!("{engine} {case} {n}: {line:?}").into());
    };
    let figures = Figures {
        rss_per_stream,
        cpu_share,
        cpu_per_million,
        events_per_sec,
    };
    println!(
        "| {n} | {case} | {engine} | {:.2} KiB | {} | {} | {} |",
        figures.rss_per_stream / 1024.0,
        busy(case, format!("{:.1} %", figures.cpu_share * 100.0)),
        busy(case, format!("{:.2}", figures.cpu_per_million)),
        busy(case, format!("{:.0}", figures.events_per_sec)),
    );
    Ok(figures)
}

fn busy(case: &str, text: String) -> String {
    if case == "busy" { text } else { "-".to_owned() }
}

fn ratio_line(n: usize, case: &str, hyper: &Figures, builtin: &Figures) -> String {
    let mut line = format!(
        "{n} {case} streams, hyper / builtin: RSS per stream {:.2}x",
        hyper.rss_per_stream / builtin.rss_per_stream
    );
    if case == "busy" {
        line.push_str(&format!(
            ", CPU per event {:.2}x",
            hyper.cpu_per_million / builtin.cpu_per_million
        ));
    }
    line
}

/// Accepts connections: `GET /idle` gets one event and is held, `GET /busy`
/// one event a second until the client goes.
async fn serve() -> Res<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?);
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(answer(tcp));
    }
}

async fn answer(mut tcp: TcpStream) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let ticking = request.starts_with(b"GET /busy");
    if tcp.write_all(HEAD).await.is_err() {
        return;
    }
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    for seq in 0u64.. {
        ticks.tick().await;
        let event = format!("id: {seq}\ndata: {{\"seq\":{seq},\"price\":101.25}}\n\n");
        let frame = format!("{:X}\r\n{event}\r\n", event.len());
        if tcp.write_all(frame.as_bytes()).await.is_err() || !ticking {
            break;
        }
    }
    while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
}

/// One case in this process; prints `rss_per_stream cpu_share cpu_per_million events_per_sec`.
async fn measure(args: &[String]) -> Res<()> {
    let [addr, engine, case, n, secs] = args else {
        return Err("--measure ADDR ENGINE CASE N SECS".into());
    };
    let engine = match engine.as_str() {
        "hyper" => Http1Engine::Hyper,
        _ => Http1Engine::Builtin,
    };
    let client = Client::builder().http1_engine(engine).build()?;
    let url = format!("http://{addr}/{case}");
    let n: usize = n.parse()?;
    let figures = if case == "busy" {
        busy_streams(&client, &url, n, Duration::from_secs(secs.parse()?)).await?
    } else {
        idle_streams(&client, &url, n).await?
    };
    println!(
        "{} {} {} {}",
        figures.rss_per_stream, figures.cpu_share, figures.cpu_per_million, figures.events_per_sec
    );
    Ok(())
}

async fn idle_streams(client: &Client, url: &str, n: usize) -> Res<Figures> {
    let before = rss_bytes()?;
    let mut open = Vec::with_capacity(n);
    for _ in 0..n {
        let mut stream = client.stream(Request::get(url)?);
        first_event(&mut stream).await?;
        open.push(stream);
    }
    let after = rss_bytes()?;
    Ok(Figures {
        rss_per_stream: after.saturating_sub(before) as f64 / n as f64,
        ..Figures::default()
    })
}

async fn first_event(stream: &mut EventStream) -> Res<()> {
    loop {
        match stream.next().await {
            Some(Item::Event { .. }) => return Ok(()),
            Some(Item::Opened(_)) => {}
            other => return Err(format!("stream failed: {other:?}").into()),
        }
    }
}

async fn busy_streams(client: &Client, url: &str, n: usize, secs: Duration) -> Res<Figures> {
    let before = rss_bytes()?;
    let events = Arc::new(AtomicU64::new(0));
    let opened = Arc::new(AtomicU64::new(0));
    let opening = Arc::new(tokio::sync::Semaphore::new(OPENING));
    for _ in 0..n {
        let mut stream = client.stream(Request::get(url)?);
        let (events, opened, opening) = (events.clone(), opened.clone(), opening.clone());
        tokio::spawn(async move {
            let permit = opening.acquire_owned().await;
            if first_event(&mut stream).await.is_err() {
                return;
            }
            drop(permit);
            opened.fetch_add(1, Ordering::Relaxed);
            while let Some(item) = stream.next().await {
                if let Item::Event { .. } = item {
                    events.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while opened.load(Ordering::Relaxed) < n as u64 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu0, events0) = (cpu_secs()?, events.load(Ordering::Relaxed));
    tokio::time::sleep(secs).await;
    let (cpu1, events1) = (cpu_secs()?, events.load(Ordering::Relaxed));
    let received = (events1 - events0) as f64;
    Ok(Figures {
        rss_per_stream: rss_bytes()?.saturating_sub(before) as f64 / n as f64,
        cpu_share: (cpu1 - cpu0) / secs.as_secs_f64(),
        cpu_per_million: (cpu1 - cpu0) / received * 1e6,
        events_per_sec: received / secs.as_secs_f64(),
    })
}

fn rss_bytes() -> Res<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .ok_or("bad statm")?
        .parse()?;
    Ok(pages * 4096)
}

/// User plus system CPU time of this process.
fn cpu_secs() -> Res<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let after_name = stat.rsplit_once(')').ok_or("bad stat")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the name.
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(ticks as f64 / 100.0)
}
