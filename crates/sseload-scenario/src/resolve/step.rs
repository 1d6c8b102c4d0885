//! Steps.

use std::num::NonZeroU32;
use std::time::Duration;

use super::check::{self, On, Role};
use super::request::{self, Parts};
use super::{Ctx, all};
use crate::error::Pos;
use crate::plan::{
    Branch, Criterion, Extractor, Field, Find, Pause, Reconnect, SseAwait, SseClose, SseConnect,
    SseListen, Step, TimeUnit, Timestamp, Unmatched, Validator,
};
use crate::raw::Dur;
use crate::raw::step::{self as rs, PauseMap, Steps};
use crate::yaml::{ScalarOr, Spanned};

/// The reconnect backoff cap when the scenario gives none.
const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);

pub(crate) fn steps(ctx: &mut Ctx<'_>, steps: &Steps) -> Option<Vec<Step>> {
    all(ctx.valid(steps), |s| step(ctx, s))
}

fn step(ctx: &mut Ctx<'_>, s: &Spanned<rs::Step>) -> Option<Step> {
    let at = s.at;
    match &s.value {
        rs::Step::Http(http) => http_step(ctx, http),
        rs::Step::SseConnect(c) => connect(ctx, c).map(Step::SseConnect),
        rs::Step::SseAwait(a) => sse_await(ctx, a, at).map(Step::SseAwait),
        rs::Step::SseListen(l) => listen(ctx, l, at).map(Step::SseListen),
        rs::Step::SseClose(c) => Some(Step::SseClose(close(ctx, c, at)?)),
        rs::Step::Pause(p) => pause(ctx, p, at, true).map(Step::Pause),
        rs::Step::Pace(p) => pause(ctx, p, at, false).map(Step::Pace),
        rs::Step::ExitHereIfFailed => Some(Step::ExitHereIfFailed),
        rs::Step::Feed(f) => feed(ctx, f, at),
        rs::Step::Set(values) => set(ctx, values),
        rs::Step::RandomChoice(branches) => random_choice(ctx, branches, at),
        rs::Step::Group(g) => group(ctx, g),
        _ => loop_step(ctx, &s.value, at),
    }
}

fn loop_step(ctx: &mut Ctx<'_>, step: &rs::Step, at: Option<Pos>) -> Option<Step> {
    match step {
        rs::Step::Repeat(r) => {
            let times = ctx.count(&r.times, "`times`");
            let counter = ctx.counter(r.counter.as_ref());
            let body = body(ctx, &r.steps, at, "repeat");
            Some(Step::Repeat {
                times: times?,
                counter: counter?,
                steps: body?,
            })
        }
        rs::Step::During(d) => {
            let counter = ctx.counter(d.counter.as_ref());
            let body = body(ctx, &d.steps, at, "during");
            let exit_asap = d.exit_asap.unwrap_or(true);
            Some(Step::During {
                duration: d.duration.0,
                exit_asap,
                counter: counter?,
                steps: body?,
            })
        }
        rs::Step::Forever(f) => {
            let counter = ctx.counter(f.counter.as_ref());
            let body = body(ctx, &f.steps, at, "forever");
            Some(Step::Forever {
                counter: counter?,
                steps: body?,
            })
        }
        rs::Step::AsLongAs(a) => {
            let condition = ctx.template(&a.condition);
            let counter = ctx.counter(a.counter.as_ref());
            let body = body(ctx, &a.steps, at, "as_long_as");
            Some(Step::AsLongAs {
                condition: condition?,
                exit_asap: a.exit_asap,
                counter: counter?,
                steps: body?,
            })
        }
        rs::Step::TryMax(t) => {
            let times = ctx.positive(&t.times, "`times`");
            let counter = ctx.counter(t.counter.as_ref());
            let body = body(ctx, &t.steps, at, "try_max");
            Some(Step::TryMax {
                times: times?,
                counter: counter?,
                steps: body?,
            })
        }
        _ => None,
    }
}

fn body(ctx: &mut Ctx<'_>, body: &Steps, at: Option<Pos>, what: &str) -> Option<Vec<Step>> {
    if body.is_empty() {
        return ctx.error_hint(
            at,
            format!("`{what}` has no steps"),
            "add `steps:` with at least one step",
        );
    }
    steps(ctx, body)
}

fn group(ctx: &mut Ctx<'_>, g: &rs::Group) -> Option<Step> {
    let name = g.name.value.clone();
    if name.trim().is_empty() {
        return ctx.error(g.name.at, "a group name cannot be empty");
    }
    ctx.scope.groups.insert(name.clone());
    let body = body(ctx, &g.steps, g.name.at, "group")?;
    Some(Step::Group { name, steps: body })
}

fn http_step(ctx: &mut Ctx<'_>, http: &rs::Http) -> Option<Step> {
    let parts = Parts {
        name: &http.name,
        method: http.method.as_ref(),
        url: &http.url,
        query: &http.query,
        headers: &http.headers,
        body: http.body.as_ref(),
    };
    let request = request::request(ctx, &parts);
    let mut checks = check::criteria(ctx, &http.checks, On::Response, Role::Check)?;
    let checks_status = checks
        .iter()
        .any(|c| c.extractor == Extractor::Field(Field::Status));
    if !checks_status {
        checks.insert(0, default_status_check());
    }
    Some(Step::Http {
        request: request?,
        checks,
    })
}

