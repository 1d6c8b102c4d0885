//! Secrets: what a plan marks or implies secret, and how the redactor masks
//! it, by value and by shape.

use std::time::Duration;

use sseload_scenario::builder::{self, Feeder};
use sseload_scenario::{Redactor, Secrets, redact_url};

use crate::support::{errors, plan};

const SCENARIO: &str =
    "scenarios:\n  - name: s\n    load: [{at_once_users: 1}]\n    steps: [{pause: 1s}]\n";

const PLAN: &str = r##"target: { base_url: "http://admin:hunter22@127.0.0.1:9/?api_key=base-key-123" }
http:
  headers:
    Authorization: "Bearer plan-wide-token"
    X-Trace: visible-trace-id
vars:
  session: declared-session-secret
  region: eu-west-1
feeders:
  users:
    inline:
      - { user: alice, password: alice-pass-1, token: tok-alice-1 }
      - { user: bob, password: bob-pass-2, token: tok-bob-2 }
    secret: [password]
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - feed: users
      - http:
          name: login
          url: "/login?user=#{user}&sig=#{token}"
          headers: { Cookie: "sid=#{session}" }
      - sse_connect:
          name: c
          url: "/feed?topic=#{region}&access_token=literal-access-token"
"##;

#[test]
fn every_secret_of_the_plan_is_masked_and_nothing_else() {
    let redactor = plan(PLAN).redactor();
    let text = "alice alice-pass-1 tok-bob-2 hunter22 base-key-123 plan-wide-token \
                declared-session-secret literal-access-token eu-west-1 visible-trace-id";
    assert_eq!(
        redactor.redact(text),
        "alice *** *** *** *** *** *** *** eu-west-1 visible-trace-id"
    );
}

#[test]
fn a_set_override_of_a_secret_variable_is_masked_too() {
    let plan = plan(PLAN);
    let mut secrets = Secrets::of_plan(&plan);
    let session = plan.declared("session").unwrap();
    let region = plan.declared("region").unwrap();
    secrets.vars(
        &plan,
        &[
            (session, "given-on-command-line".into()),
            (region, "us-east-2".into()),
        ],
    );
    assert_eq!(
        secrets.redactor().redact("given-on-command-line us-east-2"),
        "*** us-east-2"
    );
}

#[test]
fn urls_lose_their_user_information_and_credential_parameters() {
    let url = url::Url::parse(
        "https://user:pa55word@example.test:8443/feed?topic=prices&token=abc&X-Amz-Signature=f00d#frag",
    )
    .unwrap();
    assert_eq!(
        redact_url(&url),
        "https://***@example.test:8443/feed?topic=prices&token=***&X-Amz-Signature=***#frag"
    );
    let plain = url::Url::parse("http://127.0.0.1:8080/stocks?topic=a").unwrap();
    assert_eq!(redact_url(&plain), "http://127.0.0.1:8080/stocks?topic=a");
}

#[test]
fn credentials_are_masked_by_their_shape_in_any_text() {
    let redactor = Redactor::new();
    let cases = [
        (
            "request to http://u:p@h/x?key=k1&page=2 failed",
            "request to http://***@h/x?key=***&page=2 failed",
        ),
        (
            "echo: Authorization: Bearer abc.def",
            "echo: Authorization: ***",
        ),
        (
            r#"{"cookie":"sid=1","x":"y","x-api-key": "zz"}"#,
            r#"{"cookie":"***","x":"y","x-api-key": "***"}"#,
        ),
        ("sent bearer eyJhbGciOi.x.y", "sent bearer ***"),
        ("x-my-token: 123456", "x-my-token: ***"),
        (
            "status 401 for /a?monkey=1&client_secret=s3",
            "status 401 for /a?monkey=1&client_secret=***",
        ),
        ("error: connection refused", "error: connection refused"),
        (
            "basic smoke: invalid bearer token for publishing",
            "basic smoke: invalid bearer token for publishing",
        ),
        ("Basic dXNlcjpwYXNzd29yZA==", "Basic ***"),
    ];
    for (text, masked) in cases {
        assert_eq!(redactor.redact(text), masked, "{text}");
    }
}

#[test]
fn a_value_is_masked_in_its_url_and_json_forms_too() {
    let mut secrets = Secrets::new();
    secrets.value("p@ss w\"rd");
    let redactor = secrets.redactor();
    assert_eq!(
        redactor.redact(r#"/login/p%40ss+w%22rd /x/p%40ss%20w%22rd "p@ss w\"rd" p@ss w"rd"#),
        r#"/login/*** /x/*** "***" ***"#
    );
}

#[test]
fn short_values_are_masked_only_by_shape() {
    let mut secrets = Secrets::new();
    secrets.value("abc");
    secrets.value("abcd");
    assert_eq!(
        secrets.redactor().redact("abc abcd ?token=abc"),
        "abc *** ?token=***"
    );
}

#[test]
fn the_builder_marks_secret_columns_as_yaml_does() {
    let record = |pass: &str| {
        serde_json::json!({ "user": "u", "pass": pass })
            .as_object()
            .cloned()
            .unwrap()
    };
    let built = builder::plan("p")
        .embedded()
        .feeder(
            "f",
            Feeder::inline([record("built-secret")]).secret(["pass"]),
        )
        .scenario(
            builder::scenario("s")
                .load(builder::at_once_users(1))
                .step(builder::pause(Duration::from_secs(1))),
        )
        .build()
        .unwrap();
    assert_eq!(built.redactor().redact("u built-secret"), "u ***");
    let yaml = plan(&format!(
        "name: p\ntarget: embedded\nfeeders:\n  f:\n    inline: [{{user: u, pass: built-secret}}]\n    secret: [pass]\n{SCENARIO}"
    ));
    assert_eq!(built.feeders, yaml.feeders);
}

#[test]
fn a_secret_mark_on_a_missing_column_is_refused() {
    let yaml = r##"target: embedded
feeders:
  users:
    inline: [{ user: a, token: t }]
    secret: [tokn]
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps: [{pause: 1s}]
"##;
    let expected = r##"error: feeder `users` marks `tokn` secret, but it has no such column
 --> <string>:5:14
  |
5 |     secret: [tokn]
  |              ^
  = hint: its columns are: token, user
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn insecure_tls_is_known_to_the_plan() {
    assert!(!plan(PLAN).tls_insecure());
    let insecure = plan(&format!(
        "target: embedded\nhttp: {{ tls: {{ accept_invalid_certs: true }} }}\n{SCENARIO}"
    ));
    assert!(insecure.tls_insecure());
    assert_eq!(plan(PLAN).tls_warning(), None);
    let named = plan(&format!(
        "target: {{ base_urls: [\"https://u:p4ss@a.test/?token=t0k3n\", \"https://b.test/\"] }}\nhttp: {{ tls: {{ accept_invalid_certs: true }} }}\n{SCENARIO}"
    ));
    assert_eq!(
        named.tls_warning().unwrap(),
        "warning: TLS certificates are NOT verified for https://***@a.test/?token=***, https://b.test/ (http.tls.accept_invalid_certs): anyone on the path can read and change this run's traffic"
    );
}
