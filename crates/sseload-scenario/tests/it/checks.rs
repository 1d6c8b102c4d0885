//! Running checks on events and responses.

use std::time::SystemTime;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};
use sseload_scenario::check::{Env, EventView, ResponseView, Subject, render_event_json};
use sseload_scenario::{MessageCheck, Plan, Step};

use crate::support;

/// The message check of a one-step scenario, and its plan (for variable names).
fn message_check(check: &str) -> (MessageCheck, Plan) {
    let yaml = format!(
        "target: embedded\nscenarios:\n  - name: s\n    load: [{{at_once_users: 1}}]\n    steps:\n      - set: {{ wanted: AAPL }}\n      - sse_connect:\n          name: c\n          url: /x\n          await:\n            - timeout: 1s\n              checks:\n                - {check}\n"
    );
    let plan = support::plan(&yaml);
    let Step::SseConnect(connect) = &plan.scenarios[0].steps[1] else {
        panic!("a connect")
    };
    (connect.sequences[0].checks[0].clone(), plan)
}

fn event<'a>(event_type: &'a str, data: &'a str) -> EventView<'a> {
    EventView {
        event_type,
        id: Some("7"),
        data,
        retry: None,
    }
}

/// Runs `check` on an event with the session `{wanted: "AAPL"}`; the saves by name.
fn run(
    check: &MessageCheck,
    plan: &Plan,
    event: EventView<'_>,
) -> (bool, Result<(), String>, Vec<(String, Value)>) {
    let mut session: Vec<Option<Value>> = vec![None; plan.vars.len()];
    session[plan.vars.get("wanted").unwrap().index()] = Some(json!("AAPL"));
    let mut rng = StdRng::seed_from_u64(3);
    let mut env = Env {
        vars: &session,
        rng: &mut rng,
        now: SystemTime::UNIX_EPOCH,
    };
    let subject = Subject::event(event);
    let matched = check.matches(&subject, &mut env);
    let verdict = check.check(&subject, &mut env);
    let saves = verdict
        .saves
        .into_iter()
        .map(|(var, value)| (plan.vars.name(var).to_owned(), value))
        .collect();
    (matched, verdict.result, saves)
}

const SNAPSHOT: &str = r#"[{"symbol":"AAPL","price":189.12},{"symbol":"MSFT","price":415.71}]"#;

#[test]
fn a_snapshot_check_matches_validates_and_saves() {
    let (check, plan) = message_check(
        r#"{ name: snapshot, matching: { event: snapshot }, check: [ { json_path: "$[0].price", save_as: first }, { json_path: "$[*]", find: count, gte: 2 }, { jmes_path: "[?symbol=='MSFT'].price | [0]", save_as: msft } ] }"#,
    );
    let (matched, result, saves) = run(&check, &plan, event("snapshot", SNAPSHOT));
    assert!(matched);
    assert_eq!(result, Ok(()));
    assert_eq!(
        saves,
        [
            ("first".to_owned(), json!(189.12)),
            ("msft".to_owned(), json!(415.71))
        ]
    );
    let (matched, ..) = run(&check, &plan, event("price", "{}"));
    assert!(!matched, "a price event is unmatched");
}

