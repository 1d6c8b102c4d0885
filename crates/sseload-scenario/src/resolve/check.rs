//! Criteria, message checks and await sequences.

use super::{Ctx, all};
use crate::error::Pos;
use crate::plan::{
    Bound, Compiled, Criterion, Expected, Extractor, Field, Find, JsonPath, MessageCheck, Regex,
    Sequence, Source, Threshold, Transform, Validator,
};
use crate::raw::check::{self as rc, Criteria};
use crate::yaml::{Checked, Spanned};

/// What the criteria are applied to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum On {
    /// SSE events.
    Event,
    /// HTTP responses.
    Response,
}

/// Whether criteria filter (`matching`: nothing saved) or check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Matching,
    Check,
}

pub(crate) fn sequences(
    ctx: &mut Ctx<'_>,
    items: &[Checked<Spanned<rc::Sequence>>],
) -> Option<Vec<Sequence>> {
    all(ctx.valid(items), |s| sequence(ctx, s))
}

fn sequence(ctx: &mut Ctx<'_>, s: &Spanned<rc::Sequence>) -> Option<Sequence> {
    if s.value.timeout.0.is_zero() {
        ctx.error_hint::<()>(
            s.at,
            "a sequence `timeout` must be longer than zero",
            "such as 5s or 30s",
        );
    }
    if s.value.checks.is_empty() {
        return ctx.error_hint(
            s.at,
            "a sequence has no checks",
            "add `checks:` with at least one named check",
        );
    }
    let checks = all(ctx.valid(&s.value.checks), |c| message_check(ctx, c))?;
    (!s.value.timeout.0.is_zero()).then_some(Sequence {
        timeout: s.value.timeout.0,
        checks,
    })
}

fn message_check(ctx: &mut Ctx<'_>, c: &Spanned<rc::MessageCheck>) -> Option<MessageCheck> {
    let name = super::request::request_name(ctx, &c.value.name);
    let matching = criteria(ctx, &c.value.matching, On::Event, Role::Matching);
    let check = criteria(ctx, &c.value.check, On::Event, Role::Check);
    Some(MessageCheck {
        name: name?,
        matching: matching?,
        check: check?,
        optional: c.value.optional,
    })
}

pub(crate) fn criteria(
    ctx: &mut Ctx<'_>,
    items: &Criteria,
    on: On,
    role: Role,
) -> Option<Vec<Criterion>> {
    if items.0.iter().any(|i| i.valid().is_none()) {
        ctx.scope.incomplete = true;
    }
    all(items.0.iter().filter_map(Checked::valid), |c| {
        criterion(ctx, c, on, role)
    })
}

fn criterion(
    ctx: &mut Ctx<'_>,
    c: &Spanned<rc::Criterion>,
    on: On,
    role: Role,
) -> Option<Criterion> {
    let raw = &c.value;
    let (extractor, implied) = extractor(ctx, raw, c.at, on)?;
    let find = find(ctx, raw);
    let validator = match implied {
        Some(expected) => no_validator(ctx, raw, c.at).map(|()| Validator::Is(expected)),
        None => validator(ctx, raw, c.at),
    };
    let save_as = match (&raw.save_as, role) {
        (Some(name), Role::Matching) => {
            return ctx.error_hint(
                name.at,
                "`save_as` in `matching`",
                "a matching criterion only filters; save values in `check`",
            );
        }
        (Some(name), Role::Check) => ctx.set_var(name).map(Some),
        (None, _) => Some(None),
    };
    let transform = raw.transform.as_ref().map(|t| match t.value {
        rc::Transform::Number => Transform::Number,
        rc::Transform::String => Transform::String,
        rc::Transform::Length => Transform::Length,
    });
    Some(Criterion {
        extractor,
        find: find?,
        transform,
        validator: validator?,
        save_as: save_as?,
        optional: raw.optional,
    })
}

