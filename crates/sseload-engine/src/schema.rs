//! The JSON Schema of the results file, generated from the [`Report`] types
//! as they serialize (every field written, `null` included, is required).

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator, json_schema};
use sseload_metrics::Metric;

use crate::report::{Line, Report};

/// The JSON Schema (draft 2020-12) of the results file that
/// `sseload run --results` writes (a serialized [`Report`]), pretty-printed
/// with a final newline.
///
/// Objects are closed (`additionalProperties: false`), every field is
/// required, metric names are the ones the engine records, and a field that
/// may be empty is `null` rather than absent.
///
/// ```
/// let schema: serde_json::Value = serde_json::from_str(&sseload_engine::results_schema()).unwrap();
/// assert_eq!(schema["title"], "sseload results");
/// ```
pub fn results_schema() -> String {
    let generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let schema = generator.into_root_schema_for::<Report>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

fn metric_names() -> Vec<&'static str> {
    Metric::ALL.iter().map(|m| m.name()).collect()
}

/// A metric's name: one of [`Metric::ALL`].
pub(crate) fn metric_name(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "enum": metric_names() })
}

/// Statistics by metric name.
pub(crate) fn metrics_map(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "propertyNames": { "enum": metric_names() },
        "additionalProperties": generator.subschema_for::<Line>(),
    })
}
