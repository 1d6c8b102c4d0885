//! The example scenarios of the repository.

use std::path::PathBuf;
use std::time::Duration;

use sseload_scenario::builder::*;

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

#[test]
fn every_example_validates() {
    let mut count = 0;
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            if let Err(err) = sseload_scenario::from_path(&path) {
                panic!("{} is invalid:\n{err}", path.display());
            }
            count += 1;
        }
    }
    assert!(count >= 5, "expected the five examples, found {count}");
}

#[test]
fn the_examples_say_what_they_are_about() {
    let summary = |name: &str| {
        sseload_scenario::from_path(examples_dir().join(name))
            .unwrap()
            .summary()
    };
    assert_eq!(
        summary("stock-market.yaml"),
        "stock-market: 1 scenario (watchers: 2 open load steps, 3 steps), 3 assertions"
    );
    assert_eq!(
        summary("notifications-fanout.yaml"),
        "notifications-fanout: 2 scenarios (subscribers: 1 open load step, 4 steps; publisher: 2 open load steps, 3 steps), 4 assertions"
    );
    assert_eq!(
        summary("filtered-channels.yaml"),
        "filtered-channels: 3 scenarios (stream: 2 closed load steps, 4 steps; filtered: 2 closed load steps, 5 steps; publisher: 2 closed load steps, 6 steps), 2 assertions"
    );
}

#[test]
fn stock_market_from_the_builder_is_the_same_plan() {
    let secs = Duration::from_secs;
    let built = plan("stock-market")
        .embedded()
        .max_duration(secs(120))
        .scenario(
            scenario("watchers")
                .load(ramp_users(200).during(secs(10)))
                .load(constant_users_per_sec(20.0).during(secs(30)))
                .step(
                    sse("Stocks")
                        .stream("prices")
                        .get("/stocks/prices")
                        .timestamp_ms("$.ts")
                        .await_checks(
                            secs(10),
                            [check_message("snapshot")
                                .matching(event().is("snapshot"))
                                .check(json_path("$[0].price").save_as("first_price"))
                                .check(json_path("$[*]").count().gte(1.0))],
                        ),
                )
                .step(pause(secs(15)))
                .step(sse("Close").stream("prices").close()),
        )
        .assertion(assertion("time_to_first_event.p99").lt(Duration::from_millis(500)))
        .assertion(assertion("checks.failed_percent").lt(1.0))
        .assertion(
            assertion("response_time.p95")
                .request("Stocks")
                .lt(Duration::from_millis(300)),
        )
        .build()
        .unwrap();
    let from_file = sseload_scenario::from_path(examples_dir().join("stock-market.yaml")).unwrap();
    assert_eq!(built, from_file);
}
