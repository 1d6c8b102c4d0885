//! Rendering a compiled template against a session: the engine's hot path,
//! writing into a buffer it reuses.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde_json::Value;

use super::VarId;
use super::template::{Access, Function, Part, Template, VarFunction, VarRef};

/// Session values by variable, as a template reads them.
pub trait Lookup {
    /// The value of `var`, if set.
    fn get(&self, var: VarId) -> Option<&Value>;
}

/// A session stored as a vector indexed by [`VarId`].
impl Lookup for Vec<Option<Value>> {
    fn get(&self, var: VarId) -> Option<&Value> {
        self.as_slice().get(var.index()).and_then(Option::as_ref)
    }
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// An expression reads something that is not there.
    #[error("cannot render `#{{{expression}}}`: {reason}")]
    Expression {
        /// The expression, as written between `#{` and `}`.
        expression: String,
        /// What is missing or wrong.
        reason: String,
    },
}

impl Template {
    /// Appends the rendered text to `out`; `rng` and `now` feed the random
    /// and clock functions.
    pub fn render(
        &self,
        vars: &dyn Lookup,
        rng: &mut dyn rand::RngCore,
        now: SystemTime,
        out: &mut String,
    ) -> Result<(), RenderError> {
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Var(var) => render_var(var, vars, rng, out)?,
                Part::Call(function) => call(function, rng, now, out),
            }
        }
        Ok(())
    }

    /// Renders to a new string.
    pub fn render_to_string(
        &self,
        vars: &dyn Lookup,
        rng: &mut dyn rand::RngCore,
        now: SystemTime,
    ) -> Result<String, RenderError> {
        let mut out = String::new();
        self.render(vars, rng, now, &mut out)?;
        Ok(out)
    }
}

fn fail(var: &VarRef, reason: impl Into<String>) -> RenderError {
    RenderError::Expression {
        expression: var.text.clone(),
        reason: reason.into(),
    }
}

/// Follows the keys and indexes of `var`; `Ok(None)` when it is not set.
fn reach<'v>(var: &VarRef, vars: &'v dyn Lookup) -> Result<Option<&'v Value>, RenderError> {
    let Some(mut value) = vars.get(var.var) else {
        return Ok(None);
    };
    for access in &var.path {
        value = match (access, value) {
            (Access::Key(key), Value::Object(map)) => map
                .get(key)
                .ok_or_else(|| fail(var, format!("no key `{key}`")))?,
            (Access::Index(i), Value::Array(items)) => {
                let len = items.len();
                let index = if *i < 0 {
                    len.checked_sub(i.unsigned_abs() as usize)
                } else {
                    Some(*i as usize)
                };
                index.and_then(|n| items.get(n)).ok_or_else(|| {
                    fail(var, format!("index {i} is out of range ({len} elements)"))
                })?
            }
            (Access::Key(key), _) => {
                return Err(fail(
                    var,
                    format!("`.{key}` on a value that is not an object"),
                ));
            }
            (Access::Index(i), _) => {
                return Err(fail(var, format!("`({i})` on a value that is not a list")));
            }
        };
    }
    Ok(Some(value))
}

fn render_var(
    var: &VarRef,
    vars: &dyn Lookup,
    rng: &mut dyn rand::RngCore,
    out: &mut String,
) -> Result<(), RenderError> {
    let reached = match var.then {
        Some(VarFunction::Exists) => {
            out.push_str(if reach(var, vars).ok().flatten().is_some() {
                "true"
            } else {
                "false"
            });
            return Ok(());
        }
        Some(VarFunction::IsUndefined) => {
            out.push_str(if reach(var, vars).ok().flatten().is_none() {
                "true"
            } else {
                "false"
            });
            return Ok(());
        }
        _ => reach(var, vars)?.ok_or_else(|| fail(var, "the session variable is not set"))?,
    };
    match var.then {
        None => write_value(reached, out),
        Some(VarFunction::Size) => {
            let size = match reached {
                Value::Array(items) => items.len(),
                Value::Object(map) => map.len(),
                Value::String(text) => text.chars().count(),
                _ => {
                    return Err(fail(
                        var,
                        "`size()` of a value that is not a list, an object or a text",
                    ));
                }
            };
            let _ = write!(out, "{size}");
        }
        Some(VarFunction::Random) => match reached {
            Value::Array(items) if !items.is_empty() => {
                write_value(&items[rng.random_range(0..items.len())], out);
            }
            _ => {
                return Err(fail(
                    var,
                    "`random()` of a value that is not a non-empty list",
                ));
            }
        },
        Some(VarFunction::JsonStringify) => out.push_str(&reached.to_string()),
        Some(VarFunction::Exists | VarFunction::IsUndefined) => {}
    }
    Ok(())
}

/// Text as is; anything else as JSON.
fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::String(text) => out.push_str(text),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

