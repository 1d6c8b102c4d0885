//! What the engine does not run yet is refused at start-up, by name.

use sseload_engine::{Engine, Error, Options};

async fn refused(yaml: &str) -> String {
    let text = format!("target: {{ base_url: \"http://127.0.0.1:9\" }}\n{yaml}");
    let plan = sseload_scenario::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    match Engine::start(plan, Options::default()).await {
        Err(err @ Error::Unsupported { .. }) => err.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_group_is_refused_with_its_scenario_and_name() {
    let message = refused(
        r#"
scenarios:
  - name: s
    load: [ { at_once_users: 1 } ]
    steps:
      - group: { name: login, steps: [ { pause: 1s } ] }
"#,
    )
    .await;
    assert!(
        message.contains("`group`") && message.contains("scenario `s`, group `login`"),
        "{message}"
    );
}

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
