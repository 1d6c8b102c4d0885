//! Extraction, picking and transformation.

use rand::Rng;
use serde_json::{Number, Value};

use super::{EventView, Kind, Subject};
use crate::plan::{Extractor, Field, Find, Source, Transform};

/// How an extractor is named in failure messages.
pub(super) fn describe(extractor: &Extractor) -> String {
    match extractor {
        Extractor::Field(field) => format!("field `{}`", field_name(*field)),
        Extractor::Header(name) => format!("header `{name}`"),
        Extractor::JsonPath { path, .. } => format!("json_path `{}`", path.source()),
        Extractor::JmesPath { path, .. } => format!("jmes_path `{}`", path.source()),
        Extractor::Regex { regex, .. } => format!("regex `{}`", regex.source()),
        Extractor::Substring { text, .. } => format!("substring `{text}`"),
    }
}

fn field_name(field: Field) -> &'static str {
    match field {
        Field::Event => "event",
        Field::Id => "id",
        Field::Data => "data",
        Field::Retry => "retry",
        Field::Json => "json",
        Field::Status => "status",
        Field::Body => "body",
    }
}

/// Every value the extractor finds, in order.
pub(super) fn extract(extractor: &Extractor, subject: &Subject<'_>) -> Result<Vec<Value>, String> {
    let text = |s: &str| Value::String(s.to_owned());
    Ok(match extractor {
        Extractor::Field(field) => field_values(*field, subject),
        Extractor::Header(name) => match subject.kind {
            Kind::Response(r) => r
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| text(v))
                .collect(),
            Kind::Event(_) => Vec::new(),
        },
        Extractor::JsonPath { path, on } => {
            let json = subject
                .json(*on)
                .map_err(|e| format!("{}: {e}", describe(extractor)))?;
            path.get().query(&json).all().into_iter().cloned().collect()
        }
        Extractor::JmesPath { path, on } => {
            let json = subject
                .json(*on)
                .map_err(|e| format!("{}: {e}", describe(extractor)))?;
            let found = path
                .get()
                .search(&*json)
                .map_err(|e| format!("{}: {e}", describe(extractor)))?;
            let value = serde_json::to_value(&*found).unwrap_or(Value::Null);
            if value.is_null() {
                Vec::new()
            } else {
                vec![value]
            }
        }
        Extractor::Regex { regex, group, on } => {
            let source = subject.text(*on);
            regex
                .get()
                .captures_iter(&source)
                .filter_map(|c| c.get(*group))
                .map(|m| text(m.as_str()))
                .collect()
        }
        Extractor::Substring { text: needle, on } => {
            let source = subject.text(*on);
            source
                .match_indices(needle.as_str())
                .map(|(at, _)| Value::from(at))
                .collect()
        }
    })
}

fn field_values(field: Field, subject: &Subject<'_>) -> Vec<Value> {
    let text = |s: &str| Value::String(s.to_owned());
    match (subject.kind, field) {
        (Kind::Event(e), Field::Event) => vec![text(e.event_type)],
        (Kind::Event(e), Field::Id) => e.id.map(text).into_iter().collect(),
        (Kind::Event(e), Field::Data) => vec![text(e.data)],
        (Kind::Event(e), Field::Retry) => e.retry.map(Value::from).into_iter().collect(),
        (Kind::Event(_), Field::Json) => vec![text(&subject.text(Source::Json))],
        (Kind::Response(r), Field::Status) => vec![Value::from(r.status)],
        (Kind::Response(r), Field::Body) => vec![text(&String::from_utf8_lossy(r.body))],
        _ => Vec::new(),
    }
}

/// The value `find` takes.
pub(super) fn pick(
    mut values: Vec<Value>,
    find: Find,
    rng: &mut dyn rand::RngCore,
) -> Option<Value> {
    match find {
        Find::First => values.into_iter().next(),
        Find::Nth(n) => values.into_iter().nth(n),
        Find::All => (!values.is_empty()).then_some(Value::Array(values)),
        Find::Count => Some(Value::from(values.len())),
        Find::Random if values.is_empty() => None,
        Find::Random => {
            let index = rng.random_range(0..values.len());
            Some(values.swap_remove(index))
        }
    }
}

/// Applies `transform`.
pub(super) fn transform(
    value: Option<Value>,
    transform: Option<Transform>,
) -> Result<Option<Value>, String> {
    let (Some(value), Some(transform)) = (&value, transform) else {
        return Ok(value);
    };
    let transformed = match (transform, value) {
        (Transform::Number, Value::Number(_)) => value.clone(),
        (Transform::Number, Value::String(text)) => {
            number(text.trim()).ok_or_else(|| format!("`{text}` is not a number"))?
        }
        (Transform::Number, other) => return Err(format!("{other} is not a number")),
        (Transform::String, Value::String(_)) => value.clone(),
        (Transform::String, other) => Value::String(other.to_string()),
        (Transform::Length, Value::String(text)) => Value::from(text.chars().count()),
        (Transform::Length, Value::Array(items)) => Value::from(items.len()),
        (Transform::Length, Value::Object(map)) => Value::from(map.len()),
        (Transform::Length, other) => return Err(format!("{other} has no length")),
    };
    Ok(Some(transformed))
}

/// Parses a number, keeping integers whole.
pub(super) fn number(text: &str) -> Option<Value> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::from(i));
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

/// The event as one JSON object, as Gatling's checks see it: keys `event`,
/// `id`, `data`, `retry`, in that order, absent ones left out. Unlike
/// Gatling (gatling#4687), every string is escaped, and the data is
/// inserted as JSON only when it is a JSON object or array.
pub fn render_event_json(event: &EventView<'_>) -> String {
    let quote = |text: &str| Value::String(text.to_owned()).to_string();
    let mut out = format!("{{\"event\":{}", quote(event.event_type));
    if let Some(id) = event.id {
        out.push_str(&format!(",\"id\":{}", quote(id)));
    }
    let is_json = matches!(
        serde_json::from_str::<Value>(event.data),
        Ok(Value::Object(_) | Value::Array(_))
    );
    let data = if is_json {
        event.data.to_owned()
    } else {
        quote(event.data)
    };
    out.push_str(&format!(",\"data\":{data}"));
    if let Some(retry) = event.retry {
        out.push_str(&format!(",\"retry\":{retry}"));
    }
    out.push('}');
    out
}
