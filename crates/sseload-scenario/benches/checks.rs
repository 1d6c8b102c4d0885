//! The cost of one check on one event's JSON data: the general path (parse
//! the whole data into a `Value`, run the JSON Path or JMESPath on it)
//! against the fast path of singular paths (read the one value from the
//! text), in the same run, on three kinds of data: a 100-byte object, an
//! OpenAI chat-completion chunk, a 2 KiB nested object.
//!
//! `cargo bench -p sseload-scenario --bench checks` runs the criterion
//! groups (`json_path_check`: one whole check; `json_path_read`: the
//! engine's read of a timestamp, `JsonPath::find_first`), then an
//! interleaved comparison that prints ns per check and
//! the ratio (old / new) for each kind of data.
//! `-- --ratio-only` runs the comparison only; with `NO_COMPARE=1` set,
//! only the criterion groups run (to profile one with `--profile-time`).
//! `-- --instructions CASE` runs 10 000 checks each way for
//! `valgrind --tool=callgrind` (see [`instructions`]).

#![allow(
    missing_docs,
    clippy::print_stdout,
    reason = "a bench prints its results"
)]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;
use sseload_scenario::check::{Env, EventView, Subject};
use sseload_scenario::{Extractor, MessageCheck, Step};

/// One kind of event data and the check users write on it.
struct Case {
    name: &'static str,
    data: String,
    check: &'static str,
}

