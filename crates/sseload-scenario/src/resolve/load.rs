//! Injection profiles, throttling, and the Locust-style population turned
//! into per-scenario closed profiles.

use std::time::Duration;

use super::{Ctx, all, staircase, valid};
use crate::plan::{ClosedStep, Load, OpenStep, Pause, Step, ThrottleStep};
use crate::raw::load::{LoadStep, Population, Throttle, Wait, WaitMap};
use crate::raw::{self, Dur};
use crate::yaml::{Checked, ScalarOr, Spanned};

const LOAD_HINT: &str = "add `load:` with steps such as `- ramp_users: {users: 10, during: 30s}`, or use a top-level `population:`";

/// A scenario's part of the population.
#[derive(Debug, Clone)]
pub(crate) struct Share {
    users: u32,
    ramp: Duration,
    total: Duration,
}

pub(crate) fn scenario_load(
    ctx: &mut Ctx<'_>,
    raw: &Spanned<raw::Scenario>,
    locust: bool,
    share: Option<Share>,
) -> Option<Load> {
    let s = &raw.value;
    if locust {
        if let Some(load) = &s.load {
            return ctx.error_hint(
                load.at,
                "a scenario has its own `load` while the file has a `population`",
                "use one or the other",
            );
        }
        return share.map(|share| closed_population(&share));
    }
    for (key, at) in [
        ("weight", s.weight.as_ref().map(|w| w.at)),
        ("wait", s.wait.as_ref().map(|w| w.at)),
    ] {
        if let Some(at) = at {
            ctx.error_hint::<()>(
                at,
                format!("`{key}` needs a top-level `population`"),
                "Locust-style weights and waits apply to a shared population",
            );
        }
    }
    let Some(load) = &s.load else {
        return ctx.error_hint(
            s.name.at,
            format!("scenario `{}` has no load", s.name.value),
            LOAD_HINT,
        );
    };
    steps(ctx, load)
}

fn steps(ctx: &mut Ctx<'_>, load: &Spanned<Vec<Checked<Spanned<LoadStep>>>>) -> Option<Load> {
    let items: Vec<&Spanned<LoadStep>> = valid(&load.value).collect();
    if items.len() < load.value.len() && items.is_empty() {
        return None;
    }
    let Some(first) = items.first() else {
        return ctx.error_hint(load.at, "`load` is empty", LOAD_HINT);
    };
    if is_closed(&first.value) {
        let steps = all(items, |step| match &step.value {
            LoadStep::IncrementConcurrentUsers(s) => staircase::users(ctx, s, step.at),
            _ => closed(ctx, step).map(|s| vec![s]),
        });
        steps.map(|s| Load::Closed(s.concat()))
    } else {
        let steps = all(items, |step| match &step.value {
            LoadStep::IncrementUsersPerSec(s) => staircase::rates(ctx, s, step.at),
            _ => open(ctx, step).map(|s| vec![s]),
        });
        steps.map(|s| Load::Open(s.concat()))
    }
}

fn is_closed(step: &LoadStep) -> bool {
    matches!(
        step,
        LoadStep::ConstantConcurrentUsers(_)
            | LoadStep::RampConcurrentUsers(_)
            | LoadStep::IncrementConcurrentUsers(_)
    )
}

fn nonzero(ctx: &mut Ctx<'_>, during: Dur, at: Option<crate::error::Pos>) -> Option<Duration> {
    if during.0.is_zero() {
        return ctx.error_hint(
            at,
            "`during` must be longer than zero",
            "such as 10s or 1m; to start users at once, use `at_once_users`",
        );
    }
    Some(during.0)
}