/// The extractor, and the expected value a shorthand (`event: x`) implies.
fn extractor(
    ctx: &mut Ctx<'_>,
    raw: &rc::Criterion,
    at: Option<Pos>,
    on: On,
) -> Option<(Extractor, Option<Expected>)> {
    let present = present_extractors(raw);
    let [(key, key_at)] = present.as_slice() else {
        return match present.as_slice() {
            [] => ctx.error_hint(at, "a check has nothing to look at", "add one of `field`, `json_path`, `jmes_path`, `regex`, `substring`, `header`, or a short form `event`, `id`, `data`, `status`"),
            [(a, _), (b, b_at), ..] => ctx.error_hint(*b_at, format!("a check looks at one thing, found `{a}` and `{b}`"), "write one check for each"),
            [_] => None,
        };
    };
    let (key, key_at) = (*key, *key_at);
    let source = source(ctx, raw, key, on)?;
    if raw.group.is_some() && key != "regex" {
        return ctx.error(
            raw.group.as_ref().and_then(|g| g.at),
            "`group` applies to `regex` only",
        );
    }
    match key {
        "field" => field(ctx, raw.field.as_ref()?, on).map(|f| (Extractor::Field(f), None)),
        "header" => {
            only_on(ctx, on, On::Response, key, key_at)?;
            Some((
                Extractor::Header(raw.header.as_ref()?.value.to_ascii_lowercase()),
                None,
            ))
        }
        "json_path" => json_path(ctx, raw.json_path.as_ref()?)
            .map(|path| (Extractor::JsonPath { path, on: source }, None)),
        "jmes_path" => jmes_path(ctx, raw.jmes_path.as_ref()?)
            .map(|path| (Extractor::JmesPath { path, on: source }, None)),
        "regex" => regex_extractor(ctx, raw, source).map(|e| (e, None)),
        "substring" => Some((
            Extractor::Substring {
                text: raw.substring.as_ref()?.value.clone(),
                on: source,
            },
            None,
        )),
        "status" => {
            only_on(ctx, on, On::Response, key, key_at)?;
            let status = raw.status.as_ref()?.value;
            Some((
                Extractor::Field(Field::Status),
                Some(Expected::Json(status.into())),
            ))
        }
        "event" | "id" | "data" => {
            only_on(ctx, on, On::Event, key, key_at)?;
            let (field, value) = match key {
                "event" => (Field::Event, raw.event.as_ref()?),
                "id" => (Field::Id, raw.id.as_ref()?),
                _ => (Field::Data, raw.data.as_ref()?),
            };
            ctx.template(value)
                .map(|t| (Extractor::Field(field), Some(Expected::Text(t))))
        }
        _ => None,
    }
}

fn present_extractors(raw: &rc::Criterion) -> Vec<(&'static str, Option<Pos>)> {
    let candidates = [
        ("field", raw.field.as_ref().map(|v| v.at)),
        ("header", raw.header.as_ref().map(|v| v.at)),
        ("json_path", raw.json_path.as_ref().map(|v| v.at)),
        ("jmes_path", raw.jmes_path.as_ref().map(|v| v.at)),
        ("regex", raw.regex.as_ref().map(|v| v.at)),
        ("substring", raw.substring.as_ref().map(|v| v.at)),
        ("event", raw.event.as_ref().map(|v| v.at)),
        ("id", raw.id.as_ref().map(|v| v.at)),
        ("data", raw.data.as_ref().map(|v| v.at)),
        ("status", raw.status.as_ref().map(|v| v.at)),
    ];
    candidates
        .into_iter()
        .filter_map(|(k, at)| at.map(|at| (k, at)))
        .collect()
}

fn only_on(ctx: &mut Ctx<'_>, on: On, wanted: On, key: &str, at: Option<Pos>) -> Option<()> {
    if on == wanted {
        return Some(());
    }
    match wanted {
        On::Response => ctx.error(
            at,
            format!("`{key}` applies to HTTP responses, not to events"),
        ),
        On::Event => ctx.error(
            at,
            format!("`{key}` applies to events, not to HTTP responses"),
        ),
    }
}

fn field(ctx: &mut Ctx<'_>, field: &Spanned<rc::Field>, on: On) -> Option<Field> {
    let (f, wanted) = match field.value {
        rc::Field::Event => (Field::Event, On::Event),
        rc::Field::Id => (Field::Id, On::Event),
        rc::Field::Data => (Field::Data, On::Event),
        rc::Field::Retry => (Field::Retry, On::Event),
        rc::Field::Json => (Field::Json, On::Event),
        rc::Field::Status => (Field::Status, On::Response),
        rc::Field::Body => (Field::Body, On::Response),
    };
    let name = format!("field: {}", field_name(field.value));
    only_on(ctx, on, wanted, &name, field.at).map(|()| f)
}