fn call(function: &Function, rng: &mut dyn rand::RngCore, now: SystemTime, out: &mut String) {
    let _ = match function {
        Function::RandomInt { min, max } | Function::RandomLong { min, max } => {
            write!(out, "{}", rng.random_range(*min..*max))
        }
        Function::RandomDouble {
            min,
            max,
            digits: None,
        } => write!(out, "{}", rng.random_range(*min..*max)),
        Function::RandomDouble {
            min,
            max,
            digits: Some(d),
        } => write!(out, "{:.*}", *d as usize, rng.random_range(*min..*max)),
        Function::RandomUuid => write_uuid(rng, out),
        Function::RandomAlphanumeric(n) => write_alphanumeric(rng, *n, out),
        Function::CurrentTimeMillis => write!(
            out,
            "{}",
            now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
        ),
        Function::CurrentDate => write_rfc3339(now, out),
    };
}

fn write_uuid(rng: &mut dyn rand::RngCore, out: &mut String) -> std::fmt::Result {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        write!(out, "{byte:02x}")?;
    }
    Ok(())
}

fn write_alphanumeric(rng: &mut dyn rand::RngCore, n: usize, out: &mut String) -> std::fmt::Result {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    out.extend((0..n).map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())])));
    Ok(())
}

/// `2026-11-21T15:04:05.123Z`: RFC 3339 in UTC with milliseconds.
fn write_rfc3339(now: SystemTime, out: &mut String) -> std::fmt::Result {
    write!(out, "{}", humantime::format_rfc3339_millis(now))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;

    use super::super::{Vars, compile};
    use super::*;

    fn render(source: &str, values: &[(&str, Value)]) -> Result<String, RenderError> {
        let mut vars = Vars::default();
        let template = compile(source, &mut vars).unwrap();
        let mut session: Vec<Option<Value>> = vec![None; vars.len()];
        for (name, value) in values {
            if let Some(id) = vars.get(name) {
                session[id.index()] = Some(value.clone());
            }
        }
        let now = UNIX_EPOCH + Duration::from_millis(1_763_737_445_123);
        template.render_to_string(&session, &mut StdRng::seed_from_u64(1), now)
    }

    #[test]
    fn variables_and_paths() {
        let order = json!({"items": [{"sku": "a"}, {"sku": "b"}], "n": 2});
        assert_eq!(
            render(
                "/o/#{order.items(-1).sku}?n=#{order.n}",
                &[("order", order.clone())]
            ),
            Ok("/o/b?n=2".into())
        );
        assert_eq!(
            render("#{order.items.size()}", &[("order", order.clone())]),
            Ok("2".into())
        );
        assert_eq!(
            render("#{order.items(0).jsonStringify()}", &[("order", order)]),
            Ok("{\"sku\":\"a\"}".into())
        );
        assert_eq!(
            render("#{p.jsonStringify()}", &[("p", json!("say \"hi\""))]),
            Ok("\"say \\\"hi\\\"\"".into())
        );
    }

    #[test]
    fn presence_tests_never_fail() {
        assert_eq!(
            render("#{x.exists()} #{x.isUndefined()}", &[]),
            Ok("false true".into())
        );
        assert_eq!(
            render("#{x.exists()}", &[("x", json!(1))]),
            Ok("true".into())
        );
    }

    #[test]
    fn missing_values_are_errors_naming_the_expression() {
        let err = render("#{user.name}", &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot render `#{user.name}`: the session variable is not set"
        );
        let err = render("#{l(5)}", &[("l", json!([1, 2]))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot render `#{l(5)}`: index 5 is out of range (2 elements)"
        );
        let err = render("#{l.k}", &[("l", json!([1]))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot render `#{l.k}`: `.k` on a value that is not an object"
        );
    }

    #[test]
    fn clock_functions_use_the_given_time() {
        assert_eq!(
            render("#{currentTimeMillis()}", &[]),
            Ok("1763737445123".into())
        );
        assert_eq!(
            render("#{currentDate()}", &[]),
            Ok("2025-11-21T15:04:05.123Z".into())
        );
    }

    #[test]
    fn random_functions_stay_in_range_and_shape() {
        let n: i64 = render("#{randomInt(5, 8)}", &[]).unwrap().parse().unwrap();
        assert!((5..8).contains(&n));
        let uuid = render("#{randomUuid()}", &[]).unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"), "{uuid}");
        let word = render("#{randomAlphanumeric(12)}", &[]).unwrap();
        assert!(word.len() == 12 && word.chars().all(|c| c.is_ascii_alphanumeric()));
        let x = render("#{randomDouble(0, 1, 2)}", &[]).unwrap();
        assert!(x.starts_with("0.") && x.len() == 4, "{x}");
        let pick = render("#{l.random()}", &[("l", json!(["a", "b"]))]).unwrap();
        assert!(pick == "a" || pick == "b");
    }
}
