//! The JSON Schema of the scenario format, generated from the raw types.

use serde_json::{Value, json};

use crate::raw::Document;

/// The JSON Schema (draft 2020-12) of scenario files, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Document);
    let mut value = serde_json::to_value(&schema).unwrap_or_default();
    allow_bare_kinds(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// A step kind whose options are all optional may be written alone
/// (`- sse_close`); the node deserializer reads it as an empty mapping, and
/// the schema says so too.
fn allow_bare_kinds(schema: &mut Value) {
    let defs = schema["$defs"].clone();
    let Some(kinds) = schema["$defs"]["Step"]["oneOf"].as_array_mut() else {
        return;
    };
    let bare: Vec<Value> = kinds
        .iter()
        .filter_map(|kind| bare_form(kind, &defs))
        .collect();
    kinds.extend(bare);
}

fn bare_form(kind: &Value, defs: &Value) -> Option<Value> {
    let [name] = kind["required"].as_array()?.as_slice() else {
        return None;
    };
    let name = name.as_str()?;
    let target = kind["properties"][name]["$ref"]
        .as_str()?
        .strip_prefix("#/$defs/")?;
    let def = &defs[target];
    let all_optional = def["type"] == "object" && def.get("required").is_none();
    all_optional.then(|| json!({ "description": format!("`{name}` with no options."), "type": "string", "const": name }))
}
