//! The committed JSON Schema must match the Rust types.

use std::path::PathBuf;

#[test]
fn committed_schema_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenario.schema.json");
    let generated = sseload_scenario::json_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale; regenerate it with `UPDATE_SCHEMA=1 cargo test -p sseload-scenario --test it schema`",
        path.display()
    );
}

#[test]
fn schema_describes_the_keys() {
    let schema: serde_json::Value = serde_json::from_str(&sseload_scenario::json_schema()).unwrap();
    assert_eq!(schema["title"], "sseload scenario");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["target", "scenarios"]);
    let step = &schema["$defs"]["Step"]["oneOf"];
    let kinds: Vec<String> = step
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v.get("required").map_or_else(
                || v["enum"][0].to_string(),
                |r| r[0].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for kind in [
        "http",
        "sse_connect",
        "sse_await",
        "sse_listen",
        "sse_close",
        "pause",
        "repeat",
        "feed",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no `{kind}` in {kinds:?}");
    }
}
