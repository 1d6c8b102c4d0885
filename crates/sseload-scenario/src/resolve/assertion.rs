//! Assertions: `metric.statistic`, a scope, a condition.

use super::{Ctx, list};
use crate::error::Pos;
use crate::plan::{Assertion, Bound, Condition, Metric, Scope, Statistic, Threshold};
use crate::raw;
use crate::yaml::Spanned;

const STATISTICS: &str = "count, rate, min, max, mean, stddev, p50, p99, p99.9 (any percentile), failed_count, failed_percent";

pub(crate) fn assertion(ctx: &mut Ctx<'_>, a: &Spanned<raw::Assertion>) -> Option<Assertion> {
    let raw = &a.value;
    let (metric, statistic) = metric(ctx, &raw.metric)?;
    let scope = scope(ctx, raw, a.at);
    let condition = condition(ctx, raw, a.at, metric, statistic);
    Some(Assertion {
        metric,
        statistic,
        scope: scope?,
        condition: condition?,
    })
}

fn metric(ctx: &mut Ctx<'_>, text: &Spanned<String>) -> Option<(Metric, Statistic)> {
    let Some((name, stat)) = text.value.split_once('.') else {
        return ctx.error_hint(
            text.at,
            format!("`{}` names no statistic", text.value),
            "write `metric.statistic`, such as `time_to_first_event.p99`",
        );
    };
    let Some(metric) = Metric::ALL
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, m)| *m)
    else {
        return ctx.error_hint(
            text.at,
            format!("unknown metric `{name}`"),
            format!("metrics: {}", list(Metric::ALL.iter().map(|(n, _)| n))),
        );
    };
    let Some(statistic) = Statistic::from_name(stat) else {
        return ctx.error_hint(
            text.at,
            format!("unknown statistic `{stat}`"),
            format!("statistics: {STATISTICS}"),
        );
    };
    applies(ctx, text, metric, statistic).map(|()| (metric, statistic))
}

fn applies(
    ctx: &mut Ctx<'_>,
    text: &Spanned<String>,
    metric: Metric,
    statistic: Statistic,
) -> Option<()> {
    let failed = matches!(statistic, Statistic::FailedCount | Statistic::FailedPercent);
    if failed && !metric.has_outcome() {
        return ctx.error_hint(
            text.at,
            format!("`{}` has no failures to count", metric.name()),
            "failed_count and failed_percent apply to `requests` and `checks`",
        );
    }
    if statistic.is_duration() && !metric.is_timing() {
        return ctx.error_hint(
            text.at,
            format!("`{}` is a count, not a duration", metric.name()),
            "use count or rate",
        );
    }
    Some(())
}

fn scope(ctx: &mut Ctx<'_>, raw: &raw::Assertion, at: Option<Pos>) -> Option<Scope> {
    let given: Vec<(&str, &Spanned<String>)> = [
        ("scenario", &raw.scenario),
        ("request", &raw.request),
        ("group", &raw.group),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    let (kind, name) = match given.as_slice() {
        [] => return Some(Scope::Global),
        [one] => *one,
        _ => {
            return ctx.error(
                at,
                "an assertion has at most one of `scenario`, `request` and `group`",
            );
        }
    };
    if !ctx.scope.incomplete_plan {
        let known = match kind {
            "scenario" => Some(&ctx.scope.scenarios),
            "request" => Some(&ctx.scope.requests),
            _ => Some(&ctx.scope.groups),
        };
        if let Some(known) = known.filter(|k| !k.contains(&name.value)) {
            let hint = format!("{kind} names in this file: {}", list(known));
            return ctx.error_hint(
                name.at,
                format!("no {kind} is named `{}`", name.value),
                hint,
            );
        }
    }
    Some(match kind {
        "scenario" => Scope::Scenario(name.value.clone()),
        "request" => Scope::Request(name.value.clone()),
        _ => Scope::Group(name.value.clone()),
    })
}

fn condition(
    ctx: &mut Ctx<'_>,
    raw: &raw::Assertion,
    at: Option<Pos>,
    metric: Metric,
    stat: Statistic,
) -> Option<Condition> {
    let duration = metric.is_timing() && stat.is_duration();
    let mut bound = |v: &Option<Spanned<raw::Threshold>>, inclusive| -> Option<Option<Bound>> {
        v.as_ref()
            .map(|t| threshold(ctx, t, duration).map(|value| Bound { value, inclusive }))
            .map_or(Some(None), |b| b.map(Some))
    };
    let (lt, lte, gt, gte) = (
        bound(&raw.lt, false)?,
        bound(&raw.lte, true)?,
        bound(&raw.gt, false)?,
        bound(&raw.gte, true)?,
    );
    let between = match &raw.between {
        Some(b) => {
            let low = threshold(
                ctx,
                &Spanned {
                    value: b.value.0.clone(),
                    at: b.at,
                },
                duration,
            )?;
            let high = threshold(
                ctx,
                &Spanned {
                    value: b.value.1.clone(),
                    at: b.at,
                },
                duration,
            )?;
            Some((
                Bound {
                    value: low,
                    inclusive: true,
                },
                Bound {
                    value: high,
                    inclusive: true,
                },
            ))
        }
        None => None,
    };
    let upper = pick(ctx, lt, lte, at, "lt", "lte")?;
    let lower = pick(ctx, gt, gte, at, "gt", "gte")?;
    match (between, lower, upper) {
        (Some((low, high)), None, None) => Some(Condition::Between(low, high)),
        (None, Some(low), Some(high)) => Some(Condition::Between(low, high)),
        (None, Some(low), None) => Some(Condition::Above(low)),
        (None, None, Some(high)) => Some(Condition::Below(high)),
        (None, None, None) => ctx.error_hint(
            at,
            "an assertion has no condition",
            "add one of `lt`, `lte`, `gt`, `gte` or `between`",
        ),
        (Some(_), ..) => ctx.error(at, "`between` with another condition; keep one"),
    }
}

fn pick(
    ctx: &mut Ctx<'_>,
    strict: Option<Bound>,
    loose: Option<Bound>,
    at: Option<Pos>,
    a: &str,
    b: &str,
) -> Option<Option<Bound>> {
    match (strict, loose) {
        (Some(_), Some(_)) => ctx.error(at, format!("`{a}` and `{b}` together; keep one")),
        (x, y) => Some(x.or(y)),
    }
}

fn threshold(ctx: &mut Ctx<'_>, t: &Spanned<raw::Threshold>, duration: bool) -> Option<Threshold> {
    match (&t.value, duration) {
        (raw::Threshold::Text(text), true) => match crate::raw::duration::parse(text) {
            Ok(d) => Some(Threshold::Duration(d)),
            Err(message) => ctx.error_hint(t.at, message, "such as 500ms or 2s"),
        },
        (raw::Threshold::Number(n), true) => ctx.error_hint(
            t.at,
            format!("`{n}` has no unit"),
            format!("this statistic is a duration: write {n}ms or {n}s"),
        ),
        (raw::Threshold::Number(n), false) if n.is_finite() => Some(Threshold::Number(*n)),
        (raw::Threshold::Number(n), false) => {
            ctx.error(t.at, format!("`{n}` is not a finite number"))
        }
        (raw::Threshold::Text(text), false) => ctx.error_hint(
            t.at,
            format!("expected a number, found `{text}`"),
            "counts, rates and percentages are plain numbers",
        ),
    }
}
