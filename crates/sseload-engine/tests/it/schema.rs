//! The results file's JSON Schema: the committed copy is current, and a real
//! report validates against it while broken copies do not.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use sseload_engine::{Engine, Options, Report};

#[test]
fn committed_schema_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results.schema.json");
    let generated = sseload_engine::results_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale; regenerate it with `UPDATE_SCHEMA=1 cargo test -p sseload-engine --test it schema`",
        path.display()
    );
}

/// Streams with a timestamp and a check, a failing request inside a group
/// (an errors line), more than a second of run (a series point), and one
/// assertion that measures and one that cannot.
const PLAN: &str = r#"
name: schema-check
target: embedded
scenarios:
  - name: watchers
    load: [ { at_once_users: 2 } ]
    steps:
      - sse_connect:
          name: Stocks
          stream: prices
          url: /stocks/prices
          timestamp: { json_path: "$.ts", unit: ms }
          await:
            - timeout: 5s
              checks:
                - name: snapshot
                  matching: { event: snapshot }
      - group:
          name: probing
          steps:
            - http: { name: missing, url: /nowhere, checks: [ { status: 200 } ] }
      - pause: 1100ms
      - sse_close: { name: Close, stream: prices }
assertions:
  - { metric: time_to_first_event.p99, lt: 5s }
  - { metric: reconnect_gap.p99, lt: 1s }
"#;

async fn real_report() -> Report {
    let plan = sseload_scenario::from_str(PLAN).unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::start(plan, Options::default())
        .await
        .expect("the engine starts");
    tokio::time::timeout(Duration::from_secs(60), engine.run(None))
        .await
        .expect("the run ends by itself")
}

/// Validates `instance` against the generated schema; the error lists where.
fn validate(instance: &Value) -> Result<(), String> {
    let schema: Value = serde_json::from_str(&sseload_engine::results_schema()).unwrap();
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("results.schema.json", schema)
        .unwrap();
    let index = compiler
        .compile("results.schema.json", &mut schemas)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e:#}"));
    schemas
        .validate(instance, index)
        .map_err(|e| format!("{e}"))
}

/// A copy of `report` with one change made by `edit`.
fn broken(report: &Value, edit: impl FnOnce(&mut Value)) -> Value {
    let mut copy = report.clone();
    edit(&mut copy);
    copy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_report_validates_and_broken_copies_do_not() {
    let report = real_report().await;
    assert!(
        report
            .stats
            .iter()
            .any(|s| s.scope == "name" && s.group.is_some())
    );
    assert!(!report.histograms.is_empty(), "no histograms");
    assert!(!report.errors.is_empty(), "no errors line");
    assert!(!report.series.is_empty(), "no series point");
    assert!(report.assertions.iter().any(|a| a.measured.is_some()));
    assert!(report.assertions.iter().any(|a| a.note.is_some()));
    let value = serde_json::to_value(&report).unwrap();
    validate(&value).unwrap_or_else(|e| panic!("a real report is refused: {e}"));

    let refusals = [
        (
            broken(&value, |v| v["stats"][0]["counts"]["ok"] = json!("1")),
            "/stats/0/counts/ok",
        ),
        (
            broken(&value, |v| v["meta"]["users_started"] = json!(-1)),
            "/meta/users_started",
        ),
        (
            broken(&value, |v| {
                v["meta"].as_object_mut().unwrap().remove("plan");
            }),
            "plan",
        ),
        (
            broken(&value, |v| v["errors"][0]["extra"] = json!(1)),
            "/errors/0",
        ),
        (
            broken(&value, |v| v["errors"][0]["kind"] = json!("gremlins")),
            "/errors/0/kind",
        ),
        (
            broken(&value, |v| v["histograms"][0]["metric"] = json!("latency")),
            "/histograms/0/metric",
        ),
        (
            broken(&value, |v| v["meta"]["ended_by"] = json!("boredom")),
            "/meta/ended_by",
        ),
    ];
    for (copy, place) in refusals {
        let err = validate(&copy).expect_err("a broken copy must be refused");
        assert!(
            err.contains(place),
            "expected a complaint at {place}: {err}"
        );
    }
}

#[test]
fn metric_names_in_a_stats_map_are_checked() {
    let schema: Value = serde_json::from_str(&sseload_engine::results_schema()).unwrap();
    let names = &schema["$defs"]["Stats"]["properties"]["metrics"]["propertyNames"]["enum"];
    let names: Vec<&str> = names
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let expected: Vec<&str> = sseload_metrics::Metric::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    assert_eq!(names, expected);
}
