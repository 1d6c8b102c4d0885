//! Durations as scenario authors write them: `500ms`, `10s`, `1m30s`, `1.5h`,
//! or a bare number of seconds.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use schemars::{JsonSchema, SchemaGenerator, json_schema};
use serde::Deserialize;

use crate::yaml::de::HINT_SEPARATOR;
use serde::de::{self, Deserializer, Visitor};

/// A duration read from the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dur(pub(crate) Duration);

const HINT: &str =
    "write a number and a unit, such as 250ms, 10s, 1m30s or 2h (units: ns, us, ms, s, m, h)";

/// Parses `1m30s`-style text.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(format!("negative duration `{text}`"));
    }
    let mut rest = trimmed;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err("empty duration".to_owned());
    }
    while !rest.is_empty() {
        let (seconds, tail) = one_term(rest).ok_or_else(|| format!("invalid duration `{text}`"))?;
        total += seconds;
        rest = tail.trim_start();
    }
    Duration::try_from_secs_f64(total).map_err(|_| format!("duration `{text}` is too long"))
}

fn one_term(text: &str) -> Option<(f64, &str)> {
    let digits = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..digits].parse().ok()?;
    let after = text[digits..].trim_start();
    let unit_len = after
        .find(|c: char| !c.is_alphabetic() && c != 'µ')
        .unwrap_or(after.len());
    let scale = match &after[..unit_len] {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    Some((number * scale, &after[unit_len..]))
}

/// Renders a duration in the syntax [`parse`] reads back exactly.
pub(crate) fn render(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    let units: [(u128, &str); 5] = [
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
    ];
    for (size, unit) in units {
        if nanos >= size && nanos.is_multiple_of(size) {
            return format!("{}{unit}", nanos / size);
        }
    }
    format!("{nanos}ns")
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DurVisitor)
    }
}

struct DurVisitor;

impl DurVisitor {
    fn seconds<E: de::Error>(seconds: f64) -> Result<Dur, E> {
        if seconds < 0.0 {
            return Err(E::custom(format!("negative duration `{seconds}`")));
        }
        Duration::try_from_secs_f64(seconds)
            .map(Dur)
            .map_err(|_| E::custom(format!("invalid duration `{seconds}`")))
    }
}

impl Visitor<'_> for DurVisitor {
    type Value = Dur;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as 10s")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
        parse(v)
            .map(Dur)
            .map_err(|message| E::custom(format_args!("{message}{HINT_SEPARATOR}{HINT}")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
        Ok(Dur(Duration::from_secs(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
        Self::seconds(v as f64)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
        Self::seconds(v)
    }
}

impl JsonSchema for Dur {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
        json_schema!({
            "description": "A duration: a number and a unit (ns, us, ms, s, m, h), such as `250ms`, `10s` or `1m30s`; a bare number means seconds.",
            "anyOf": [
                { "type": "string", "pattern": "^\\s*([0-9]+(\\.[0-9]+)?\\s*(ns|us|µs|ms|s|m|h)\\s*)+$" },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_forms() {
        assert_eq!(parse("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("20us"), Ok(Duration::from_micros(20)));
        assert_eq!(parse("1 m 2 s"), Ok(Duration::from_secs(62)));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        assert_eq!(parse("10"), Err("invalid duration `10`".to_owned()));
        assert_eq!(
            parse("ten seconds"),
            Err("invalid duration `ten seconds`".to_owned())
        );
        assert_eq!(parse("-1s"), Err("negative duration `-1s`".to_owned()));
        assert_eq!(parse("5d"), Err("invalid duration `5d`".to_owned()));
    }

    #[test]
    fn render_reads_back() {
        for d in [
            Duration::from_millis(1500),
            Duration::from_secs(3600),
            Duration::from_nanos(7),
            Duration::from_secs(90),
        ] {
            assert_eq!(parse(&render(d)), Ok(d), "{}", render(d));
        }
    }
}