fn field_name(field: rc::Field) -> &'static str {
    match field {
        rc::Field::Event => "event",
        rc::Field::Id => "id",
        rc::Field::Data => "data",
        rc::Field::Retry => "retry",
        rc::Field::Json => "json",
        rc::Field::Status => "status",
        rc::Field::Body => "body",
    }
}

fn source(ctx: &mut Ctx<'_>, raw: &rc::Criterion, key: &str, on: On) -> Option<Source> {
    let Some(src) = &raw.on else {
        return Some(Source::Data);
    };
    if !matches!(key, "json_path" | "jmes_path" | "regex" | "substring") {
        return ctx.error(
            src.at,
            format!(
                "`on` applies to queries (json_path, jmes_path, regex, substring), not to `{key}`"
            ),
        );
    }
    match (src.value, on) {
        (rc::Field::Data, On::Event) | (rc::Field::Body, On::Response) => Some(Source::Data),
        (rc::Field::Json, On::Event) => Some(Source::Json),
        (other, On::Event) => ctx.error_hint(
            src.at,
            format!("a query cannot read `{}`", field_name(other)),
            "`on: data` (the default) or `on: json` (the event as Gatling renders it)",
        ),
        (other, On::Response) => ctx.error_hint(
            src.at,
            format!("a query cannot read `{}` of a response", field_name(other)),
            "queries on responses read the body",
        ),
    }
}

pub(crate) fn json_path(ctx: &mut Ctx<'_>, path: &Spanned<String>) -> Option<JsonPath> {
    match serde_json_path::JsonPath::parse(&path.value) {
        Ok(compiled) => Some(JsonPath::new(&path.value, compiled)),
        Err(err) => ctx.error_hint(
            path.at,
            format!("invalid JSON Path `{}`: {err}", path.value),
            "JSON Path as in RFC 9535, such as `$.price` or `$[0].items[*].id`",
        ),
    }
}