fn open(ctx: &mut Ctx<'_>, step: &Spanned<LoadStep>) -> Option<OpenStep> {
    let at = step.at;
    match &step.value {
        LoadStep::NothingFor(d) => Some(OpenStep::NothingFor(d.0)),
        LoadStep::AtOnceUsers(n) => ctx.positive(n, "`at_once_users`").map(OpenStep::AtOnce),
        LoadStep::RampUsers(u) => {
            let users = ctx.positive(&u.users, "`users`");
            Some(OpenStep::Ramp {
                users: users?,
                during: nonzero(ctx, u.during, at)?,
            })
        }
        LoadStep::StressPeakUsers(u) => {
            let users = ctx.positive(&u.users, "`users`");
            Some(OpenStep::StressPeak {
                users: users?,
                during: nonzero(ctx, u.during, at)?,
            })
        }
        LoadStep::ConstantUsersPerSec(r) => {
            let rate = ctx.above_zero(&r.rate, "`rate`");
            Some(OpenStep::ConstantRate {
                rate: rate?,
                during: nonzero(ctx, r.during, at)?,
                randomized: r.randomized,
            })
        }
        LoadStep::RampUsersPerSec(r) => ramp_rate(ctx, r, at),
        LoadStep::ConstantConcurrentUsers(_)
        | LoadStep::RampConcurrentUsers(_)
        | LoadStep::IncrementConcurrentUsers(_)
        | LoadStep::IncrementUsersPerSec(_) => mixed(ctx, at),
    }
}

fn ramp_rate(
    ctx: &mut Ctx<'_>,
    r: &raw::load::RampRate,
    at: Option<crate::error::Pos>,
) -> Option<OpenStep> {
    let from = ctx.not_negative(&r.from, "`from`");
    let to = ctx.not_negative(&r.to, "`to`");
    let (from, to) = (from?, to?);
    if from == 0.0 && to == 0.0 {
        return ctx.error_hint(
            at,
            "a rate ramp from 0 to 0 starts nobody",
            "use `nothing_for` to wait",
        );
    }
    Some(OpenStep::RampRate {
        from,
        to,
        during: nonzero(ctx, r.during, at)?,
        randomized: r.randomized,
    })
}

fn closed(ctx: &mut Ctx<'_>, step: &Spanned<LoadStep>) -> Option<ClosedStep> {
    let at = step.at;
    match &step.value {
        LoadStep::ConstantConcurrentUsers(u) => {
            let users = ctx.count(&u.users, "`users`");
            Some(ClosedStep::Constant {
                users: users?,
                during: nonzero(ctx, u.during, at)?,
            })
        }
        LoadStep::RampConcurrentUsers(r) => {
            let from = ctx.count(&r.from, "`from`");
            let to = ctx.count(&r.to, "`to`");
            Some(ClosedStep::Ramp {
                from: from?,
                to: to?,
                during: nonzero(ctx, r.during, at)?,
            })
        }
        _ => mixed(ctx, at),
    }
}

fn mixed<T>(ctx: &mut Ctx<'_>, at: Option<crate::error::Pos>) -> Option<T> {
    ctx.error_hint(
        at,
        "open-model and closed-model load steps are mixed in one scenario",
        "open steps (at_once_users, ramp_users, constant_users_per_sec, ramp_users_per_sec, stress_peak_users, nothing_for) and closed steps (constant_concurrent_users, ramp_concurrent_users) cannot be combined; split them into two scenarios",
    )
}

pub(crate) fn throttle(
    ctx: &mut Ctx<'_>,
    steps: &[Checked<Throttle>],
) -> Option<Vec<ThrottleStep>> {
    all(steps.iter().filter_map(Checked::valid), |step| match step {
        Throttle::ReachRps(r) => ctx
            .above_zero(&r.rps, "`rps`")
            .map(|rps| ThrottleStep::Reach {
                rps,
                within: r.within.0,
            }),
        Throttle::JumpToRps(rps) => ctx
            .above_zero(rps, "`jump_to_rps`")
            .map(|rps| ThrottleStep::Jump { rps }),
        Throttle::HoldFor(d) => Some(ThrottleStep::Hold(d.0)),
    })
}

