//! Every construct, in YAML and with the builder, gives the same plan.

use std::time::Duration;

use serde_json::json;
use sseload_scenario::builder::*;
use sseload_scenario::{Load, OpenStep, Step as PlanStep, Target};

use crate::support;

const EVERYTHING: &str = r##"
name: everything
target: { base_urls: ["http://127.0.0.1:8080", "http://127.0.0.1:8081/app/"] }
http:
  headers: { Authorization: "Bearer #{token}" }
  tls: { accept_invalid_certs: true }
max_duration: 10m
throttle:
  - reach_rps: { rps: 100, in: 10s }
  - hold_for: 1m
  - jump_to_rps: 50
  - hold_for: 2m
feeders:
  users:
    strategy: circular
    inline:
      - { token: a1, user: alice }
      - { token: b2, user: bob }
scenarios:
  - name: open
    load:
      - nothing_for: 1s
      - at_once_users: 5
      - ramp_users: { users: 10, during: 10s }
      - constant_users_per_sec: { rate: 2.5, during: 20s, randomized: true }
      - ramp_users_per_sec: { from: 1, to: 10, during: 30s }
      - stress_peak_users: { users: 100, during: 20s }
    throttle:
      - jump_to_rps: 10
      - hold_for: 1m
    steps:
      - feed: users
      - feed: { feeder: users, count: 2 }
      - set: { greeting: "hi #{user}", limit: 3 }
      - http:
          name: login
          method: POST
          url: /login
          query: { v: "1" }
          headers: { X-User: "#{user}" }
          body: { json: { user: "#{user}" } }
          checks:
            - status: 200
            - header: Content-Type
              matches: "json"
            - json_path: "$.session"
              save_as: session
            - jmes_path: "items[0].id"
              transform: number
              gte: 1
              lt: 10
            - field: body
              transform: length
              gt: 0
      - sse_connect:
          name: prices
          stream: p
          url: /stocks/prices
          headers: { X-Session: "#{session}" }
          unmatched: { buffer: 10 }
          timestamp: { json_path: "$.ts", unit: ms }
          sequence: { json_path: "$.seq" }
          reconnect: { max_attempts: 3, max_backoff: 5s }
          await:
            - timeout: 5s
              checks:
                - name: snapshot
                  matching: { event: snapshot }
                  check:
                    - { json_path: "$[*].price", find: all, save_as: prices }
                    - { regex: "\"symbol\":\"(\\w+)\"", nth: 1, save_as: second }
                - name: first price
                  optional: true
                  matching:
                    - { field: event, is: price }
                    - { json_path: "$.price", gt: 0 }
                  check:
                    - { substring: symbol, find: count, gte: 1 }
                    - { regex: "x", not_exists: true, on: json, optional: true }
            - timeout: 10s
              checks:
                - name: after
                  check: { field: id, in: ["1", "2", 3] }
      - sse_await:
          stream: p
          await:
            - timeout: 2s
              checks:
                - { name: more, check: { data: "#{second}" } }
      - sse_listen:
          name: counting
          stream: p
          matching: { event: price }
          check: { json_path: "$.price", exists: true }
          during: 5s
          until: 100
          save_count_as: seen
      - sse_connect:
          name: llm
          stream: llm
          method: POST
          url: "http://127.0.0.1:9000/v1/completions"
          body: '{"prompt": #{greeting.jsonStringify()}}'
          reconnect: false
      - sse_close: { name: close llm, stream: llm }
      - pause: 1s
      - pause: { min: 1s, max: 2s }
      - pause: { exponential: 500ms }
      - pace: 3s
      - pace: { min: 1s, max: 3s }
      - repeat:
          times: 3
          counter: i
          steps:
            - http: { name: "page", url: "/page/#{i}" }
      - during:
          duration: 30s
          exit_asap: false
          counter: j
          steps: [ { pause: 1s } ]
      - as_long_as:
          condition: "#{more.exists()}"
          exit_asap: true
          counter: k
          steps: [ { pause: 1s } ]
      - try_max:
          times: 3
          counter: attempt
          steps: [ { http: { name: flaky, url: /flaky } } ]
      - group:
          name: checkout
          steps:
            - exit_here_if_failed
            - random_choice:
                - weight: 3
                  steps: [ { pause: 1s } ]
                - steps: [ { pause: 2s } ]
      - sse_close: { name: close prices, stream: p }
      - forever:
          counter: f
          steps: [ { pause: 1s } ]
  - name: closed
    load:
      - constant_concurrent_users: { users: 10, during: 1m }
      - ramp_concurrent_users: { from: 10, to: 20, during: 1m }
    steps:
      - sse_connect: { name: default stream, url: /clock }
      - sse_close
