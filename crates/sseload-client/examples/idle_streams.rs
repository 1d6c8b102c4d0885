//! Measures what a stream costs the client, on both HTTP/1.1 engines, in one run.
//!
//! Run: `cargo run --release -p sseload-client --example idle_streams -- 4000 15000`
//!
//! Options: `--secs S`, the length of the busy measurement (default 20);
//! `--repeat R`, how many times each case runs, the engines taking turns
//! (default 1; the table shows the median, as this machine is noisy); `--tls`,
//! every case over TLS 1.3 (ALPN `http/1.1`) as well.
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
use sseload_test::SelfSigned;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

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
        _ => orchestrate(&options(&args)?),
    }
}

/// What the command line asked for.
struct Options {
    counts: Vec<usize>,
    secs: u64,
    repeat: usize,
    tls: bool,
}

fn options(args: &[String]) -> Res<Options> {
    let mut options = Options {
        counts: Vec::new(),
        secs: 20,
        repeat: 1,
        tls: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tls" => options.tls = true,
            "--secs" => options.secs = args.next().ok_or("--secs needs a value")?.parse()?,
            "--repeat" => options.repeat = args.next().ok_or("--repeat needs a value")?.parse()?,
            count => options.counts.push(count.parse()?),
        }
    }
    if options.counts.is_empty() {
        options.counts.push(4000);
    }
    options.repeat = options.repeat.max(1);
    Ok(options)
}

/// Starts the server, runs every case in its own process, prints the table.
fn orchestrate(options: &Options) -> Res<()> {
    let mut server = Command::new(std::env::current_exe()?)
        .arg("--serve")
        .stdout(Stdio::piped())
        .spawn()?;
    let addrs = first_line(&mut server)?;
    let (plain, secure) = addrs.split_once(' ').ok_or("no server addresses")?;
    let mut schemes = vec![("http", plain)];
    if options.tls {
        schemes.push(("https", secure));
    }
    println!(
        "| streams | case | engine | RSS/stream | CPU % of a core | CPU-s per 1M events | events/s |"
    );
    println!("| ---: | --- | --- | ---: | ---: | ---: | ---: |");
    let mut ratios = Vec::new();
    for &n in &options.counts {
        for (scheme, addr) in &schemes {
            for case in ["idle", "busy"] {
                let url = format!("{scheme}://{addr}/{case}");
                let [hyper, builtin] = run_pair(&url, n, options)?;
                let name = format!("{scheme} {case}");
                print_row(n, &name, "hyper", &hyper);
                print_row(n, &name, "builtin", &builtin);
                ratios.push(ratio_line(n, &name, &hyper, &builtin));
            }
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

fn first_line(child: &mut Child) -> Res<String> {
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

/// What one measuring process reports.
#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    rss_per_stream: f64,
    cpu_share: f64,
    cpu_per_million: f64,
    events_per_sec: f64,
}

impl Figures {
    fn fields(self) -> [f64; 4] {
        [
            self.rss_per_stream,
            self.cpu_share,
            self.cpu_per_million,
            self.events_per_sec,
        ]
    }

    fn from_fields([rss_per_stream, cpu_share, cpu_per_million, events_per_sec]: [f64; 4]) -> Self {
        Self {
            rss_per_stream,
            cpu_share,
            cpu_per_million,
            events_per_sec,
        }
    }
}

/// Both engines, `repeat` times each, taking turns; the medians.
fn run_pair(url: &str, n: usize, options: &Options) -> Res<[Figures; 2]> {
    let mut runs = [Vec::new(), Vec::new()];
    for round in 0..options.repeat {
        for turn in 0..2 {
            let engine = (round + turn) % 2;
            let name = ["hyper", "builtin"][engine];
            runs[engine].push(run_case(url, name, n, options.secs)?);
        }
    }
    Ok(runs.map(|runs| median(&runs)))
}

fn median(runs: &[Figures]) -> Figures {
    let mut fields = [0.0; 4];
    for (i, field) in fields.iter_mut().enumerate() {
        let mut values: Vec<f64> = runs.iter().map(|f| f.fields()[i]).collect();
        values.sort_by(f64::total_cmp);
        *field = values[values.len() / 2];
    }
    Figures::from_fields(fields)
}

fn run_case(url: &str, engine: &str, n: usize, secs: u64) -> Res<Figures> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--measure", url, engine, &n.to_string(), &secs.to_string()])
        .stdout(Stdio::piped())
        .spawn()?;
    let line = first_line(&mut child)?;
    child.wait()?;
    let bad = || format!("{engine} {url} {n}: {line:?}");
    let values: Vec<f64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let fields: [f64; 4] = values.try_into().map_err(|_| bad())?;
    Ok(Figures::from_fields(fields))
}

fn print_row(n: usize, case: &str, engine: &str, figures: &Figures) {
    let busy = |text: String| {
        if case.ends_with("busy") {
            text
        } else {
            "-".to_owned()
        }
    };
    println!(
        "| {n} | {case} | {engine} | {:.2} KiB | {} | {} | {} |",
        figures.rss_per_stream / 1024.0,
        busy(format!("{:.1} %", figures.cpu_share * 100.0)),
        busy(format!("{:.2}", figures.cpu_per_million)),
        busy(format!("{:.0}", figures.events_per_sec)),
    );
}

fn ratio_line(n: usize, case: &str, hyper: &Figures, builtin: &Figures) -> String {
    let mut line = format!(
        "{n} {case} streams, hyper / builtin: RSS per stream {:.2}x",
        hyper.rss_per_stream / builtin.rss_per_stream
    );
    if case.ends_with("busy") {
        line.push_str(&format!(
            ", CPU per event {:.2}x",
            hyper.cpu_per_million / builtin.cpu_per_million
        ));
    }
    line
}

/// Accepts connections, plain and TLS: `GET /idle` gets one event and is
/// held, `GET /busy` one event a second until the client goes.
async fn serve() -> Res<()> {
    let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let secure = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{} {}", plain.local_addr()?, secure.local_addr()?);
    let config = SelfSigned::generate().server_config(&[b"http/1.1"]);
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = secure.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    answer(tls).await;
                }
            });
        }
    });
    loop {
        let (tcp, _) = plain.accept().await?;
        tokio::spawn(answer(tcp));
    }
}

