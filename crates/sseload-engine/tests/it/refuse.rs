//! What the engine does not run yet is refused at start-up, by name.

use sseload_engine::{Engine, Error, Options};

#[tokio::test]
async fn an_http_step_against_an_https_base_url_is_refused_with_its_place() {
    let text = r#"
target: { base_url: "https://127.0.0.1:9" }
scenarios:
  - name: s
    load: [ { at_once_users: 1 } ]
    steps:
      - http: { name: login, url: /login }
"#;
    let plan = sseload_scenario::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    let err = Engine::start(plan, Options::default()).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("an `http` step against an https base URL")
            && message.contains("scenario `s`"),
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
