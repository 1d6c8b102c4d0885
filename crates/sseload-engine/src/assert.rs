//! CI gates: each assertion's statistic measured over its scope, compared
//! with its condition.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sseload_metrics::Metric as Timing;
use sseload_scenario::{Assertion, Bound, Condition, Metric, Scope, Statistic, Threshold};

use crate::names::{Name, NameKind};
use crate::report::Totals;
use crate::rule::Rule;
use crate::series::ms;

/// The outcome of one assertion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct Outcome {
    /// The assertion as text: `time_to_first_event.p99 (global) < 500 ms`.
    pub assertion: String,
    /// Whether it held.
    pub passed: bool,
    /// What was measured (milliseconds for durations), if it could be.
    pub measured: Option<f64>,
    /// The unit of `measured`: `ms`, `%`, `/s` or empty.
    #[schemars(extend("enum" = ["ms", "%", "/s", ""]))]
    pub unit: String,
    /// Why nothing was measured, when nothing was.
    pub note: Option<String>,
    /// The assertion as data, to evaluate it again on merged results.
    pub rule: Rule,
}

/// Evaluates every assertion.
pub(crate) fn evaluate(assertions: &[Assertion], totals: &Totals) -> Vec<Outcome> {
    assertions.iter().map(|a| one(a, totals)).collect()
}

fn one(a: &Assertion, totals: &Totals) -> Outcome {
    let ids = totals.select(|n| in_scope(&a.scope, n) && fits(a.metric, n));
    let measured = measure(a, totals, &ids);
    let unit = unit(a);
    let text = format!(
        "{}.{} ({}) {}",
        a.metric.name(),
        a.statistic.name(),
        scope_text(&a.scope),
        condition_text(&a.condition, unit)
    );
    match measured {
        Ok(value) => Outcome {
            assertion: text,
            passed: holds(&a.condition, value),
            measured: Some(value),
            unit: unit.to_owned(),
            note: None,
            rule: Rule::from(a),
        },
        Err(note) => Outcome {
            assertion: text,
            passed: false,
            measured: None,
            unit: unit.to_owned(),
            note: Some(note),
            rule: Rule::from(a),
        },
    }
}

fn in_scope(scope: &Scope, name: &Name) -> bool {
    match scope {
        Scope::Global => true,
        Scope::Scenario(s) => &name.scenario == s,
        Scope::Request(r) => &name.name == r,
        Scope::Group(g) => name
            .group
            .as_deref()
            .is_some_and(|path| path == g || path.starts_with(&format!("{g} / "))),
    }
}

/// Requests and checks count only their own kind of name.
fn fits(metric: Metric, name: &Name) -> bool {
    match metric {
        Metric::Requests => name.kind == NameKind::Request,
        Metric::Checks => name.kind == NameKind::Check,
        _ => true,
    }
}

fn timing(metric: Metric) -> Option<Timing> {
    Some(match metric {
        Metric::ConnectTime => Timing::ConnectTime,
        Metric::ResponseTime | Metric::Requests => Timing::ResponseTime,
        Metric::TimeToFirstEvent => Timing::TimeToFirstEvent,
        Metric::EventGap => Timing::EventGap,
        Metric::DeliveryLatency => Timing::DeliveryLatency,
        Metric::ReconnectGap => Timing::ReconnectGap,
        Metric::CheckTime | Metric::Checks => Timing::CheckTime,
        _ => return None,
    })
}

fn measure(a: &Assertion, totals: &Totals, ids: &[usize]) -> Result<f64, String> {
    let counts = totals.counts_of(ids);
    let per_sec = |n: u64| n as f64 / totals.seconds.max(1e-9);
    let counter = match a.metric {
        Metric::Requests | Metric::Checks => Some(counts.ok + counts.ko),
        Metric::Events => Some(counts.events),
        Metric::Reconnects => Some(counts.reconnects),
        Metric::MissedEvents => Some(counts.missed),
        Metric::DuplicateEvents => Some(counts.duplicates),
        Metric::UnmatchedEvents => Some(counts.unmatched),
        _ => None,
    };
    let histogram = timing(a.metric).map(|t| totals.histogram_of(ids, t));
    let count = counter
        .or(histogram.as_ref().map(sseload_metrics::Histogram::count))
        .unwrap_or(0);
    match a.statistic {
        Statistic::Count => Ok(count as f64),
        Statistic::Rate => Ok(per_sec(count)),
        Statistic::FailedCount if a.metric.has_outcome() => Ok(counts.ko as f64),
        Statistic::FailedPercent if a.metric.has_outcome() => Ok(if count == 0 {
            0.0
        } else {
            counts.ko as f64 * 100.0 / count as f64
        }),
        Statistic::FailedCount | Statistic::FailedPercent => {
            Err(format!("{} has no failures to count", a.metric.name()))
        }
        stat => {
            let h = histogram
                .ok_or_else(|| format!("{} is a count, not a duration", a.metric.name()))?;
            if h.is_empty() {
                return Err(format!("no {} was recorded in this scope", a.metric.name()));
            }
            let s = h.summary();
            Ok(ms(match stat {
                Statistic::Min => s.min,
                Statistic::Max => s.max,
                Statistic::Mean => s.mean,
                Statistic::StdDev => h.stdev(),
                Statistic::Percentile(p) => h.quantile(p / 100.0),
                _ => s.max,
            }))
        }
    }
}

fn unit(a: &Assertion) -> &'static str {
    match a.statistic {
        Statistic::FailedPercent => "%",
        Statistic::Rate => "/s",
        s if s.is_duration() => "ms",
        _ => "",
    }
}

fn limit(bound: &Bound) -> f64 {
    match bound.value {
        Threshold::Duration(d) => ms(d),
        Threshold::Number(n) => n,
    }
}

fn holds(condition: &Condition, value: f64) -> bool {
    let below = |b: &Bound| value < limit(b) || (b.inclusive && value <= limit(b));
    let above = |b: &Bound| value > limit(b) || (b.inclusive && value >= limit(b));
    match condition {
        Condition::Below(b) => below(b),
        Condition::Above(b) => above(b),
        Condition::Between(low, high) => above(low) && below(high),
    }
}

fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::Global => "global".into(),
        Scope::Scenario(s) => format!("scenario {s}"),
        Scope::Request(r) => format!("request {r}"),
        Scope::Group(g) => format!("group {g}"),
    }
}

fn condition_text(condition: &Condition, unit: &str) -> String {
    let bound = |b: &Bound, strict: &str, loose: &str| {
        format!(
            "{} {}{}",
            if b.inclusive { loose } else { strict },
            limit(b),
            if unit.is_empty() {
                String::new()
            } else {
                format!(" {unit}")
            }
        )
    };
    match condition {
        Condition::Below(b) => bound(b, "<", "<="),
        Condition::Above(b) => bound(b, ">", ">="),
        Condition::Between(l, h) => format!("{} and {}", bound(l, ">", ">="), bound(h, "<", "<=")),
    }
}
