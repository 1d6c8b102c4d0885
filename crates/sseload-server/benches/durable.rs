//! The cost of the event log: publishing with a data directory (one write and
//! one `fdatasync` per publish, before it is answered) against the same
//! publishes in memory, measured in the same run.
//!
//! Run: `cargo bench -p sseload-server --bench durable`
//! (env: `DURABLE_PUBLISHES`, default 2000; `DURABLE_BATCH`, the events per
//! publish of the batched run, default 10).
//!
//! Publishes go through [`Hub::publish`](sseload_server::Hub::publish) in
//! process, with no subscriber and no HTTP, so the figures are the log's
//! cost and nothing else. The log lives under Cargo's scratch directory
//! (`target/tmp`), so the numbers are those of that file system.

#![allow(clippy::print_stdout, missing_docs)]

use std::path::Path;
use std::time::{Duration, Instant};

use sseload_server::{Demo, NewEvent, Server, ServerBuilder};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Per-publish durations, sorted.
struct Run(Vec<Duration>);

impl Run {
    fn mean(&self) -> Duration {
        self.0.iter().sum::<Duration>() / self.0.len().max(1) as u32
    }

    fn quantile(&self, q: f64) -> Duration {
        let index = ((self.0.len() - 1) as f64 * q).round() as usize;
        self.0[index]
    }
}

async fn measure(builder: ServerBuilder, publishes: usize, batch: usize) -> Run {
    let server = builder.demo(Demo::none()).heartbeat(None).build().unwrap();
    let running = server.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let data = "x".repeat(100);
    let events: Vec<_> = (0..batch).map(|_| NewEvent::new(data.as_str())).collect();
    let mut times = Vec::with_capacity(publishes);
    for _ in 0..publishes {
        let start = Instant::now();
        running.hub().publish("bench", &events).unwrap();
        times.push(start.elapsed());
    }
    running.shutdown().await;
    times.sort_unstable();
    Run(times)
}

fn row(name: &str, run: &Run, baseline: &Run, batch: usize) {
    let ratio = run.mean().as_secs_f64() / baseline.mean().as_secs_f64();
    println!(
        "{name:<28} {:>10.1} {:>10.1} {:>10.1} {:>12.1} {:>10.0}x",
        run.mean().as_secs_f64() * 1e6,
        run.quantile(0.5).as_secs_f64() * 1e6,
        run.quantile(0.99).as_secs_f64() * 1e6,
        run.mean().as_secs_f64() * 1e6 / batch as f64,
        ratio
    );
}

fn main() {
    let publishes = env_or("DURABLE_PUBLISHES", 2000);
    let batch = env_or("DURABLE_BATCH", 10);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("durable-bench");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fresh = |name: &str| {
        let path = dir.join(name);
        let _ = std::fs::remove_dir_all(&path);
        path
    };
    let memory = runtime.block_on(measure(Server::builder(), publishes, 1));
    let one = runtime.block_on(measure(
        Server::builder().data_dir(fresh("one")),
        publishes,
        1,
    ));
    let batched = runtime.block_on(measure(
        Server::builder().data_dir(fresh("batch")),
        publishes,
        batch,
    ));
    println!(
        "{publishes} publishes of 100-byte events, in {}",
        dir.display()
    );
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>12} {:>11}",
        "run", "mean µs", "p50 µs", "p99 µs", "µs / event", "vs memory"
    );
    row("memory (baseline)", &memory, &memory, 1);
    row("data dir, 1 event", &one, &memory, 1);
    row(
        &format!("data dir, batch of {batch}"),
        &batched,
        &memory,
        batch,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
