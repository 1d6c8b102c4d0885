//! Checks with singular JSON Paths take the fast path, and give what the
//! general path gives: same verdicts, same messages, same saves, same
//! randomness, through the public API the engine uses.

use std::time::SystemTime;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use sseload_scenario::check::{Env, EventView, Subject, Verdict};
use sseload_scenario::{Extractor, MessageCheck, Plan, Step};

/// A plan whose one connect step has `checks` (a YAML list) and reads the
/// timestamp at `timestamp`.
fn plan(checks: &str, timestamp: &str) -> Plan {
    let yaml = format!(
        "target: embedded\nscenarios:\n  - name: s\n    load: [{{at_once_users: 1}}]\n    steps:\n      - sse_connect:\n          name: c\n          url: /x\n          timestamp: {{ json_path: '{timestamp}' }}\n          await:\n            - timeout: 1s\n              checks: {checks}\n"
    );
    sseload_scenario::from_str(&yaml).unwrap_or_else(|e| panic!("{e}"))
}

fn connect(plan: &Plan) -> &sseload_scenario::SseConnect {
    match &plan.scenarios[0].steps[0] {
        Step::SseConnect(connect) => connect,
        other => panic!("a connect step, not {other:?}"),
    }
}

/// The same check with every JSON Path made to parse the whole document.
fn general(check: &MessageCheck) -> MessageCheck {
    let mut general = check.clone();
    for criterion in general.matching.iter_mut().chain(general.check.iter_mut()) {
        match &mut criterion.extractor {
            Extractor::JsonPath { path, .. } => *path = path.without_fast_path(),
            Extractor::JmesPath { path, .. } => *path = path.without_fast_path(),
            _ => {}
        }
    }
    general
}

/// Whether each JSON Path or JMESPath of `check` is singular.
fn paths(check: &MessageCheck) -> impl Iterator<Item = bool> {
    check
        .matching
        .iter()
        .chain(&check.check)
        .filter_map(|c| match &c.extractor {
            Extractor::JsonPath { path, .. } => Some(path.is_singular()),
            Extractor::JmesPath { path, .. } => Some(path.is_singular()),
            _ => None,
        })
}

/// Whether `check` matches the event with `data`, and its verdict.
fn run(check: &MessageCheck, data: &str) -> (bool, Verdict) {
    let vars: Vec<Option<Value>> = Vec::new();
    let mut rng = StdRng::seed_from_u64(11);
    let mut env = Env {
        vars: &vars,
        rng: &mut rng,
        now: SystemTime::UNIX_EPOCH,
    };
    let subject = Subject::event(EventView {
        event_type: "token",
        id: Some("3"),
        data,
        retry: None,
    });
    (
        check.matches(&subject, &mut env),
        check.check(&subject, &mut env),
    )
}

const CHECKS: &str = r#"
                - { name: ts, check: { json_path: "$.ts", gt: 0 } }
                - { name: token, matching: { json_path: "$.object", is: chat.completion.chunk }, check: [ { json_path: "$.choices[0].delta.content", save_as: t }, { json_path: "$['choices'][0]['finish_reason']", not_exists: true } ] }
                - { name: modes, check: [ { json_path: "$.a[1]", find: all, save_as: all }, { json_path: "$.a[1]", find: count, is: 1 }, { json_path: "$.a[1]", find: random, save_as: r }, { json_path: "$.a[1]", nth: 0, save_as: n0 }, { json_path: "$.a[1]", nth: 1, optional: true, save_as: n1 } ] }
                - { name: transforms, check: [ { json_path: "$.s", transform: number, gte: 1.5 }, { json_path: "$.s", transform: length, is: 3 }, { json_path: "$.a", transform: string, matches: '^\[' } ] }
                - { name: texts, check: [ { json_path: "$.s", is: "1.5" }, { json_path: "$.s", in: [1.5, "x"] }, { json_path: "$.s", not: "2" } ] }
                - { name: jmes, check: [ { jmes_path: "choices[0].delta.content", optional: true, save_as: j }, { jmes_path: "a[1]", optional: true, save_as: a1 }, { jmes_path: "ts", optional: true, transform: number, gt: 0 }, { jmes_path: "choices[0].finish_reason", not_exists: true } ] }
                - { name: on_json, check: [ { json_path: "$.data.ts", on: json, gt: 0 }, { json_path: "$.event", on: json, is: token }, { json_path: "$.id", on: json, is: "3" } ] }