/// A 2xx or 3xx status, when the scenario checks no status itself.
fn default_status_check() -> Criterion {
    use crate::plan::{Bound, Threshold};
    Criterion {
        extractor: Extractor::Field(Field::Status),
        find: Find::First,
        transform: None,
        validator: Validator::Range {
            lower: Some(Bound {
                value: Threshold::Number(200.0),
                inclusive: true,
            }),
            upper: Some(Bound {
                value: Threshold::Number(400.0),
                inclusive: false,
            }),
        },
        save_as: None,
        optional: false,
    }
}

fn connect(ctx: &mut Ctx<'_>, c: &rs::SseConnect) -> Option<SseConnect> {
    let parts = Parts {
        name: &c.name,
        method: c.method.as_ref(),
        url: &c.url,
        query: &c.query,
        headers: &c.headers,
        body: c.body.as_ref(),
    };
    let stream = Ctx::stream_name(c.stream.as_ref());
    ctx.scope.connect(&stream);
    ctx.scope.requests.insert(stream.clone());
    let request = request::request(ctx, &parts);
    let sequences = check::sequences(ctx, &c.sequences);
    let unmatched = unmatched(ctx, c.unmatched.as_ref());
    let timestamp = super::optional(c.timestamp.as_ref().map(|t| timestamp(ctx, t)));
    let sequence = super::optional(
        c.sequence
            .as_ref()
            .map(|s| check::json_path(ctx, &s.json_path)),
    );
    let reconnect = reconnect(ctx, c.reconnect.as_ref());
    Some(SseConnect {
        stream,
        request: request?,
        sequences: sequences?,
        unmatched: unmatched?,
        timestamp: timestamp?,
        sequence: sequence?,
        reconnect: reconnect?,
    })
}

fn unmatched(ctx: &mut Ctx<'_>, u: Option<&Spanned<rs::Unmatched>>) -> Option<Unmatched> {
    match u.map(|u| &u.value) {
        None | Some(rs::Unmatched::Drop) => Some(Unmatched::Drop),
        Some(rs::Unmatched::Buffer(n)) => ctx.positive(n, "`buffer`").map(Unmatched::Buffer),
    }
}

fn timestamp(ctx: &mut Ctx<'_>, t: &rs::Timestamp) -> Option<Timestamp> {
    let path = check::json_path(ctx, &t.json_path)?;
    let unit = match t.unit.as_ref().map(|u| u.value) {
        None | Some(rs::TimeUnit::Ms) => TimeUnit::Millis,
        Some(rs::TimeUnit::S) => TimeUnit::Seconds,
        Some(rs::TimeUnit::Us) => TimeUnit::Micros,
        Some(rs::TimeUnit::Ns) => TimeUnit::Nanos,
        Some(rs::TimeUnit::Rfc3339) => TimeUnit::Rfc3339,
    };
    Some(Timestamp { path, unit })
}

fn reconnect(ctx: &mut Ctx<'_>, r: Option<&ScalarOr<bool, rs::ReconnectMap>>) -> Option<Reconnect> {
    let enabled = |max_attempts, max_backoff| Reconnect::Enabled {
        max_attempts,
        max_backoff,
    };
    match r {
        None | Some(ScalarOr::Scalar(true)) => Some(enabled(None, DEFAULT_MAX_BACKOFF)),
        Some(ScalarOr::Scalar(false)) => Some(Reconnect::Never),
        Some(ScalarOr::Map(map)) => {
            let attempts = super::optional(
                map.max_attempts
                    .as_ref()
                    .map(|n| ctx.positive(n, "`max_attempts`")),
            )?;
            Some(enabled(
                attempts,
                map.max_backoff.map_or(DEFAULT_MAX_BACKOFF, |d| d.0),
            ))
        }
    }
}

fn sse_await(ctx: &mut Ctx<'_>, a: &rs::SseAwait, at: Option<Pos>) -> Option<SseAwait> {
    let stream = Ctx::stream_name(a.stream.as_ref());
    ctx.scope
        .use_stream(&stream, a.stream.as_ref().map_or(at, |s| s.at), "sse_await");
    if a.sequences.is_empty() {
        return ctx.error_hint(
            at,
            "`sse_await` has no sequences",
            "add `await:` with `- timeout: 10s` and `checks:`",
        );
    }
    let sequences = check::sequences(ctx, &a.sequences)?;
    Some(SseAwait { stream, sequences })
}

