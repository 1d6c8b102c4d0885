//! Parser throughput on realistic corpora, against `sse-stream` and
//! `eventsource-stream` on the same bytes in the same run.
//!
//! Run with `cargo bench -p sseload-proto --bench parse`. Each corpus is about
//! 1 MiB, fed to every parser in 16 KiB chunks (what one socket read gives).
//! After the criterion runs, a table of MB/s (10^6 bytes per second, from
//! criterion's median estimates) and the ratios ours / theirs is printed.
//!
//! The corpora carry no BOM: `eventsource-stream` panics on one.

use std::convert::Infallible;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use sseload_proto::{Item, Parser};

const CORPUS_SIZE: usize = 1 << 20;
const CHUNK_SIZE: usize = 16 << 10;
const GROUP: &str = "parse";
const OURS: &str = "sseload-proto";
const SSE_STREAM: &str = "sse-stream";
const EVENTSOURCE_STREAM: &str = "eventsource-stream";
const PARSERS: [&str; 3] = [OURS, SSE_STREAM, EVENTSOURCE_STREAM];

/// One corpus: its name, its bytes cut into chunks, and how many events it holds.
struct Corpus {
    name: &'static str,
    len: usize,
    chunks: Vec<Bytes>,
    events: usize,
}

impl Corpus {
    /// Repeats `block(n)` for n = 0, 1, ... until the corpus reaches [`CORPUS_SIZE`].
    fn build(name: &'static str, block: impl Fn(usize) -> String) -> Self {
        let mut bytes = Vec::with_capacity(CORPUS_SIZE + (64 << 10));
        let mut events = 0;
        while bytes.len() < CORPUS_SIZE {
            bytes.extend_from_slice(block(events).as_bytes());
            events += 1;
        }
        let bytes = Bytes::from(bytes);
        let chunks = (0..bytes.len())
            .step_by(CHUNK_SIZE)
            .map(|start| bytes.slice(start..bytes.len().min(start + CHUNK_SIZE)))
            .collect();
        Self {
            name,
            len: bytes.len(),
            chunks,
            events,
        }
    }
}

/// A JSON object of about 100 bytes, as an API pushing updates would send.
fn json_100(n: usize) -> String {
    format!(
        r#"{{"id":{n},"user":"user-{u:04}","action":"update","price":{p}.{c:02},"ts":1732200000{n:06}}}"#,
        u = n % 9973,
        p = 100 + n % 900,
        c = n % 100,
        n = n % 1_000_000,
    )
}

fn corpora() -> Vec<Corpus> {
    let big_line: String = (0..800).map(json_100).collect();
    let big_data = &big_line[..64 << 10];
    vec![
        Corpus::build("json-100B", |n| format!("data: {}\n\n", json_100(n))),
        Corpus::build("multi-line", |n| {
            format!(
                "event: quote\nid: {n}\ndata: {{\"symbol\":\"ACME\",\ndata:  \"bid\":{b},\ndata:  \"ask\":{a},\ndata:  \"venue\":\"XNAS\"}}\n\n",
                b = 100 + n % 50,
                a = 101 + n % 50,
            )
        }),
        Corpus::build("tiny", |n| format!("data: {}\n\n", n % 10)),
        Corpus::build("64KiB", |_| format!("data: {big_data}\n\n")),
    ]
}

fn run_ours(chunks: &[Bytes]) -> usize {
    let mut parser = Parser::new();
    let mut events = 0;
    for chunk in chunks {
        let fed = parser.feed(chunk, |item| {
            if let Item::Event(event) = item {
                black_box(event);
                events += 1;
            }
        });
        fed.expect("corpus parses");
    }
    events
}

fn byte_stream(
    chunks: &[Bytes],
) -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> + '_ {
    futures_util::stream::iter(chunks.iter().cloned().map(Ok))
}

fn run_sse_stream(chunks: &[Bytes]) -> usize {
    futures_executor::block_on(async {
        let mut stream = sse_stream::SseByteStream::new(byte_stream(chunks));
        let mut events = 0;
        while let Some(event) = stream.next().await {
            black_box(event.expect("corpus parses"));
            events += 1;
        }
        events
    })
}

fn run_eventsource_stream(chunks: &[Bytes]) -> usize {
    futures_executor::block_on(async {
        let mut stream = byte_stream(chunks).eventsource();
        let mut events = 0;
        while let Some(event) = stream.next().await {
            black_box(event.expect("corpus parses"));
            events += 1;
        }
        events
    })
}

fn run(parser: &str, chunks: &[Bytes]) -> usize {
    match parser {
        OURS => run_ours(chunks),
        SSE_STREAM => run_sse_stream(chunks),
        _ => run_eventsource_stream(chunks),
    }
}

fn bench_corpus(c: &mut Criterion, corpus: &Corpus) {
    for parser in PARSERS {
        let events = run(parser, &corpus.chunks);
        assert_eq!(events, corpus.events, "{parser} on {}", corpus.name);
    }
    let mut group = c.benchmark_group(GROUP);
    group.throughput(Throughput::Bytes(corpus.len as u64));
    for parser in PARSERS {
        group.bench_with_input(
            BenchmarkId::new(parser, corpus.name),
            &corpus.chunks,
            |b, chunks| {
                b.iter(|| run(parser, chunks));
            },
        );
    }
    group.finish();
}

/// Where criterion writes its estimates, found the way criterion finds it.
fn criterion_home() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(home.into());
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(target).join("criterion"));
    }
    // The bench binary lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// Criterion's median time per iteration, in nanoseconds, for one parser on one corpus.
fn median_ns(home: &std::path::Path, parser: &str, corpus: &str) -> Option<f64> {
    let path = home
        .join(GROUP)
        .join(parser)
        .join(corpus)
        .join("new/estimates.json");
    let estimates: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

/// Prints the MB/s of each parser and the ratios, as a Markdown table.
#[allow(clippy::print_stdout, reason = "a bench reports on stdout")]
fn print_ratios(corpora: &[Corpus]) {
    let Some(home) = criterion_home() else { return };
    let mut rows = Vec::new();
    for corpus in corpora {
        let rates: Option<Vec<f64>> = PARSERS
            .iter()
            .map(|parser| {
                median_ns(&home, parser, corpus.name).map(|ns| corpus.len as f64 * 1e3 / ns)
            })
            .collect();
        let Some(rates) = rates else { continue };
        rows.push(format!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} |",
            corpus.name,
            rates[0],
            rates[1],
            rates[2],
            rates[0] / rates[1],
            rates[0] / rates[2],
        ));
    }
    if rows.is_empty() {
        return;
    }
    println!(
        "\n| corpus | ours MB/s | sse-stream MB/s | eventsource-stream MB/s | ours / sse-stream | ours / eventsource-stream |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
}

fn main() {
    let corpora = corpora();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    for corpus in &corpora {
        bench_corpus(&mut c, corpus);
    }
    c.final_summary();
    print_ratios(&corpora);
}