#[test]
fn failures_name_the_extractor_and_what_was_found() {
    let (check, plan) = message_check(
        r##"{ name: k, check: [ { json_path: "$[1].symbol", is: "#{wanted}" }, { json_path: "$[0].symbol", save_as: s } ] }"##,
    );
    let (_, result, saves) = run(&check, &plan, event("snapshot", SNAPSHOT));
    assert_eq!(
        result,
        Err(r#"json_path `$[1].symbol`: expected "AAPL", found "MSFT""#.to_owned())
    );
    assert_eq!(
        saves,
        [("s".to_owned(), json!("AAPL"))],
        "criteria that pass still save"
    );
}

#[test]
fn nothing_found_fails_unless_optional_or_expected() {
    let (check, plan) = message_check(r#"{ name: k, check: [ { json_path: "$.missing" } ] }"#);
    assert_eq!(
        run(&check, &plan, event("e", "{}")).1,
        Err("json_path `$.missing`: found nothing".to_owned())
    );
    let (check, plan) = message_check(
        r#"{ name: k, check: [ { json_path: "$.missing", optional: true, save_as: m }, { json_path: "$.gone", not_exists: true } ] }"#,
    );
    let (_, result, saves) = run(&check, &plan, event("e", "{}"));
    assert_eq!((result, saves), (Ok(()), vec![]));
}

#[test]
fn gatling_json_rendering_is_escaped_and_keeps_json_data() {
    let json = render_event_json(&EventView {
        event_type: "say \"hi\"",
        id: Some("1"),
        data: "{\"a\":1}",
        retry: Some(3000),
    });
    assert_eq!(
        json,
        r#"{"event":"say \"hi\"","id":"1","data":{"a":1},"retry":3000}"#
    );
    let text = render_event_json(&EventView {
        event_type: "message",
        id: None,
        data: "{Title}",
        retry: None,
    });
    assert_eq!(
        text, r#"{"event":"message","data":"{Title}"}"#,
        "gatling#4687: not JSON, so quoted"
    );
    let (check, plan) = message_check(
        r#"{ name: k, check: [ { regex: '"event":"snapshot"', on: json }, { json_path: "$.data[0].symbol", on: json, is: AAPL } ] }"#,
    );
    assert_eq!(run(&check, &plan, event("snapshot", SNAPSHOT)).1, Ok(()));
}

#[test]
fn transforms_ranges_and_lists() {
    let (check, plan) = message_check(
        r#"{ name: k, check: [ { field: id, transform: number, gt: 6, lte: 7 }, { regex: '"symbol":"(\w+)"', find: all, save_as: symbols }, { field: data, transform: length, gt: 10 }, { field: id, in: [1, "7"] }, { substring: price, find: count, is: 2 } ] }"#,
    );
    let (_, result, saves) = run(&check, &plan, event("snapshot", SNAPSHOT));
    assert_eq!(result, Ok(()));
    assert_eq!(saves, [("symbols".to_owned(), json!(["AAPL", "MSFT"]))]);
    let (check, plan) =
        message_check(r#"{ name: k, check: { field: id, transform: number, lt: 5 } }"#);
    assert_eq!(
        run(&check, &plan, event("e", "x")).1,
        Err("field `id`: expected < 5, found 7".to_owned())
    );
}

#[test]
fn data_that_is_not_json_fails_a_json_path() {
    let (check, plan) = message_check(r#"{ name: k, check: { json_path: "$.a" } }"#);
    let result = run(&check, &plan, event("e", "not json")).1.unwrap_err();
    assert!(
        result.starts_with("json_path `$.a`: not JSON ("),
        "{result}"
    );
}

#[test]
fn http_checks_use_the_same_machinery() {
    let plan = support::plan(
        "target: embedded\nscenarios:\n  - name: s\n    load: [{at_once_users: 1}]\n    steps:\n      - http: { name: h, url: /x, checks: [ { header: content-type, matches: json }, { json_path: '$.ids[0]', save_as: id } ] }\n",
    );
    let Step::Http { checks, .. } = &plan.scenarios[0].steps[0] else {
        panic!("http")
    };
    let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
    let mut rng = StdRng::seed_from_u64(1);
    let session: Vec<Option<Value>> = vec![None; plan.vars.len()];
    let mut env = Env {
        vars: &session,
        rng: &mut rng,
        now: SystemTime::UNIX_EPOCH,
    };
    let ok = Subject::response(ResponseView {
        status: 200,
        headers: &headers,
        body: br#"{"ids":["42"]}"#,
    });
    let verdict = sseload_scenario::check::run_all(checks, &ok, &mut env);
    assert_eq!(verdict.result, Ok(()));
    assert_eq!(verdict.saves, [(plan.vars.get("id").unwrap(), json!("42"))]);
    let missing = Subject::response(ResponseView {
        status: 503,
        headers: &[],
        body: b"",
    });
    let verdict = sseload_scenario::check::run_all(checks, &missing, &mut env);
    assert_eq!(
        verdict.result,
        Err("field `status`: expected >= 200 and < 400, found 503".to_owned())
    );
}