fn listen(ctx: &mut Ctx<'_>, l: &rs::SseListen, at: Option<Pos>) -> Option<SseListen> {
    let stream = Ctx::stream_name(l.stream.as_ref());
    ctx.scope.use_stream(
        &stream,
        l.stream.as_ref().map_or(at, |s| s.at),
        "sse_listen",
    );
    let name = request::request_name(ctx, &l.name);
    let matching = check::criteria(ctx, &l.matching, On::Event, Role::Matching);
    let check = check::criteria(ctx, &l.check, On::Event, Role::Check);
    let until = super::optional(l.until.as_ref().map(|n| ctx.positive(n, "`until`")));
    let save_count_as = ctx.counter(l.save_count_as.as_ref());
    if l.during.is_none() && l.until.is_none() {
        return ctx.error_hint(
            at,
            "`sse_listen` never stops",
            "give `during` (a duration), `until` (a number of events), or both",
        );
    }
    Some(SseListen {
        name: name?,
        stream,
        matching: matching?,
        check: check?,
        during: l.during.map(|d| d.0),
        until: until?,
        save_count_as: save_count_as?,
    })
}

fn close(ctx: &mut Ctx<'_>, c: &rs::SseClose, at: Option<Pos>) -> Option<SseClose> {
    let stream = Ctx::stream_name(c.stream.as_ref());
    ctx.scope
        .use_stream(&stream, c.stream.as_ref().map_or(at, |s| s.at), "sse_close");
    let name = match &c.name {
        Some(name) => request::request_name(ctx, name)?,
        None => "close".to_owned(),
    };
    Some(SseClose { name, stream })
}

fn pause(
    ctx: &mut Ctx<'_>,
    p: &ScalarOr<Dur, PauseMap>,
    at: Option<Pos>,
    is_pause: bool,
) -> Option<Pause> {
    let map = match p {
        ScalarOr::Scalar(d) => return Some(Pause::Fixed(d.0)),
        ScalarOr::Map(map) => map,
    };
    match map {
        PauseMap {
            min: Some(min),
            max: Some(max),
            exponential: None,
        } if min.0 <= max.0 => Some(Pause::Uniform {
            min: min.0,
            max: max.0,
        }),
        PauseMap {
            min: Some(min),
            max: Some(max),
            exponential: None,
        } => ctx.error(
            at,
            format!(
                "`min` ({}) is longer than `max` ({})",
                crate::raw::duration::render(min.0),
                crate::raw::duration::render(max.0)
            ),
        ),
        PauseMap {
            min: None,
            max: None,
            exponential: Some(mean),
        } if is_pause => Some(Pause::Exponential(mean.0)),
        PauseMap {
            exponential: Some(_),
            ..
        } if !is_pause => ctx.error(at, "`pace` cannot be exponential"),
        _ => ctx.error_hint(
            at,
            "a pause needs a duration, both `min` and `max`, or `exponential`",
            "for example `pause: 2s` or `pause: {min: 1s, max: 3s}`",
        ),
    }
}

fn feed(
    ctx: &mut Ctx<'_>,
    f: &ScalarOr<Spanned<String>, rs::FeedMap>,
    at: Option<Pos>,
) -> Option<Step> {
    let (name, count) = match f {
        ScalarOr::Scalar(name) => (name, None),
        ScalarOr::Map(map) => (&map.feeder, map.count.as_ref()),
    };
    let count = count.map_or(Some(NonZeroU32::MIN), |n| ctx.positive(n, "`count`"));
    let Some(index) = ctx.feeders.iter().position(|(n, _)| *n == name.value) else {
        if ctx.scope.feeders_incomplete {
            return None;
        }
        let names: Vec<String> = ctx.feeders.iter().map(|(n, _)| n.clone()).collect();
        return ctx.error_hint(
            name.at.or(at),
            format!("undefined feeder `{}`", name.value),
            format!("feeders defined under `feeders:`: {}", super::list(names)),
        );
    };
    for var in ctx.feeders[index].1.clone() {
        ctx.scope.set(var);
    }
    let feeder = crate::plan::FeederId(u32::try_from(index).ok()?);
    Some(Step::Feed {
        feeder,
        count: count?,
    })
}

fn set(
    ctx: &mut Ctx<'_>,
    values: &std::collections::BTreeMap<String, Spanned<serde_json::Value>>,
) -> Option<Step> {
    all(values, |(name, value)| {
        let var = ctx.set_var(&Spanned {
            value: name.clone(),
            at: value.at,
        })?;
        let text = match &value.value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        ctx.template_at(&text, value.at).map(|t| (var, t))
    })
    .map(Step::Set)
}

fn random_choice(
    ctx: &mut Ctx<'_>,
    branches: &[crate::yaml::Checked<Spanned<rs::Branch>>],
    at: Option<Pos>,
) -> Option<Step> {
    if branches.is_empty() {
        return ctx.error_hint(
            at,
            "`random_choice` has no branches",
            "give a list of `{weight: 2, steps: [...]}`",
        );
    }
    all(ctx.valid(branches), |b| {
        let weight = b
            .value
            .weight
            .as_ref()
            .map_or(Some(1.0), |w| ctx.above_zero(w, "`weight`"));
        let body = body(ctx, &b.value.steps, b.at, "random_choice branch");
        Some(Branch {
            weight: weight?,
            steps: body?,
        })
    })
    .map(Step::RandomChoice)
}