"#;

/// Event data of every kind the fast path must treat as the general one does.
const DATA: [&str; 14] = [
    r#"{"ts":1732219200123,"pad":"xxxxxxxx"}"#,
    r#"{"ts":0}"#,
    r#"{"ts":"12"}"#,
    r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" hi"},"finish_reason":null}]}"#,
    r#"{"object":"chat.completion.chunk","choices":[{"delta":{},"finish_reason":"stop"}]}"#,
    r#"{"a":[0,{"k":[1,2]}],"s":"1.5"}"#,
    r#"{"a":[0],"s":"abc"}"#,
    r#"{"a":{"1":2},"a":[0,"last"],"s":1.5}"#,
    r#"{"ts":1,"ts":-1}"#,
    r#"{"\u0074s":5}"#,
    r#"{"ts":1,"x":1e400}"#,
    r#"{"ts":1"#,
    "not json",
    "",
];

#[test]
fn every_check_gives_what_the_general_path_gives() {
    let plan = plan(CHECKS, "$.ts");
    let checks = &connect(&plan).sequences[0].checks;
    for check in checks {
        assert!(paths(check).all(|singular| singular), "{}", check.name);
        let general = general(check);
        assert!(!paths(&general).any(|singular| singular));
        for data in DATA {
            assert_eq!(
                run(check, data),
                run(&general, data),
                "{} on {data}",
                check.name
            );
        }
    }
}

#[test]
fn data_that_is_not_json_fails_with_the_same_message() {
    let plan = plan(CHECKS, "$.ts");
    let check = &connect(&plan).sequences[0].checks[0];
    let (_, verdict) = run(check, "plain text");
    assert_eq!(
        verdict.result,
        Err("json_path `$.ts`: not JSON (expected value at line 1 column 1)".to_owned())
    );
    let (_, verdict) = run(check, r#"{"ts":1,"x":1e400}"#);
    assert_eq!(
        verdict.result,
        Err("json_path `$.ts`: not JSON (number out of range at line 1 column 17)".to_owned())
    );
}

#[test]
fn the_shapes_in_the_examples_are_singular() {
    for source in [
        "$.ts",
        "$.n",
        "$.ids[0]",
        "$.object",
        "$[0].price",
        "$.choices[0].text",
    ] {
        let plan = plan("[ { name: k, check: { event: x } } ]", source);
        let path = &connect(&plan).timestamp.as_ref().unwrap().path;
        assert!(path.is_singular(), "{source}");
        assert_eq!(path.source(), source);
    }
    for source in ["$[*]", "$..ts", "$.a[-1]", "$[?@.ts > 1].ts"] {
        let plan = plan("[ { name: k, check: { event: x } } ]", source);
        assert!(
            !connect(&plan)
                .timestamp
                .as_ref()
                .unwrap()
                .path
                .is_singular(),
            "{source}"
        );
    }
}

#[test]
fn find_first_is_the_first_node_of_the_query() {
    for source in ["$.ts", "$.a[1].k", "$..k", "$.a[*]", "$.missing"] {
        let plan = plan("[ { name: k, check: { event: x } } ]", source);
        let path = &connect(&plan).timestamp.as_ref().unwrap().path;
        for data in DATA {
            let expected = serde_json::from_str::<Value>(data)
                .map(|v| path.get().query(&v).first().cloned())
                .map_err(|e| e.to_string());
            let found = path.find_first(data).map_err(|e| e.to_string());
            assert_eq!(found, expected, "{source} on {data}");
        }
    }
    let plan = plan("[ { name: k, check: { event: x } } ]", "$.a[1].k");
    let path = &connect(&plan).timestamp.as_ref().unwrap().path;
    assert_eq!(path.find_first(DATA[5]).unwrap(), Some(json!([1, 2])));
}
