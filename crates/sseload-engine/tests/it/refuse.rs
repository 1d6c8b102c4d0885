//! What the engine refuses at start-up, by name.

use sseload_engine::{Engine, Options};

#[tokio::test]
async fn a_users_scale_of_zero_is_refused() {
    let plan = sseload_scenario::from_str(
        "target: embedded\nscenarios: [ { name: s, load: [ { at_once_users: 1 } ], steps: [ { pause: 1s } ] } ]",
    )
    .unwrap();
    let options = Options {
        users_scale: 0.0,
        ..Options::default()
    };
    let err = Engine::start(plan, options).await.unwrap_err();
    assert!(err.to_string().contains("users scale"), "{err}");
}
