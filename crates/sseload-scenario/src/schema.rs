//! The JSON Schema of the scenario format, generated from the raw types.

use crate::raw::Document;

/// The JSON Schema (draft 2020-12) of scenario files, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Document);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
