//! A small deterministic workload for the CI instruction-count check
//! (`.ci/instructions.sh` runs it under `valgrind --tool=callgrind`):
//! parse a fixed SSE corpus, encode events, evaluate a JSON Path check.
//!
//! `sseload-instr parse|encode|check` runs one part; each prints what it
//! did, so that a broken workload shows up as a wrong count, not as a
//! cheaper run.

use std::process::ExitCode;

use bytes::Bytes;
use sseload_proto::{EventBuilder, Item, Parser};
use sseload_scenario::Step;
use sseload_scenario::check::{Env, EventView, Subject, run_all};

/// Events in the corpus and in the encode and check loops.
const EVENTS: u64 = 20_000;

/// A fixed corpus of ~100-byte JSON events, with ids and a named type on every tenth.
fn corpus() -> Vec<u8> {
    let mut out = Vec::new();
    for n in 0..EVENTS {
        if n % 10 == 0 {
            out.extend_from_slice(b"event: quote\n");
        }
        let line = format!(
            "id: {n}\ndata: {{\"id\":{n},\"user\":\"user-{:04}\",\"action\":\"update\",\"price\":{}.{:02},\"ts\":{}}}\n\n",
            n % 9973,
            100 + n % 50,
            n % 100,
            1_795_272_024_000 + n
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// Parses the corpus in 16 KiB chunks; the number of events.
fn parse(corpus: &[u8]) -> u64 {
    let mut parser = Parser::new();
    let mut events = 0;
    for chunk in corpus.chunks(16 * 1024) {
        parser
            .feed(chunk, |item| {
                if let Item::Event(event) = item {
                    events += std::hint::black_box(event).data().len().min(1) as u64;
                }
            })
            .expect("the corpus is valid");
    }
    events
}

/// Encodes events with a type, an id and two data lines; the bytes written.
fn encode() -> u64 {
    let mut bytes = 0;
    for n in 0..EVENTS {
        let encoded: Bytes = EventBuilder::new()
            .event("quote")
            .id(n.to_string())
            .data(format!("{{\"n\":{n}}}\n{{\"side\":\"buy\"}}"))
            .encode()
            .expect("encodes");
        bytes += std::hint::black_box(encoded).len() as u64;
    }
    bytes
}

const PLAN: &str = r#"
name: instr
target: embedded
scenarios:
  - name: s
    load: [ { at_once_users: 1 } ]
    steps:
      - sse_connect: { name: c, url: /clock }
      - sse_listen:
          name: l
          check: { json_path: "$.price", gt: 100 }
          during: 1s
"#;

/// Runs the listen's JSON Path check on every corpus event's data; the passes.
fn check(corpus: &[u8]) -> u64 {
    let plan = sseload_scenario::from_str(PLAN).expect("the plan is valid");
    let Some(Step::SseListen(listen)) = plan.scenarios[0].steps.get(1) else {
        panic!("the second step is the listen");
    };
    let mut datas = Vec::new();
    Parser::new()
        .feed(corpus, |item| {
            if let Item::Event(event) = item {
                datas.push(event);
            }
        })
        .expect("the corpus is valid");
    let session: Vec<Option<serde_json::Value>> = Vec::new();
    let mut rng = Fixed;
    let mut passed = 0;
    for event in &datas {
        let subject = Subject::event(EventView {
            event_type: event.event_type(),
            id: Some(event.id()),
            data: event.data(),
            retry: None,
        });
        let mut env = Env {
            vars: &session,
            rng: &mut rng,
            now: std::time::UNIX_EPOCH,
        };
        passed += u64::from(run_all(&listen.check, &subject, &mut env).result.is_ok());
    }
    passed
}

/// A random source that always says 0 (the check picks `first`, never `random`).
struct Fixed;

impl rand::RngCore for Fixed {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0);
    }
}

fn main() -> ExitCode {
    let part = std::env::args().nth(1).unwrap_or_default();
    let corpus = corpus();
    let (what, n) = match part.as_str() {
        "parse" => ("events parsed", parse(&corpus)),
        "encode" => ("bytes encoded", encode()),
        "check" => ("checks passed", check(&corpus)),
        other => {
            eprintln!("sseload-instr: unknown part {other:?} (parse, encode or check)");
            return ExitCode::from(2);
        }
    };
    println!("{part}: {n} {what}");
    ExitCode::SUCCESS
}