assertions:
  - { metric: time_to_first_event.p99, lt: 500ms }
  - { metric: event_gap.p99.9, lte: 1s }
  - { metric: requests.failed_percent, lte: 1 }
  - { metric: checks.count, gt: 10, scenario: open }
  - { metric: response_time.mean, request: login, gte: 1ms, lt: 2s }
  - { metric: check_time.max, group: checkout, between: [1ms, 5s] }
  - { metric: events.rate, gt: 1.5 }
"##;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn open_scenario() -> ScenarioBuilder {
    scenario("open")
        .load(nothing_for(secs(1)))
        .load(at_once_users(5))
        .load(ramp_users(10).during(secs(10)))
        .load(constant_users_per_sec(2.5).during(secs(20)).randomized())
        .load(ramp_users_per_sec(1.0).to(10.0).during(secs(30)))
        .load(stress_peak_users(100).during(secs(20)))
        .throttle(jump_to_rps(10.0))
        .throttle(hold_for(secs(60)))
        .step(feed("users"))
        .step(feed_many("users", 2))
        .step(set("greeting", "hi #{user}").and("limit", 3))
        .step(
            http("login")
                .post("/login")
                .query("v", "1")
                .header("X-User", "#{user}")
                .json_body(json!({ "user": "#{user}" }))
                .check(status().is(200))
                .check(header("Content-Type").matches("json"))
                .check(json_path("$.session").save_as("session"))
                .check(jmes_path("items[0].id").as_number().gte(1.0).lt(10.0))
                .check(body().length().gt(0.0)),
        )
        .step(
            sse("prices")
                .stream("p")
                .get("/stocks/prices")
                .header("X-Session", "#{session}")
                .buffer_unmatched(10)
                .timestamp_ms("$.ts")
                .sequence("$.seq")
                .reconnect(3, secs(5))
                .await_checks(
                    secs(5),
                    [
                        check_message("snapshot")
                            .matching(event().is("snapshot"))
                            .check(json_path("$[*].price").find_all().save_as("prices"))
                            .check(regex("\"symbol\":\"(\\w+)\"").nth(1).save_as("second")),
                        check_message("first price")
                            .optional()
                            .matching(event().is("price"))
                            .matching(json_path("$.price").gt(0.0))
                            .check(substring("symbol").count().gte(1.0))
                            .check(regex("x").on_json().not_exists().optional()),
                    ],
                )
                .await_checks(
                    secs(10),
                    [
                        check_message("after").check(id().one_of([
                            json!("1"),
                            json!("2"),
                            json!(3),
                        ])),
                    ],
                ),
        )
        .step(sse("ignored").stream("p").await_checks(
            secs(2),
            [check_message("more").check(data().is("#{second}"))],
        ))
        .step(
            sse("counting")
                .stream("p")
                .listen()
                .matching(event().is("price"))
                .check(json_path("$.price").exists())
                .during(secs(5))
                .until(100)
                .save_count_as("seen"),
        )
        .step(
            sse("llm")
                .stream("llm")
                .post("http://127.0.0.1:9000/v1/completions")
                .body("{\"prompt\": #{greeting.jsonStringify()}}")
                .no_reconnect(),
        )
        .step(sse("close llm").stream("llm").close())
        .steps([
            pause(secs(1)),
            pause_between(secs(1), secs(2)),
            pause_exponential(ms(500)),
            pace(secs(3)),
            pace_between(secs(1), secs(3)),
        ])
        .step(repeat(3, [http("page").get("/page/#{i}").into()]).counter("i"))
        .step(
            during(secs(30), [pause(secs(1))])
                .exit_asap(false)
                .counter("j"),
        )
        .step(
            as_long_as("#{more.exists()}", [pause(secs(1))])
                .exit_asap(true)
                .counter("k"),
        )
        .step(try_max(3, [http("flaky").get("/flaky").into()]).counter("attempt"))
        .step(group(
            "checkout",
            [
                exit_here_if_failed(),
                random_choice([(3.0, vec![pause(secs(1))]), (1.0, vec![pause(secs(2))])]),
            ],
        ))
        .step(sse("close prices").stream("p").close())
        .step(forever([pause(secs(1))]).counter("f"))
}

