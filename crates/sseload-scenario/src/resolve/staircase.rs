//! Gatling's injection meta DSL (`incrementUsersPerSec`,
//! `incrementConcurrentUsers`) unrolled into plain load steps, so that the
//! engine knows only the basic ones.

use std::time::Duration;

use super::Ctx;
use crate::error::Pos;
use crate::plan::{ClosedStep, OpenStep};
use crate::raw::load::{RateStaircase, UsersStaircase};

/// The most levels one step unrolls into, so that a typo cannot make a
/// plan of a billion steps.
const MAX_LEVELS: usize = 10_000;

/// The number of levels, or `None` after reporting why there are none.
fn levels(
    ctx: &mut Ctx<'_>,
    times: &crate::yaml::Spanned<i64>,
    level: Duration,
    at: Option<Pos>,
) -> Option<usize> {
    let count = ctx.positive(times, "`times`")?.get() as usize;
    if count > MAX_LEVELS {
        let message = format!("`times: {count}` makes too many levels");
        return ctx.error_hint(
            times.at,
            message,
            format!("at most {MAX_LEVELS}; a longer `each_level_lasting` covers more time"),
        );
    }
    if level.is_zero() {
        return ctx.error_hint(
            at,
            "`each_level_lasting` must be longer than zero",
            "such as 30s or 1m",
        );
    }
    Some(count)
}

/// Open levels: a constant rate per level, ramps between them.
pub(crate) fn rates(
    ctx: &mut Ctx<'_>,
    s: &RateStaircase,
    at: Option<Pos>,
) -> Option<Vec<OpenStep>> {
    let increment = ctx.above_zero(&s.increment, "`increment`");
    let start = s
        .starting_from
        .as_ref()
        .map_or(Some(0.0), |x| ctx.not_negative(x, "`starting_from`"));
    let level = s.each_level_lasting.0;
    let (times, increment, start) = (levels(ctx, &s.times, level, at)?, increment?, start?);
    let ramp = s
        .separated_by_ramps_lasting
        .map(|d| d.0)
        .filter(|d| !d.is_zero());
    // As Gatling: starting from zero with ramps, every level is reached by
    // a ramp (the first from 0); otherwise the first level starts at once.
    let first = usize::from(start == 0.0 && ramp.is_some());
    let mut steps = Vec::new();
    for i in first..times + first {
        let rate = start + increment * i as f64;
        if let Some(ramp) = ramp.filter(|_| i > 0) {
            steps.push(OpenStep::RampRate {
                from: rate - increment,
                to: rate,
                during: ramp,
                randomized: false,
            });
        }
        steps.push(if rate > 0.0 {
            OpenStep::ConstantRate {
                rate,
                during: level,
                randomized: false,
            }
        } else {
            OpenStep::NothingFor(level)
        });
    }
    Some(steps)
}

/// Closed levels: a constant number of users per level, ramps between them.
pub(crate) fn users(
    ctx: &mut Ctx<'_>,
    s: &UsersStaircase,
    at: Option<Pos>,
) -> Option<Vec<ClosedStep>> {
    let increment = ctx.positive(&s.increment, "`increment`");
    let start = s
        .starting_from
        .as_ref()
        .map_or(Some(0), |x| ctx.count(x, "`starting_from`"));
    let level = s.each_level_lasting.0;
    let (times, increment, start) = (levels(ctx, &s.times, level, at)?, increment?.get(), start?);
    let ramp = s
        .separated_by_ramps_lasting
        .map(|d| d.0)
        .filter(|d| !d.is_zero());
    let first = usize::from(start == 0 && ramp.is_some());
    let mut steps = Vec::new();
    for i in first..times + first {
        let Some(users) = u32::try_from(i)
            .ok()
            .and_then(|i| increment.checked_mul(i))
            .and_then(|n| n.checked_add(start))
        else {
            return ctx.error(at, "the last level has more users than a plan can hold");
        };
        if let Some(ramp) = ramp.filter(|_| i > 0) {
            steps.push(ClosedStep::Ramp {
                from: users - increment,
                to: users,
                during: ramp,
            });
        }
        steps.push(ClosedStep::Constant {
            users,
            during: level,
        });
    }
    Some(steps)
}
