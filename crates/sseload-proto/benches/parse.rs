//! Parser throughput on realistic corpora, against `sse-stream` and
//! `eventsource-stream` on the same bytes in the same run.
//!
//! Run with `cargo bench -p sseload-proto --bench parse`. Each corpus is about
//! 1 MiB, fed to every parser in 16 KiB chunks (what one socket read gives).
//! Criterion reports each parser's throughput. Then, because the bench machine
//! is shared and its load drifts between criterion's back-to-back runs, the
//! three parsers run again interleaved (round after round, one run each) and
//! a table of MB/s (10^6 bytes per second, medians) and of the ratios ours /
//! theirs is printed.
//!
//! The corpora carry no BOM: `eventsource-stream` panics on one.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

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
        r#"{{"id":{n},"user":"user-{u:04}","action":"update","side":"{side}","price":{p}.{c:02},"ts":1732200000{n:06}}}"#,
        side = if n.is_multiple_of(2) { "buy" } else { "sell" },
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
        // Sizes vary a little (64 KiB minus up to 1 KiB), as real ones do, so
        // that copy speed is not decided by one lucky or unlucky alignment.
        Corpus::build("64KiB", |n| {
            format!("data: {}\n\n", &big_data[(n * 97) % 1024..])
        }),
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

/// Rounds of the interleaved comparison run until this much time has passed (per corpus)...
const COMPARE_TIME: Duration = Duration::from_secs(3);
/// ... and at least this many rounds ran.
const MIN_ROUNDS: usize = 9;

/// MB/s of each parser on `corpus`, measured interleaved: each round runs every
/// parser once, in rotating order, so a change in machine load (the bench
/// machine is shared) hits all three alike. The median round time counts.
fn interleaved_rates(corpus: &Corpus) -> Vec<f64> {
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); PARSERS.len()];
    let started = Instant::now();
    let mut round = 0;
    while round < MIN_ROUNDS || started.elapsed() < COMPARE_TIME {
        for k in 0..PARSERS.len() {
            let parser = (round + k) % PARSERS.len();
            let start = Instant::now();
            black_box(run(PARSERS[parser], &corpus.chunks));
            times[parser].push(start.elapsed());
        }
        round += 1;
    }
    times
        .iter_mut()
        .map(|times| {
            times.sort_unstable();
            corpus.len as f64 / times[times.len() / 2].as_secs_f64() / 1e6
        })
        .collect()
}

/// Prints, as a Markdown table, the MB/s (10^6 bytes/s) of each parser from
/// an interleaved run, and the ratios ours / theirs.
#[allow(clippy::print_stdout, reason = "a bench reports on stdout")]
fn print_comparison(corpora: &[&Corpus]) {
    println!("\nInterleaved comparison (median of rounds, MB/s = 10^6 bytes/s):\n");
    println!(
        "| corpus | {OURS} | {SSE_STREAM} | {EVENTSOURCE_STREAM} | ours / {SSE_STREAM} | ours / {EVENTSOURCE_STREAM} |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for corpus in corpora {
        let rates = interleaved_rates(corpus);
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} |",
            corpus.name,
            rates[0],
            rates[1],
            rates[2],
            rates[0] / rates[1],
            rates[0] / rates[2],
        );
    }
}

/// The corpora selected by the command line's filters (as criterion reads them).
fn selected<'a>(corpora: &'a [Corpus], args: &[String]) -> Vec<&'a Corpus> {
    let filters: Vec<&String> = args
        .iter()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    corpora
        .iter()
        .filter(|corpus| {
            filters.is_empty()
                || PARSERS.iter().any(|parser| {
                    let id = format!("{GROUP}/{parser}/{}", corpus.name);
                    filters.iter().any(|filter| id.contains(filter.as_str()))
                })
        })
        .collect()
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
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` runs this with `--test`: no comparison then.
    if args.iter().any(|arg| arg == "--bench") {
        print_comparison(&selected(&corpora, &args));
    }
}