fn built() -> sseload_scenario::Plan {
    let users = [
        json!({"token": "a1", "user": "alice"}),
        json!({"token": "b2", "user": "bob"}),
    ];
    let users = users.into_iter().map(|u| u.as_object().cloned().unwrap());
    plan("everything")
        .base_urls(["http://127.0.0.1:8080", "http://127.0.0.1:8081/app/"])
        .header("Authorization", "Bearer #{token}")
        .accept_invalid_certs()
        .max_duration(secs(600))
        .throttle(reach_rps(100.0, secs(10)))
        .throttle(hold_for(secs(60)))
        .throttle(jump_to_rps(50.0))
        .throttle(hold_for(secs(120)))
        .feeder("users", Feeder::inline(users).circular())
        .scenario(open_scenario())
        .scenario(
            scenario("closed")
                .load(constant_concurrent_users(10).during(secs(60)))
                .load(ramp_concurrent_users(10).to(20).during(secs(60)))
                .step(sse("default stream").get("/clock"))
                .step(sse("close").close()),
        )
        .assertion(assertion("time_to_first_event.p99").lt(ms(500)))
        .assertion(assertion("event_gap.p99.9").lte(secs(1)))
        .assertion(assertion("requests.failed_percent").lte(1.0))
        .assertion(assertion("checks.count").gt(10.0).scenario("open"))
        .assertion(
            assertion("response_time.mean")
                .request("login")
                .gte(ms(1))
                .lt(secs(2)),
        )
        .assertion(
            assertion("check_time.max")
                .group("checkout")
                .between(ms(1), secs(5)),
        )
        .assertion(assertion("events.rate").gt(1.5))
        .build()
        .unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn every_construct_gives_the_same_plan_from_yaml_and_the_builder() {
    let from_yaml = support::plan(EVERYTHING);
    let from_builder = built();
    assert_eq!(from_yaml.scenarios.len(), 2);
    for (a, b) in from_yaml.scenarios[0]
        .steps
        .iter()
        .zip(&from_builder.scenarios[0].steps)
    {
        assert_eq!(a, b);
    }
    assert_eq!(from_yaml, from_builder);
}

#[test]
fn the_plan_is_typed() {
    let plan = support::plan(EVERYTHING);
    let Target::BaseUrls(urls) = &plan.target else {
        panic!("base URLs")
    };
    assert_eq!(urls[1].path(), "/app/");
    let Load::Open(load) = &plan.scenarios[0].load else {
        panic!("open load")
    };
    assert_eq!(
        load[3],
        OpenStep::ConstantRate {
            rate: 2.5,
            during: secs(20),
            randomized: true
        }
    );
    assert_eq!(PlanStep::count(&plan.scenarios[0].steps), 30);
    assert_eq!(plan.feeders[0].records.len(), 2);
    assert!(plan.vars.get("attempt").is_some());
}

#[test]
fn locust_population_becomes_closed_loads_and_loops() {
    let yaml = r#"
target: embedded
population: { users: 10, spawn_rate: 2, during: 1m }
scenarios:
  - { name: a, weight: 3, wait: { between: [1s, 3s] }, steps: [ { pause: 1s } ] }
  - { name: b, wait: { pacing: 2s }, steps: [ { pause: 1s } ] }
  - { name: c, wait: 500ms, steps: [ { pause: 1s } ] }
"#;
    let from_yaml = support::plan(yaml);
    let from_builder = plan("scenario")
        .embedded()
        .population(10, 2.0, secs(60))
        .scenario(
            scenario("a")
                .weight(3.0)
                .wait_between(secs(1), secs(3))
                .step(pause(secs(1))),
        )
        .scenario(scenario("b").wait_pacing(secs(2)).step(pause(secs(1))))
        .scenario(scenario("c").wait_constant(ms(500)).step(pause(secs(1))))
        .build()
        .unwrap();
    assert_eq!(from_yaml, from_builder);
    let loads: Vec<String> = from_yaml
        .scenarios
        .iter()
        .map(|s| format!("{:?}", s.load))
        .collect();
    assert_eq!(
        loads,
        [
            "Closed([Ramp { from: 0, to: 6, during: 5s }, Constant { users: 6, during: 55s }])",
            "Closed([Ramp { from: 0, to: 2, during: 5s }, Constant { users: 2, during: 55s }])",
            "Closed([Ramp { from: 0, to: 2, during: 5s }, Constant { users: 2, during: 55s }])",
        ]
    );
    assert_eq!(
        format!("{:?}", from_yaml.scenarios[1].steps),
        "[Forever { counter: None, steps: [Pace(Fixed(2s)), Pause(Fixed(1s))] }]"
    );
}

/// A directory of its own under the system temp dir, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("sseload-scenario-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.0.join(name), text).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn files_are_read_relative_to_the_scenario() {
    let dir = TempDir::new("files");
    dir.write("users.csv", "user , token\nalice,a1\nbob,b2\n");
    dir.write("items.json", r#"[{"sku": "x1", "qty": 2}, {"sku": "y2"}]"#);
    dir.write("body.bin", "raw bytes");
    dir.write("body.tpl", "{\"user\": \"#{user}\", \"sku\": \"#{sku}\"}");
    dir.write(
        "ca.pem",
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    );
    let yaml = r#"
target: embedded
http: { tls: { ca_file: ca.pem } }
feeders:
  users: { csv: users.csv }
  items: { json: items.json, strategy: shuffle }
scenarios:
  - name: s
    load: [ { at_once_users: 1 } ]
    steps:
      - feed: users
      - feed: items
      - http: { name: raw, method: PUT, url: /raw, body: { file: body.bin } }
      - http: { name: tpl, method: POST, url: /tpl, body: { template: body.tpl } }
"#;
    let from_yaml = sseload_scenario::from_str_in(yaml, "files.yaml", &dir.0, "scenario")
        .unwrap_or_else(|e| panic!("{e}"));
    let from_builder = plan("scenario")
        .embedded()
        .ca_file("ca.pem")
        .base_dir(&dir.0)
        .feeder("users", Feeder::csv("users.csv"))
        .feeder("items", Feeder::json("items.json").shuffle())
        .scenario(
            scenario("s")
                .load(at_once_users(1))
                .step(feed("users"))
                .step(feed("items"))
                .step(http("raw").method("PUT", "/raw").body_file("body.bin"))
                .step(http("tpl").post("/tpl").body_template("body.tpl")),
        )
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_yaml, from_builder);
    let users = &from_yaml.feeders[1];
    let names: Vec<&str> = users
        .columns
        .iter()
        .map(|c| from_yaml.vars.name(*c))
        .collect();
    assert_eq!(
        (users.name.as_str(), names),
        ("users", vec!["token", "user"])
    );
    assert_eq!(users.records[0], [json!("a1"), json!("alice")]);
    let items = &from_yaml.feeders[0];
    assert_eq!(items.records[1], [json!(null), json!("y2")]);
}

