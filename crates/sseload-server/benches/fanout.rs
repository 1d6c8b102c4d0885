//! Fan-out bench: many subscribers on one topic, events published at a fixed rate.
//!
//! Run: `cargo bench -p sseload-server --bench fanout`
//! (env: `FANOUT_SUBSCRIBERS`, default 10000; `FANOUT_RATE` events/s, default 10;
//! `FANOUT_SECONDS`, default 10).
//!
//! The server runs in this process; the subscribers run in a child process
//! (this same binary, re-executed), so that each side stays within the
//! per-process open-file limit. A baseline with 100 subscribers runs first,
//! in the same run, and the table gives each figure's ratio to it.
//!
//! Measured: deliveries per second (events received by all subscribers over
//! the publishing window), delivery latency (publish call to event dispatch
//! in the subscriber's parser, wall clock, both processes on this machine),
//! and the server's RSS growth per connected subscriber.

#![allow(clippy::print_stdout, clippy::print_stderr, missing_docs)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use sseload_proto::{Item, Parser};
use sseload_server::{Demo, NewEvent, Server};

const TOPIC: &str = "bench";
const ROLE: &str = "FANOUT_ROLE";
/// Latency histogram: 10 µs buckets up to 10 s.
const BUCKET_US: u64 = 10;
const BUCKETS: usize = 1_000_000;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if std::env::var(ROLE).as_deref() == Ok("subscribers") {
        runtime.block_on(subscribers());
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        // `cargo bench --list`: nothing to list outside criterion.
        return;
    }
    let rate = env_or("FANOUT_RATE", 10);
    let seconds = env_or("FANOUT_SECONDS", 10);
    let count = env_or("FANOUT_SUBSCRIBERS", 10_000);
    let baseline = runtime.block_on(round(100, rate, seconds.min(5)));
    let measured = runtime.block_on(round(count, rate, seconds));
    print_table(&baseline, &measured, rate);
}

#[derive(Debug)]
struct Outcome {
    subscribers: u64,
    published: u64,
    received: u64,
    window: Duration,
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
    rss_per_subscriber: f64,
    connect: Duration,
    /// The server process's CPU time while publishing.
    server_cpu: Duration,
}

/// One run: start a server, connect `count` subscribers from a child
/// process, publish at `rate` for `seconds`, collect the child's figures.
async fn round(count: u64, rate: u64, seconds: u64) -> Outcome {
    let server = Server::builder()
        .demo(Demo::none())
        .max_connections(count as usize + 100)
        .build()
        .unwrap()
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let rss_before = rss_bytes();
    let connect_started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(ROLE, "subscribers")
        .env("FANOUT_ADDR", server.local_addr().to_string())
        .env("FANOUT_SUBSCRIBERS", count.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = lines.next().unwrap().unwrap();
    assert_eq!(ready, "ready", "the subscriber process failed");
    while server.hub().subscribers(TOPIC) < count as usize {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let connect = connect_started.elapsed();
    let rss_per_subscriber = (rss_bytes().saturating_sub(rss_before)) as f64 / count as f64;
    let cpu_before = cpu_time();
    let published = publish(&server, rate, seconds).await;
    let result = tokio::task::spawn_blocking(move || lines.next().unwrap().unwrap())
        .await
        .unwrap();
    let server_cpu = cpu_time().saturating_sub(cpu_before);
    let _ = child.wait();
    server.shutdown().await;
    let mut outcome = parse_outcome(&result, count, published, rss_per_subscriber, connect);
    outcome.server_cpu = server_cpu;
    outcome
}

/// This process's user + system CPU time (from /proc, in clock ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line; field 3 (the state) comes first here.
    let field = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let ticks = field(14) + field(15);
    Duration::from_millis(ticks * 10)
}

/// Publishes `{"t": µs}` events at a fixed rate, then an `end` event.
async fn publish(server: &sseload_server::RunningServer, rate: u64, seconds: u64) -> u64 {
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = rate * seconds;
    for _ in 0..total {
        ticker.tick().await;
        let data = format!("{{\"t\":{}}}", now_us());
        server
            .hub()
            .publish(TOPIC, &[NewEvent::new(data).event("tick")])
            .unwrap();
    }
    server
        .hub()
        .publish(TOPIC, &[NewEvent::new("{}").event("end")])
        .unwrap();
    total
}

fn parse_outcome(
    line: &str,
    subscribers: u64,
    published: u64,
    rss: f64,
    connect: Duration,
) -> Outcome {
    let v: Vec<u64> = line.split(' ').map(|n| n.parse().unwrap()).collect();
    Outcome {
        subscribers,
        published,
        received: v[0],
        window: Duration::from_micros(v[1]),
        p50_us: v[2],
        p99_us: v[3],
        max_us: v[4],
        rss_per_subscriber: rss,
        connect,
        server_cpu: Duration::ZERO,
    }
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    kb * 1024
}

fn print_table(baseline: &Outcome, measured: &Outcome, rate: u64) {
    let per_s = |o: &Outcome| o.received as f64 / o.window.as_secs_f64().max(1e-9);
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "fan-out bench: one topic, {rate} events/s, server in this process, subscribers in a child process"
    );
    println!(
        "| subscribers | connect all | published | delivered | deliveries/s | p50 latency | p99 latency | max latency | server RSS / subscriber | server CPU / delivery |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for o in [baseline, measured] {
        println!(
            "| {} | {:.2} s | {} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} KB | {:.2} µs |",
            o.subscribers,
            o.connect.as_secs_f64(),
            o.published,
            o.received,
            per_s(o),
            ms(o.p50_us),
            ms(o.p99_us),
            ms(o.max_us),
            o.rss_per_subscriber / 1024.0,
            o.server_cpu.as_secs_f64() * 1e6 / o.received.max(1) as f64,
        );
    }
    println!(
        "ratio {} vs {} subscribers: deliveries/s x{:.1}, p50 latency x{:.1}, p99 latency x{:.1}",
        measured.subscribers,
        baseline.subscribers,
        per_s(measured) / per_s(baseline),
        measured.p50_us as f64 / baseline.p50_us.max(1) as f64,
        measured.p99_us as f64 / baseline.p99_us.max(1) as f64,
    );
    let expected = measured.published * measured.subscribers;
    println!(
        "delivered {} of {} expected ({} lost)",
        measured.received,
        expected,
        expected - measured.received.min(expected)
    );
}