fn cases() -> Vec<Case> {
    let small = format!(r#"{{"ts":1732219200123,"pad":"{}"}}"#, "x".repeat(74));
    let chunk = r#"{"id":"chatcmpl-9xQ3bZ2rW1kLmN0pQ7sT","object":"chat.completion.chunk","created":1732219200,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]}"#;
    vec![
        Case {
            name: "small_100B",
            data: small,
            check: r#"{ json_path: "$.ts", gt: 0 }"#,
        },
        Case {
            name: "openai_chunk",
            data: chunk.to_owned(),
            check: r#"{ json_path: "$.choices[0].delta.content", exists: true }"#,
        },
        Case {
            name: "openai_is_text",
            data: chunk.to_owned(),
            check: r#"{ json_path: "$.choices[0].delta.content", is: " token" }"#,
        },
        Case {
            name: "openai_jmes",
            data: chunk.to_owned(),
            check: r#"{ jmes_path: "choices[0].delta.content", exists: true }"#,
        },
        Case {
            name: "nested_2KiB",
            data: nested(),
            check: r#"{ json_path: "$.order.items[3].price", gt: 0 }"#,
        },
    ]
}

/// A 2 KiB order with nested objects and arrays.
fn nested() -> String {
    let item = |i: usize| {
        format!(
            r#"{{"sku":"SKU-{i:05}","name":"Item number {i}","price":{}.99,"qty":{},"tags":["a","b","c"],"dims":{{"w":1.5,"h":2.25,"d":0.5}}}}"#,
            10 + i,
            i % 4 + 1
        )
    };
    let items: Vec<String> = (0..15).map(item).collect();
    let text = format!(
        r#"{{"event":"order.updated","seq":123456,"order":{{"id":"ord_8f2a","customer":{{"id":42,"name":"Ada Lovelace","email":"ada@example.com"}},"items":[{}],"total":1234.5,"currency":"EUR"}}}}"#,
        items.join(",")
    );
    assert!((1800..2400).contains(&text.len()), "{} bytes", text.len());
    text
}

/// The message check of `check` with the fast path, and the same without it.
fn checks(check: &str) -> (MessageCheck, MessageCheck) {
    let yaml = format!(
        "target: embedded\nscenarios:\n  - name: s\n    load: [{{at_once_users: 1}}]\n    steps:\n      - sse_connect:\n          name: c\n          url: /x\n          await:\n            - timeout: 1s\n              checks:\n                - {{ name: n, check: {check} }}\n"
    );
    let plan = sseload_scenario::from_str(&yaml).unwrap_or_else(|e| panic!("{e}"));
    let Step::SseConnect(connect) = &plan.scenarios[0].steps[0] else {
        panic!("a connect step")
    };
    let fast = connect.sequences[0].checks[0].clone();
    let mut general = fast.clone();
    for criterion in &mut general.check {
        match &mut criterion.extractor {
            Extractor::JsonPath { path, .. } => {
                assert!(path.is_singular(), "{} is singular", path.source());
                *path = path.without_fast_path();
            }
            Extractor::JmesPath { path, .. } => {
                assert!(path.is_singular(), "{} is singular", path.source());
                *path = path.without_fast_path();
            }
            _ => {}
        }
    }
    (general, fast)
}

/// Runs `check` on a fresh event with `data`, as the engine does per event.
fn run(check: &MessageCheck, data: &str, rng: &mut StdRng) -> bool {
    let vars: Vec<Option<Value>> = Vec::new();
    let subject = Subject::event(EventView {
        event_type: "message",
        id: None,
        data,
        retry: None,
    });
    let mut env = Env {
        vars: &vars,
        rng,
        now: SystemTime::UNIX_EPOCH,
    };
    check.check(&subject, &mut env).result.is_ok()
}

fn criterion_groups(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let mut group = c.benchmark_group("json_path_check");
    for case in cases() {
        let (general, fast) = checks(case.check);
        for (which, check) in [("general", &general), ("fast", &fast)] {
            group.bench_with_input(BenchmarkId::new(which, case.name), &case.data, |b, data| {
                b.iter(|| run(check, black_box(data), &mut rng));
            });
        }
    }
    group.finish();
    let mut group = c.benchmark_group("json_path_read");
    for case in cases() {
        let (_, fast) = checks(case.check);
        let Extractor::JsonPath { path, .. } = &fast.check[0].extractor else {
            continue;
        };
        let general = path.without_fast_path();
        for (which, path) in [("general", &general), ("fast", path)] {
            group.bench_with_input(BenchmarkId::new(which, case.name), &case.data, |b, data| {
                b.iter(|| path.find_first(black_box(data)).is_ok());
            });
        }
    }
    group.finish();
}

/// The mean time of one check over a batch.
fn time(check: &MessageCheck, data: &str, rng: &mut StdRng) -> Duration {
    const BATCH: u32 = 20_000;
    let started = Instant::now();
    for _ in 0..BATCH {
        assert!(run(check, black_box(data), rng));
    }
    started.elapsed() / BATCH
}

/// The same-run comparison: batches of old and new alternate, medians compared.
fn compare() {
    let mut rng = StdRng::seed_from_u64(2);
    println!("case           general ns  fast ns  ratio");
    for case in cases() {
        let (general, fast) = checks(case.check);
        let (mut old, mut new) = (Vec::new(), Vec::new());
        for _ in 0..15 {
            old.push(time(&general, &case.data, &mut rng));
            new.push(time(&fast, &case.data, &mut rng));
        }
        print_row(case.name, old, new);
    }
}

/// The engine's read of a timestamp or sequence number: parse the data and
/// query it, against `JsonPath::find_first`.
fn compare_reads() {
    println!("read (engine) general ns  fast ns  ratio");
    for case in cases() {
        let (_, fast) = checks(case.check);
        let Extractor::JsonPath { path, .. } = &fast.check[0].extractor else {
            continue; // The engine reads with JSON Paths only.
        };
        let general = |data: &str| {
            let parsed: Value = serde_json::from_str(data).ok()?;
            path.get().query(&parsed).first().cloned()
        };
        let fast = |data: &str| path.find_first(data).ok().flatten();
        let (mut old, mut new) = (Vec::new(), Vec::new());
        for _ in 0..15 {
            old.push(time_read(&general, &case.data));
            new.push(time_read(&fast, &case.data));
        }
        print_row(case.name, old, new);
    }
}

fn time_read(read: &dyn Fn(&str) -> Option<Value>, data: &str) -> Duration {
    const BATCH: u32 = 20_000;
    let started = Instant::now();
    for _ in 0..BATCH {
        assert!(read(black_box(data)).is_some());
    }
    started.elapsed() / BATCH
}

fn print_row(name: &str, mut old: Vec<Duration>, mut new: Vec<Duration>) {
    old.sort();
    new.sort();
    let (old, new) = (old[old.len() / 2], new[new.len() / 2]);
    println!(
        "{:<14} {:>10} {:>8} {:>5.1}x",
        name,
        old.as_nanos(),
        new.as_nanos(),
        old.as_secs_f64() / new.as_secs_f64(),
    );
}

/// Runs 10 000 checks of the case named `name` with the general path, then
/// as many with the fast path, untimed: under
/// `valgrind --tool=callgrind`, the inclusive instruction counts of
/// `general_checks` and `fast_checks` are a comparison no other load skews.
fn instructions(name: &str) {
    let case = cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"));
    let (general, fast) = checks(case.check);
    let mut rng = StdRng::seed_from_u64(3);
    general_checks(&general, &case.data, &mut rng);
    fast_checks(&fast, &case.data, &mut rng);
}

#[inline(never)]
fn general_checks(check: &MessageCheck, data: &str, rng: &mut StdRng) {
    for _ in 0..10_000 {
        assert!(run(check, black_box(data), rng));
    }
}

#[inline(never)]
fn fast_checks(check: &MessageCheck, data: &str, rng: &mut StdRng) {
    for _ in 0..10_000 {
        assert!(run(check, black_box(data), rng));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--instructions") {
        instructions(args.get(at + 1).map_or("small_100B", String::as_str));
        return;
    }
    let ratio_only = args.iter().any(|a| a == "--ratio-only");
    if !ratio_only {
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .configure_from_args();
        criterion_groups(&mut c);
        c.final_summary();
    }
    if std::env::var_os("NO_COMPARE").is_none() {
        compare();
        compare_reads();
    }
}