#[test]
fn gatling_meta_dsl_unrolls_into_plain_steps() {
    let yaml = r#"
target: embedded
scenarios:
  - name: open
    load:
      - increment_users_per_sec: { increment: 5, times: 3, each_level_lasting: 10s, separated_by_ramps_lasting: 2s, starting_from: 1 }
    steps: [ { pause: 1s } ]
  - name: closed
    load:
      - increment_concurrent_users: { increment: 10, times: 2, each_level_lasting: 30s }
    steps: [ { pause: 1s } ]
  - name: from-zero
    load:
      - increment_users_per_sec: { increment: 5, times: 2, each_level_lasting: 10s, separated_by_ramps_lasting: 2s }
    steps: [ { pause: 1s } ]
"#;
    let from_yaml = support::plan(yaml);
    let from_builder = plan("scenario")
        .embedded()
        .scenario(
            scenario("open")
                .load(
                    increment_users_per_sec(5.0)
                        .times(3)
                        .each_level_lasting(secs(10))
                        .separated_by_ramps_lasting(secs(2))
                        .starting_from(1.0),
                )
                .step(pause(secs(1))),
        )
        .scenario(
            scenario("closed")
                .load(
                    increment_concurrent_users(10)
                        .times(2)
                        .each_level_lasting(secs(30)),
                )
                .step(pause(secs(1))),
        )
        .scenario(
            scenario("from-zero")
                .load(
                    increment_users_per_sec(5.0)
                        .times(2)
                        .each_level_lasting(secs(10))
                        .separated_by_ramps_lasting(secs(2)),
                )
                .step(pause(secs(1))),
        )
        .build()
        .unwrap();
    assert_eq!(from_yaml, from_builder);
    let loads: Vec<String> = from_yaml
        .scenarios
        .iter()
        .map(|s| format!("{:?}", s.load))
        .collect();
    assert_eq!(
        loads,
        [
            "Open([ConstantRate { rate: 1.0, during: 10s, randomized: false }, \
             RampRate { from: 1.0, to: 6.0, during: 2s, randomized: false }, \
             ConstantRate { rate: 6.0, during: 10s, randomized: false }, \
             RampRate { from: 6.0, to: 11.0, during: 2s, randomized: false }, \
             ConstantRate { rate: 11.0, during: 10s, randomized: false }])",
            "Closed([Constant { users: 0, during: 30s }, Constant { users: 10, during: 30s }])",
            "Open([RampRate { from: 0.0, to: 5.0, during: 2s, randomized: false }, \
             ConstantRate { rate: 5.0, during: 10s, randomized: false }, \
             RampRate { from: 5.0, to: 10.0, during: 2s, randomized: false }, \
             ConstantRate { rate: 10.0, during: 10s, randomized: false }])",
        ]
    );
}
