use serde_json::json;
use sseload_scenario::builder::{self, sse};

use crate::support::{errors, plan};

const DECLARED: &str = r##"target: embedded
vars: { region: eu, users_topic: news, batch: 3 }
http:
  headers: { x-region: '#{region}' }
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - sse_connect: { name: c, url: '/topics/#{users_topic}?n=#{batch}' }
"##;

#[test]
fn declared_variables_count_as_set_and_keep_their_defaults() {
    let plan = plan(DECLARED);
    assert_eq!(plan.declared_names(), ["batch", "region", "users_topic"]);
    let defaults: Vec<_> = plan
        .declared
        .iter()
        .map(|(id, value)| (plan.vars.name(*id), value.clone()))
        .collect();
    assert_eq!(
        defaults,
        [
            ("batch", json!(3)),
            ("region", json!("eu")),
            ("users_topic", json!("news")),
        ]
    );
    assert_eq!(plan.declared("region"), plan.vars.get("region"));
    assert!(plan.declared("missing").is_none());
}

#[test]
fn a_variable_some_step_sets_is_not_declared() {
    let plan = plan(
        r##"target: embedded
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - set: { topic: news }
      - sse_connect: { name: c, url: '/topics/#{topic}' }
"##,
    );
    assert!(plan.vars.get("topic").is_some());
    assert!(plan.declared("topic").is_none());
    assert!(plan.declared_names().is_empty());
}

#[test]
fn an_undeclared_unset_variable_is_refused_with_vars_in_the_hint() {
    let yaml = r##"target: embedded
vars: { region: eu }
scenarios:
  - name: s
    load: [{at_once_users: 1}]
    steps:
      - sse_connect: { name: c, url: '/topics/#{topic}' }
"##;
    let expected = r##"error: session variable `topic` is never set in scenario `s`
 --> <string>:7:38
  |
7 |       - sse_connect: { name: c, url: '/topics/#{topic}' }
  |                                      ^
  = hint: set it with save_as, feed, set or a loop counter, or declare it under the plan's `vars:`; variables set in this scenario: none
1 error in <string>"##;
    assert_eq!(errors(yaml), expected);
}

#[test]
fn a_declared_variable_needs_a_valid_name() {
    let yaml = "target: embedded\nvars: { 'two words': x }\nscenarios:\n  - name: s\n    load: [{at_once_users: 1}]\n    steps: [ { pause: 1s } ]\n";
    let text = errors(yaml);
    assert!(
        text.contains("error: `two words` is not a valid variable name"),
        "{text}"
    );
    assert!(text.contains("<string>:2:"), "{text}");
}

#[test]
fn the_builder_declares_the_same_variables() {
    let built = builder::plan("<string>")
        .embedded()
        .var("region", "eu")
        .var("users_topic", "news")
        .var("batch", 3)
        .header("x-region", "#{region}")
        .scenario(
            builder::scenario("s")
                .load(builder::at_once_users(1))
                .step(sse("c").get("/topics/#{users_topic}?n=#{batch}")),
        )
        .build()
        .unwrap();
    let yaml = plan(DECLARED);
    assert_eq!(built.declared, yaml.declared);
    assert_eq!(built.vars, yaml.vars);
}