async fn answer<S: AsyncRead + AsyncWrite + Unpin>(mut io: S) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match io.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let ticking = request.starts_with(b"GET /busy");
    if io.write_all(HEAD).await.is_err() {
        return;
    }
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    for seq in 0u64.. {
        ticks.tick().await;
        let event = format!("id: {seq}\ndata: {{\"seq\":{seq},\"price\":101.25}}\n\n");
        let frame = format!("{:X}\r\n{event}\r\n", event.len());
        let sent = io.write_all(frame.as_bytes()).await.is_ok() && io.flush().await.is_ok();
        if !sent || !ticking {
            break;
        }
    }
    while matches!(io.read(&mut buf).await, Ok(n) if n > 0) {}
}

/// One case in this process; prints `rss_per_stream cpu_share cpu_per_million events_per_sec`.
async fn measure(args: &[String]) -> Res<()> {
    let [url, engine, n, secs] = args else {
        return Err("--measure URL ENGINE N SECS".into());
    };
    let engine = match engine.as_str() {
        "hyper" => Http1Engine::Hyper,
        _ => Http1Engine::Builtin,
    };
    let client = Client::builder()
        .http1_engine(engine)
        .danger_accept_invalid_certs(true)
        .build()?;
    let n: usize = n.parse()?;
    let figures = if url.ends_with("/busy") {
        busy_streams(&client, url, n, Duration::from_secs(secs.parse()?)).await?
    } else {
        idle_streams(&client, url, n).await?
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
