//! Extraction, picking and transformation.

use rand::Rng;
use serde_json::{Number, Value};

use super::{EventView, Kind, Subject};
use crate::plan::{Extractor, Field, Find, JmesPath, Source, Transform};

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

/// What an extractor found: at most one value (kept out of a `Vec`, as
/// most are), or any number.
#[derive(Debug)]
pub(super) enum Found {
    /// Zero or one value.
    One(Option<Value>),
    /// Any number of values, in order.
    Many(Vec<Value>),
}

/// Every value the extractor finds, in order.
pub(super) fn extract(extractor: &Extractor, subject: &Subject<'_>) -> Result<Found, String> {
    let text = |s: &str| Value::String(s.to_owned());
    Ok(match extractor {
        Extractor::Field(field) => Found::One(field_value(*field, subject)),
        Extractor::Header(name) => Found::Many(match subject.kind {
            Kind::Response(r) => r
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| text(v))
                .collect(),
            Kind::Event(_) => Vec::new(),
        }),
        Extractor::JsonPath { path, on } => subject
            .query(path, *on)
            .map_err(|e| format!("{}: {e}", describe(extractor)))?,
        Extractor::JmesPath { path, on } => Found::One(
            jmes_path(path, *on, subject).map_err(|e| format!("{}: {e}", describe(extractor)))?,
        ),
        Extractor::Regex { regex, group, on } => {
            let source = subject.text(*on);
            Found::Many(
                regex
                    .get()
                    .captures_iter(&source)
                    .filter_map(|c| c.get(*group))
                    .map(|m| text(m.as_str()))
                    .collect(),
            )
        }
        Extractor::Substring { text: needle, on } => {
            let source = subject.text(*on);
            Found::Many(
                source
                    .match_indices(needle.as_str())
                    .map(|(at, _)| Value::from(at))
                    .collect(),
            )
        }
    })
}

/// The value a JMESPath expression gives, unless null (JMESPath's nothing).
fn jmes_path(path: &JmesPath, on: Source, subject: &Subject<'_>) -> Result<Option<Value>, String> {
    if let Some(singular) = path.singular() {
        let found = subject.find(singular, on)?;
        return Ok(found.filter(|value| !value.is_null()));
    }
    let json = subject.json(on)?;
    let found = path.get().search(&*json).map_err(|e| e.to_string())?;
    let value = serde_json::to_value(&*found).unwrap_or(Value::Null);
    Ok((!value.is_null()).then_some(value))
}

/// The value of a whole field, if the subject has it.
fn field_value(field: Field, subject: &Subject<'_>) -> Option<Value> {
    let text = |s: &str| Value::String(s.to_owned());
    match (subject.kind, field) {
        (Kind::Event(e), Field::Event) => Some(text(e.event_type)),
        (Kind::Event(e), Field::Id) => e.id.map(text),
        (Kind::Event(e), Field::Data) => Some(text(e.data)),
        (Kind::Event(e), Field::Retry) => e.retry.map(Value::from),
        (Kind::Event(_), Field::Json) => Some(text(&subject.text(Source::Json))),
        (Kind::Response(r), Field::Status) => Some(Value::from(r.status)),
        (Kind::Response(r), Field::Body) => Some(text(&String::from_utf8_lossy(r.body))),
        _ => None,
    }
}

/// The value `find` takes.
pub(super) fn pick(found: Found, find: Find, rng: &mut dyn rand::RngCore) -> Option<Value> {
    match found {
        Found::One(value) => pick_one(value, find, rng),
        Found::Many(values) => pick_many(values, find, rng),
    }
}

/// As [`pick_many`] on a list of at most one value, drawing the same
/// randomness for `find: random`.
fn pick_one(value: Option<Value>, find: Find, rng: &mut dyn rand::RngCore) -> Option<Value> {
    match find {
        Find::First | Find::Nth(0) => value,
        Find::Nth(_) => None,
        Find::All => value.map(|v| Value::Array(vec![v])),
        Find::Count => Some(Value::from(usize::from(value.is_some()))),
        Find::Random => {
            // The one value is taken, after the draw a list of one makes.
            if value.is_some() {
                let _: usize = rng.random_range(0..1);
            }
            value
        }
    }
}

fn pick_many(mut values: Vec<Value>, find: Find, rng: &mut dyn rand::RngCore) -> Option<Value> {
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
    let is_json = super::is_container(event.data);
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