/// The child process: opens the subscribers, prints `ready`, then one line of
/// figures when every subscriber has seen the `end` event.
async fn subscribers() {
    let addr: SocketAddr = std::env::var("FANOUT_ADDR").unwrap().parse().unwrap();
    let count = env_or("FANOUT_SUBSCRIBERS", 10_000);
    let histogram: Arc<Vec<AtomicU64>> =
        Arc::new((0..BUCKETS).map(|_| AtomicU64::new(0)).collect());
    let window = Arc::new([AtomicU64::new(u64::MAX), AtomicU64::new(0)]);
    let gate = Arc::new(tokio::sync::Semaphore::new(256));
    let mut readers = Vec::with_capacity(count as usize);
    let (opened_tx, mut opened_rx) = tokio::sync::mpsc::channel::<()>(1024);
    for _ in 0..count {
        let permit = Arc::clone(&gate).acquire_owned().await.unwrap();
        let (histogram, window, opened) = (
            Arc::clone(&histogram),
            Arc::clone(&window),
            opened_tx.clone(),
        );
        readers.push(tokio::spawn(async move {
            let body = open(addr).await;
            drop(permit);
            let _ = opened.send(()).await;
            read(body, &histogram, &window).await;
        }));
    }
    for _ in 0..count {
        opened_rx.recv().await.unwrap();
    }
    println!("ready");
    let deadline = tokio::time::sleep(Duration::from_secs(120));
    tokio::pin!(deadline);
    for reader in readers {
        tokio::select! {
            _ = reader => {}
            () = &mut deadline => break,
        }
    }
    report(&histogram, &window);
}

async fn open(addr: SocketAddr) -> hyper::body::Incoming {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = http::Request::get(format!("/topics/{TOPIC}"))
        .header("host", addr.to_string())
        .body(Empty::<Bytes>::new())
        .unwrap();
    sender.send_request(request).await.unwrap().into_body()
}

async fn read(mut body: hyper::body::Incoming, histogram: &[AtomicU64], window: &[AtomicU64; 2]) {
    let mut parser = Parser::new();
    let mut done = false;
    while let Some(Ok(frame)) = body.frame().await {
        let Ok(data) = frame.into_data() else {
            continue;
        };
        parser
            .feed(&data, |item| {
                let Item::Event(event) = item else { return };
                if event.event_type() == "end" {
                    done = true;
                    return;
                }
                let now = now_us();
                let sent: u64 = event
                    .data()
                    .trim_start_matches("{\"t\":")
                    .trim_end_matches('}')
                    .parse()
                    .unwrap();
                let bucket = (now.saturating_sub(sent) / BUCKET_US).min(BUCKETS as u64 - 1);
                histogram[bucket as usize].fetch_add(1, Ordering::Relaxed);
                window[0].fetch_min(now, Ordering::Relaxed);
                window[1].fetch_max(now, Ordering::Relaxed);
            })
            .unwrap();
        if done {
            return;
        }
    }
}

/// Prints `received window_us p50_us p99_us max_us`.
fn report(histogram: &[AtomicU64], window: &[AtomicU64; 2]) {
    let counts: Vec<u64> = histogram
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .collect();
    let total: u64 = counts.iter().sum();
    let quantile = |q: f64| {
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return (i as u64 + 1) * BUCKET_US;
            }
        }
        0
    };
    let max = counts
        .iter()
        .rposition(|c| *c > 0)
        .map_or(0, |i| (i as u64 + 1) * BUCKET_US);
    let span = window[1]
        .load(Ordering::Relaxed)
        .saturating_sub(window[0].load(Ordering::Relaxed));
    println!("{total} {span} {} {} {max}", quantile(0.5), quantile(0.99));
}
