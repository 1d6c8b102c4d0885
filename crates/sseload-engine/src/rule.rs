//! [`Rule`]: an assertion in a form the results file keeps, so that
//! `sseload merge` re-evaluates the plan's assertions on merged data without
//! the scenario file.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sseload_scenario::{Assertion, Bound, Condition, Metric, Scope, Statistic, Threshold};

/// An assertion, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct Rule {
    /// The metric's name (`time_to_first_event`, `requests`, …).
    pub metric: String,
    /// `count`, `rate`, `min`, `max`, `mean`, `stddev`, `pNN`, `failed_count` or `failed_percent`.
    pub statistic: String,
    /// `global`, `scenario`, `request` or `group`.
    #[schemars(extend("enum" = ["global", "scenario", "request", "group"]))]
    pub scope: String,
    /// The scenario, request or group name (absent for `global`).
    pub scope_name: Option<String>,
    /// The lower bound, if any.
    pub above: Option<RuleBound>,
    /// The upper bound, if any.
    pub below: Option<RuleBound>,
}

/// One bound of a [`Rule`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct RuleBound {
    /// A duration limit, in nanoseconds (exclusive with `number`).
    pub nanos: Option<u64>,
    /// A number limit (exclusive with `nanos`).
    pub number: Option<f64>,
    /// Whether the limit itself passes.
    pub inclusive: bool,
}

impl From<&Assertion> for Rule {
    fn from(a: &Assertion) -> Self {
        let (scope, scope_name) = match &a.scope {
            Scope::Global => ("global", None),
            Scope::Scenario(s) => ("scenario", Some(s.clone())),
            Scope::Request(r) => ("request", Some(r.clone())),
            Scope::Group(g) => ("group", Some(g.clone())),
        };
        let (above, below) = match a.condition {
            Condition::Below(b) => (None, Some(b)),
            Condition::Above(b) => (Some(b), None),
            Condition::Between(low, high) => (Some(low), Some(high)),
        };
        Self {
            metric: a.metric.name().to_owned(),
            statistic: a.statistic.name(),
            scope: scope.to_owned(),
            scope_name,
            above: above.map(RuleBound::from),
            below: below.map(RuleBound::from),
        }
    }
}

impl From<Bound> for RuleBound {
    fn from(b: Bound) -> Self {
        let (nanos, number) = match b.value {
            Threshold::Duration(d) => (Some(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)), None),
            Threshold::Number(n) => (None, Some(n)),
        };
        Self {
            nanos,
            number,
            inclusive: b.inclusive,
        }
    }
}

impl Rule {
    /// The assertion back, or what in the rule is not one.
    ///
    /// # Errors
    ///
    /// A message naming the field that does not read.
    pub fn to_assertion(&self) -> Result<Assertion, String> {
        let metric = Metric::ALL
            .iter()
            .find(|(name, _)| *name == self.metric)
            .map(|(_, m)| *m)
            .ok_or_else(|| format!("unknown metric `{}`", self.metric))?;
        let named = |make: fn(String) -> Scope| {
            self.scope_name
                .clone()
                .map(make)
                .ok_or_else(|| format!("scope `{}` without a name", self.scope))
        };
        let scope = match self.scope.as_str() {
            "global" => Scope::Global,
            "scenario" => named(Scope::Scenario)?,
            "request" => named(Scope::Request)?,
            "group" => named(Scope::Group)?,
            other => return Err(format!("unknown scope `{other}`")),
        };
        let bound = |b: Option<RuleBound>| b.map(RuleBound::to_bound).transpose();
        let condition = match (bound(self.above)?, bound(self.below)?) {
            (Some(low), Some(high)) => Condition::Between(low, high),
            (Some(low), None) => Condition::Above(low),
            (None, Some(high)) => Condition::Below(high),
            (None, None) => return Err("no bound".to_owned()),
        };
        Ok(Assertion {
            metric,
            statistic: Statistic::from_name(&self.statistic)
                .ok_or_else(|| format!("unknown statistic `{}`", self.statistic))?,
            scope,
            condition,
        })
    }
}

impl RuleBound {
    fn to_bound(self) -> Result<Bound, String> {
        let value = match (self.nanos, self.number) {
            (Some(n), None) => Threshold::Duration(Duration::from_nanos(n)),
            (None, Some(x)) => Threshold::Number(x),
            _ => return Err("a bound needs exactly one of nanos and number".to_owned()),
        };
        Ok(Bound {
            value,
            inclusive: self.inclusive,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(value: Threshold, inclusive: bool) -> Bound {
        Bound { value, inclusive }
    }

    #[test]
    fn assertions_survive_the_round_trip() {
        let assertions = [
            Assertion {
                metric: Metric::TimeToFirstEvent,
                statistic: Statistic::Percentile(99.9),
                scope: Scope::Group("login / feed".into()),
                condition: Condition::Below(bound(
                    Threshold::Duration(Duration::from_nanos(1_500_000_001)),
                    false,
                )),
            },
            Assertion {
                metric: Metric::Requests,
                statistic: Statistic::FailedPercent,
                scope: Scope::Global,
                condition: Condition::Between(
                    bound(Threshold::Number(0.5), true),
                    bound(Threshold::Number(2.0), false),
                ),
            },
            Assertion {
                metric: Metric::Events,
                statistic: Statistic::Rate,
                scope: Scope::Scenario("s".into()),
                condition: Condition::Above(bound(Threshold::Number(10.0), true)),
            },
        ];
        for a in &assertions {
            let rule = Rule::from(a);
            let json = serde_json::to_string(&rule).unwrap();
            let back: Rule = serde_json::from_str(&json).unwrap();
            assert_eq!(back.to_assertion().as_ref(), Ok(a));
        }
    }

    #[test]
    fn bad_rules_name_the_field() {
        let mut rule = Rule::from(&Assertion {
            metric: Metric::Events,
            statistic: Statistic::Count,
            scope: Scope::Global,
            condition: Condition::Above(bound(Threshold::Number(1.0), false)),
        });
        rule.statistic = "p101".into();
        assert_eq!(rule.to_assertion().unwrap_err(), "unknown statistic `p101`");
        rule.statistic = "count".into();
        rule.metric = "latency".into();
        assert_eq!(rule.to_assertion().unwrap_err(), "unknown metric `latency`");
        rule.metric = "events".into();
        rule.scope = "request".into();
        assert_eq!(
            rule.to_assertion().unwrap_err(),
            "scope `request` without a name"
        );
    }
}