/// Splits the population among the scenarios by weight (largest remainder).
pub(crate) fn population_shares(
    ctx: &mut Ctx<'_>,
    population: &Spanned<Population>,
    scenarios: &[Checked<Spanned<raw::Scenario>>],
) -> Option<Vec<Share>> {
    let p = &population.value;
    let users = ctx.positive(&p.users, "`users`");
    let rate = ctx.above_zero(&p.spawn_rate, "`spawn_rate`");
    let weights = all(valid(scenarios), |s| match &s.value.weight {
        Some(w) => ctx.above_zero(w, "`weight`"),
        None => Some(1.0),
    });
    let (users, rate, weights) = (users?.get(), rate?, weights?);
    let total = p.during.0;
    let ramp = Duration::from_secs_f64(f64::from(users) / rate).min(total);
    Some(
        split(users, &weights)
            .into_iter()
            .map(|n| Share {
                users: n,
                ramp,
                total,
            })
            .collect(),
    )
}

fn split(users: u32, weights: &[f64]) -> Vec<u32> {
    let sum: f64 = weights.iter().sum();
    let exact: Vec<f64> = weights.iter().map(|w| f64::from(users) * w / sum).collect();
    let mut shares: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|a, b| {
        (exact[*b] - exact[*b].floor()).total_cmp(&(exact[*a] - exact[*a].floor()))
    });
    let missing = users.saturating_sub(shares.iter().sum());
    for index in order.into_iter().take(missing as usize) {
        shares[index] += 1;
    }
    shares
}

fn closed_population(share: &Share) -> Load {
    let mut steps = Vec::new();
    if !share.ramp.is_zero() {
        steps.push(ClosedStep::Ramp {
            from: 0,
            to: share.users,
            during: share.ramp,
        });
    }
    let rest = share.total.saturating_sub(share.ramp);
    if !rest.is_zero() {
        steps.push(ClosedStep::Constant {
            users: share.users,
            during: rest,
        });
    }
    Load::Closed(steps)
}

/// A Locust user: repeat the steps forever, waiting after (or pacing) each pass.
pub(crate) fn locust_loop(
    ctx: &mut Ctx<'_>,
    mut steps: Vec<Step>,
    wait: Option<&Spanned<Wait>>,
) -> Option<Vec<Step>> {
    match wait.map(|w| wait_step(ctx, w)) {
        None => {}
        Some(None) => return None,
        Some(Some(Step::Pace(pace))) => steps.insert(0, Step::Pace(pace)),
        Some(Some(step)) => steps.push(step),
    }
    Some(vec![Step::Forever {
        counter: None,
        steps,
    }])
}

fn wait_step(ctx: &mut Ctx<'_>, wait: &Spanned<Wait>) -> Option<Step> {
    let map = match &wait.value {
        ScalarOr::Scalar(d) => return Some(Step::Pause(Pause::Fixed(d.0))),
        ScalarOr::Map(map) => map,
    };
    match map {
        WaitMap {
            constant: Some(d),
            between: None,
            pacing: None,
        } => Some(Step::Pause(Pause::Fixed(d.0))),
        WaitMap {
            constant: None,
            between: Some((a, b)),
            pacing: None,
        } if a.0 <= b.0 => Some(Step::Pause(Pause::Uniform { min: a.0, max: b.0 })),
        WaitMap {
            constant: None,
            between: Some(_),
            pacing: None,
        } => ctx.error(
            wait.at,
            "`between` must go from the shorter duration to the longer",
        ),
        WaitMap {
            constant: None,
            between: None,
            pacing: Some(d),
        } => Some(Step::Pace(Pause::Fixed(d.0))),
        _ => ctx.error_hint(
            wait.at,
            "`wait` needs exactly one of `constant`, `between` and `pacing`",
            "for example `wait: {between: [1s, 3s]}`",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn population_split_is_exact() {
        assert_eq!(split(10, &[3.0, 1.0]), vec![8, 2]);
        assert_eq!(split(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(split(1, &[1.0, 1.0]).iter().sum::<u32>(), 1);
    }
}
