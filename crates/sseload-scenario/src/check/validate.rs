//! Validators.

use std::borrow::Cow;

use serde_json::Value;

use super::Env;
use super::extract::number;
use crate::plan::{Bound, Expected, Threshold, Validator};

/// Whether `found` passes `validator`; `Err` says why not.
pub(super) fn validate(
    found: Option<&Value>,
    validator: &Validator,
    optional: bool,
    env: &mut Env<'_>,
) -> Result<(), String> {
    let Some(value) = found else {
        return match validator {
            Validator::NotExists => Ok(()),
            _ if optional => Ok(()),
            _ => Err("found nothing".to_owned()),
        };
    };
    match validator {
        Validator::Exists => Ok(()),
        Validator::NotExists => Err(format!("expected nothing, found {value}")),
        Validator::Is(expected) => {
            let expected = render(expected, env)?;
            if same(value, &expected) {
                Ok(())
            } else {
                Err(format!("expected {expected}, found {value}"))
            }
        }
        Validator::Not(expected) => {
            let expected = render(expected, env)?;
            if same(value, &expected) {
                Err(format!("expected anything but {expected}"))
            } else {
                Ok(())
            }
        }
        Validator::In(options) => {
            let options = options
                .iter()
                .map(|e| render(e, env))
                .collect::<Result<Vec<_>, _>>()?;
            if options.iter().any(|o| same(value, o)) {
                Ok(())
            } else {
                let options: Vec<Value> = options.into_iter().map(Wanted::into_value).collect();
                Err(format!(
                    "expected one of {}, found {value}",
                    Value::Array(options)
                ))
            }
        }
        Validator::Range { lower, upper } => range(value, *lower, *upper),
        Validator::Matches(regex) => {
            if regex.get().is_match(&as_text(value)) {
                Ok(())
            } else {
                Err(format!(
                    "expected a match of `{}`, found {value}",
                    regex.source()
                ))
            }
        }
    }
}

/// An expected value, borrowed from the plan unless rendered from the session.
enum Wanted<'e> {
    /// A JSON value as written.
    Json(&'e Value),
    /// Text (a JSON string).
    Text(Cow<'e, str>),
}

impl Wanted<'_> {
    fn into_value(self) -> Value {
        match self {
            Wanted::Json(value) => value.clone(),
            Wanted::Text(text) => Value::String(text.into_owned()),
        }
    }
}

impl std::fmt::Display for Wanted<'_> {
    /// As the JSON value would show (text quoted and escaped).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Wanted::Json(value) => value.fmt(f),
            Wanted::Text(text) => Value::String(text.to_string()).fmt(f),
        }
    }
}

fn render<'e>(expected: &'e Expected, env: &mut Env<'_>) -> Result<Wanted<'e>, String> {
    match expected {
        Expected::Json(value) => Ok(Wanted::Json(value)),
        Expected::Text(template) => match template.as_literal() {
            Some(text) => Ok(Wanted::Text(Cow::Borrowed(text))),
            None => template
                .render_to_string(env.vars, env.rng, env.now)
                .map(|text| Wanted::Text(Cow::Owned(text)))
                .map_err(|e| e.to_string()),
        },
    }
}

/// A value as text: strings as they are, the rest as JSON.
fn as_text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(text) => Cow::Borrowed(text),
        other => Cow::Owned(other.to_string()),
    }
}

/// Equality across the forms a value takes: numbers by value, text against
/// anything by text, the rest as JSON.
fn same(found: &Value, expected: &Wanted<'_>) -> bool {
    match (found, expected) {
        (Value::Number(a), Wanted::Json(Value::Number(b))) => a.as_f64() == b.as_f64(),
        (_, Wanted::Text(text)) => as_text(found) == *text,
        (Value::String(_), Wanted::Json(other)) | (_, Wanted::Json(other @ Value::String(_))) => {
            as_text(found) == as_text(other)
        }
        (_, Wanted::Json(other)) => found == *other,
    }
}

fn range(value: &Value, lower: Option<Bound>, upper: Option<Bound>) -> Result<(), String> {
    let x = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(text) => number(text.trim()).and_then(|n| n.as_f64()),
        _ => None,
    };
    let Some(x) = x else {
        return Err(format!("expected a number, found {value}"));
    };
    let limit = |b: Bound| match b.value {
        Threshold::Number(n) => n,
        Threshold::Duration(d) => d.as_secs_f64() * 1000.0,
    };
    let above = lower.is_none_or(|b| {
        if b.inclusive {
            x >= limit(b)
        } else {
            x > limit(b)
        }
    });
    let below = upper.is_none_or(|b| {
        if b.inclusive {
            x <= limit(b)
        } else {
            x < limit(b)
        }
    });
    if above && below {
        return Ok(());
    }
    let show = |b: Option<Bound>, inc: &str, exc: &str| {
        b.map(|b| format!("{} {}", if b.inclusive { inc } else { exc }, limit(b)))
    };
    let bounds: Vec<String> = [show(lower, ">=", ">"), show(upper, "<=", "<")]
        .into_iter()
        .flatten()
        .collect();
    Err(format!("expected {}, found {value}", bounds.join(" and ")))
}