fn jmes_path(ctx: &mut Ctx<'_>, path: &Spanned<String>) -> Option<crate::plan::JmesPath> {
    match jmespath::compile(&path.value) {
        Ok(compiled) => Some(crate::plan::JmesPath::new(&path.value, compiled)),
        Err(err) => ctx.error_hint(
            path.at,
            format!(
                "invalid JMESPath `{}`: {}",
                path.value,
                first_line(&err.to_string())
            ),
            "JMESPath as on jmespath.org, such as `items[0].id` or `[?symbol=='AAPL'].price`",
        ),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

pub(crate) fn regex(ctx: &mut Ctx<'_>, text: &Spanned<String>) -> Option<Regex> {
    match regex::Regex::new(&text.value) {
        Ok(compiled) => Some(Compiled::new(&text.value, compiled)),
        Err(err) => {
            let detail = err.to_string();
            let last = detail
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim_start_matches("error: ");
            let hint = "the syntax of Rust's regex crate; in double-quoted YAML, write `\\\\d` for `\\d`, or use single quotes";
            ctx.error_hint(
                text.at,
                format!("invalid regex `{}`: {last}", text.value),
                hint,
            )
        }
    }
}

fn regex_extractor(ctx: &mut Ctx<'_>, raw: &rc::Criterion, on: Source) -> Option<Extractor> {
    let regex = regex(ctx, raw.regex.as_ref()?)?;
    let groups = regex.get().captures_len() - 1;
    let group = match &raw.group {
        None => usize::from(groups > 0),
        Some(g) => match usize::try_from(g.value).ok().filter(|n| *n <= groups) {
            Some(n) => n,
            None => {
                return ctx.error(
                    g.at,
                    format!(
                        "`group: {}` but the regex has {groups} capture group{}",
                        g.value,
                        if groups == 1 { "" } else { "s" }
                    ),
                );
            }
        },
    };
    Some(Extractor::Regex { regex, group, on })
}

fn find(ctx: &mut Ctx<'_>, raw: &rc::Criterion) -> Option<Find> {
    let find = raw.find.as_ref().map(|f| (f.value, f.at));
    match (&raw.nth, find) {
        (Some(n), None) => match usize::try_from(n.value) {
            Ok(n) => Some(Find::Nth(n)),
            Err(_) => ctx.error(n.at, format!("`nth` counts from 0, found {}", n.value)),
        },
        (Some(n), Some(_)) => ctx.error(
            n.at,
            "`nth` and `find` together; `nth` already says which value",
        ),
        (None, None) => Some(Find::First),
        (None, Some((f, _))) => Some(match f {
            rc::Find::First => Find::First,
            rc::Find::All => Find::All,
            rc::Find::Count => Find::Count,
            rc::Find::Random => Find::Random,
        }),
    }
}

fn validator_keys(raw: &rc::Criterion) -> Vec<(&'static str, Option<Pos>)> {
    let candidates = [
        ("is", raw.is.as_ref().map(|v| v.at)),
        ("not", raw.not.as_ref().map(|v| v.at)),
        ("in", raw.one_of.as_ref().map(|v| v.at)),
        ("exists", raw.exists.as_ref().map(|v| v.at)),
        ("not_exists", raw.not_exists.as_ref().map(|v| v.at)),
        ("matches", raw.matches.as_ref().map(|v| v.at)),
        ("lt", raw.lt.as_ref().map(|v| v.at)),
        ("lte", raw.lte.as_ref().map(|v| v.at)),
        ("gt", raw.gt.as_ref().map(|v| v.at)),
        ("gte", raw.gte.as_ref().map(|v| v.at)),
    ];
    candidates
        .into_iter()
        .filter_map(|(k, at)| at.map(|at| (k, at)))
        .collect()
}

fn no_validator(ctx: &mut Ctx<'_>, raw: &rc::Criterion, _at: Option<Pos>) -> Option<()> {
    match validator_keys(raw).first() {
        None => Some(()),
        Some((key, at)) => ctx.error_hint(
            *at,
            format!("`{key}` with a short form that already says what to expect"),
            "write `{field: event, is: …}` to use another validator",
        ),
    }
}

fn validator(ctx: &mut Ctx<'_>, raw: &rc::Criterion, at: Option<Pos>) -> Option<Validator> {
    let keys = validator_keys(raw);
    let bounds = keys
        .iter()
        .filter(|(k, _)| matches!(*k, "lt" | "lte" | "gt" | "gte"))
        .count();
    let others: Vec<_> = keys
        .iter()
        .filter(|(k, _)| !matches!(*k, "lt" | "lte" | "gt" | "gte"))
        .collect();
    if others.len() + usize::from(bounds > 0) > 1 {
        let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
        return ctx.error_hint(
            at,
            format!("a check has one validator, found {}", super::list(names)),
            "write one check for each (lt/lte and gt/gte may be combined as a range)",
        );
    }
    if bounds > 0 {
        return range(ctx, raw, at);
    }
    let Some((key, _)) = others.first() else {
        return Some(Validator::Exists);
    };
    match *key {
        "is" => expected(ctx, raw.is.as_ref()?).map(Validator::Is),
        "not" => expected(ctx, raw.not.as_ref()?).map(Validator::Not),
        "in" => {
            let list = raw.one_of.as_ref()?;
            all(&list.value, |v| {
                expected(
                    ctx,
                    &Spanned {
                        value: v.clone(),
                        at: list.at,
                    },
                )
            })
            .map(Validator::In)
        }
        "exists" => Some(if raw.exists.as_ref()?.value {
            Validator::Exists
        } else {
            Validator::NotExists
        }),
        "not_exists" => Some(if raw.not_exists.as_ref()?.value {
            Validator::NotExists
        } else {
            Validator::Exists
        }),
        "matches" => regex(ctx, raw.matches.as_ref()?).map(Validator::Matches),
        _ => None,
    }
}

fn range(ctx: &mut Ctx<'_>, raw: &rc::Criterion, at: Option<Pos>) -> Option<Validator> {
    let bound = |v: &Option<Spanned<f64>>, inclusive| {
        v.as_ref().map(|x| Bound {
            value: Threshold::Number(x.value),
            inclusive,
        })
    };
    let upper = match (bound(&raw.lt, false), bound(&raw.lte, true)) {
        (Some(_), Some(_)) => return ctx.error(at, "`lt` and `lte` together; keep one"),
        (a, b) => a.or(b),
    };
    let lower = match (bound(&raw.gt, false), bound(&raw.gte, true)) {
        (Some(_), Some(_)) => return ctx.error(at, "`gt` and `gte` together; keep one"),
        (a, b) => a.or(b),
    };
    Some(Validator::Range { lower, upper })
}

fn expected(ctx: &mut Ctx<'_>, value: &Spanned<serde_json::Value>) -> Option<Expected> {
    match &value.value {
        serde_json::Value::String(text) => ctx.template_at(text, value.at).map(Expected::Text),
        other => Some(Expected::Json(other.clone())),
    }
}
