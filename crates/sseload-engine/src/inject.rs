//! Injection: when users start. The open model turns a profile into arrival
//! offsets from the start of the run, computed from the clock alone, so a
//! slow system under test never delays an arrival. The closed model is a
//! target number of concurrent users over time. A [`Shard`] keeps its
//! stripe of either: every `n`-th arrival, its share of the target.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sseload_scenario::{ClosedStep, OpenStep};

use crate::shard::Shard;

/// Arrival offsets of an open profile, in order, scaled by `scale`: the
/// `shard`'s stripe of them.
pub(crate) fn arrivals(
    steps: &[OpenStep],
    scale: f64,
    seed: u64,
    shard: Shard,
) -> impl Iterator<Item = Duration> {
    whole_arrivals(steps, scale, seed)
        .enumerate()
        .filter_map(move |(j, offset)| shard.takes(j as u64).then_some(offset))
}

/// Arrival offsets of the whole open profile, every shard's.
fn whole_arrivals(steps: &[OpenStep], scale: f64, seed: u64) -> impl Iterator<Item = Duration> {
    let mut start = Duration::ZERO;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut all = Vec::with_capacity(steps.len());
    for step in steps {
        let offsets = step_arrivals(step, scale, rng.random());
        all.push(offsets.map(move |offset| start + offset));
        start += open_step_duration(step);
    }
    all.into_iter().flatten()
}

/// How long an open step lasts.
pub(crate) fn open_step_duration(step: &OpenStep) -> Duration {
    match step {
        OpenStep::NothingFor(d) => *d,
        OpenStep::AtOnce(_) => Duration::ZERO,
        OpenStep::Ramp { during, .. }
        | OpenStep::ConstantRate { during, .. }
        | OpenStep::RampRate { during, .. }
        | OpenStep::StressPeak { during, .. } => *during,
    }
}

/// How long a closed step lasts.
pub(crate) fn closed_step_duration(step: &ClosedStep) -> Duration {
    match step {
        ClosedStep::Constant { during, .. } | ClosedStep::Ramp { during, .. } => *during,
    }
}

/// A scaled user count: rounded, but never scaled down to nobody.
fn scaled(users: u32, scale: f64) -> u64 {
    let n = (f64::from(users) * scale).round() as u64;
    if users > 0 { n.max(1) } else { 0 }
}

/// The arrival offsets of one step, from the step's start.
fn step_arrivals(
    step: &OpenStep,
    scale: f64,
    seed: u64,
) -> Box<dyn Iterator<Item = Duration> + Send> {
    match *step {
        OpenStep::NothingFor(_) => Box::new(std::iter::empty()),
        OpenStep::AtOnce(users) => {
            Box::new((0..scaled(users.get(), scale)).map(|_| Duration::ZERO))
        }
        OpenStep::Ramp { users, during } => {
            let n = scaled(users.get(), scale);
            Box::new((0..n).map(move |i| during.mul_f64(i as f64 / n as f64)))
        }
        OpenStep::ConstantRate {
            rate,
            during,
            randomized,
        } => rate_arrivals(rate * scale, rate * scale, during, randomized, seed),
        OpenStep::RampRate {
            from,
            to,
            during,
            randomized,
        } => rate_arrivals(from * scale, to * scale, during, randomized, seed),
        OpenStep::StressPeak { users, during } => {
            let n = scaled(users.get(), scale);
            Box::new((0..n).map(move |i| during.mul_f64(inverse_smooth_step(i as f64 / n as f64))))
        }
    }
}

/// Arrivals at a rate moving linearly from `from` to `to` users per second.
///
/// Deterministic: arrival `i` is at the time the expected count reaches `i`.
/// Randomized: a Poisson process with that rate (thinning).
fn rate_arrivals(
    from: f64,
    to: f64,
    during: Duration,
    randomized: bool,
    seed: u64,
) -> Box<dyn Iterator<Item = Duration> + Send> {
    let total = during.as_secs_f64();
    if randomized {
        return Box::new(poisson(from, to, total, seed));
    }
    let expected = (from + to) / 2.0 * total;
    let n = (expected + 1e-9).floor() as u64;
    Box::new((0..n).map(move |i| Duration::from_secs_f64(time_of_count(from, to, total, i as f64))))
}

/// The time at which `from·t + (to−from)·t²/(2·total)` reaches `count`.
pub(crate) fn time_of_count(from: f64, to: f64, total: f64, count: f64) -> f64 {
    let a = (to - from) / (2.0 * total);
    if a.abs() < 1e-12 {
        return count / from;
    }
    let disc = (from * from + 4.0 * a * count).max(0.0);
    ((-from + disc.sqrt()) / (2.0 * a)).clamp(0.0, total)
}

fn poisson(from: f64, to: f64, total: f64, seed: u64) -> impl Iterator<Item = Duration> + Send {
    let peak = from.max(to);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut t = 0.0_f64;
    std::iter::from_fn(move || {
        if peak <= 0.0 {
            return None;
        }
        loop {
            let u: f64 = rng.random::<f64>();
            t += -(1.0 - u).ln() / peak;
            if t >= total {
                return None;
            }
            let rate = from + (to - from) * t / total;
            if rng.random::<f64>() * peak <= rate {
                return Some(Duration::from_secs_f64(t));
            }
        }
    })
}

/// The fraction of the step's duration at which a fraction `y` of the users
/// has started, for a logistic step centred mid-way.
fn inverse_smooth_step(y: f64) -> f64 {
    let f = |x: f64| {
        let raw = |x: f64| 1.0 / (1.0 + (-12.0 * (x - 0.5)).exp());
        (raw(x) - raw(0.0)) / (raw(1.0) - raw(0.0))
    };
    let (mut low, mut high) = (0.0, 1.0);
    for _ in 0..50 {
        let mid = (low + high) / 2.0;
        if f(mid) < y { low = mid } else { high = mid }
    }
    low
}

/// The `shard`'s share of the closed model's target number of users
/// `elapsed` into the profile (`None` once the profile is over).
pub(crate) fn closed_target(
    steps: &[ClosedStep],
    scale: f64,
    elapsed: Duration,
    shard: Shard,
) -> Option<u64> {
    whole_closed_target(steps, scale, elapsed).map(|target| shard.share(target))
}

/// The largest target of a closed profile, for `shard` (targets move
/// linearly within a step, so the largest is at a step's edge).
pub(crate) fn closed_peak(steps: &[ClosedStep], scale: f64, shard: Shard) -> u64 {
    let edge = |users: u32| shard.share((f64::from(users) * scale).round() as u64);
    steps
        .iter()
        .map(|step| match *step {
            ClosedStep::Constant { users, .. } => shard.share(scaled(users, scale)),
            ClosedStep::Ramp { from, to, .. } => edge(from.max(to)),
        })
        .max()
        .unwrap_or(0)
}

/// The closed model's target number of users over every shard.
fn whole_closed_target(steps: &[ClosedStep], scale: f64, elapsed: Duration) -> Option<u64> {
    let mut start = Duration::ZERO;
    for step in steps {
        let end = start + closed_step_duration(step);
        if elapsed < end {
            let within = (elapsed - start).as_secs_f64() / closed_step_duration(step).as_secs_f64();
            return Some(match *step {
                ClosedStep::Constant { users, .. } => scaled(users, scale),
                ClosedStep::Ramp { from, to, .. } => {
                    let users = f64::from(from) + (f64::from(to) - f64::from(from)) * within;
                    (users * scale).round() as u64
                }
            });
        }
        start = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn constant_rate_gives_rate_times_duration_arrivals_evenly_spaced() {
        let step = OpenStep::ConstantRate {
            rate: 200.0,
            during: secs(10.0),
            randomized: false,
        };
        let all: Vec<_> = arrivals(&[step], 1.0, 1, Shard::WHOLE).collect();
        assert_eq!(all.len(), 2000);
        assert_eq!(all[1], secs(0.005));
        assert!(all[1999] < secs(10.0));
    }

    #[test]
    fn steps_follow_one_another_and_scale_applies() {
        let steps = [
            OpenStep::NothingFor(secs(2.0)),
            OpenStep::AtOnce(NonZeroU32::new(3).unwrap()),
            OpenStep::Ramp {
                users: NonZeroU32::new(10).unwrap(),
                during: secs(10.0),
            },
        ];
        let all: Vec<_> = arrivals(&steps, 0.5, 1, Shard::WHOLE).collect();
        assert_eq!(all.len(), 2 + 5);
        assert_eq!(all[0], secs(2.0));
        assert_eq!(all[2], secs(2.0));
        assert_eq!(all[3], secs(4.0));
        assert_eq!(all[6], secs(10.0));
    }

    #[test]
    fn ramp_rate_integrates_the_rate() {
        let step = OpenStep::RampRate {
            from: 0.0,
            to: 20.0,
            during: secs(10.0),
            randomized: false,
        };
        let all: Vec<_> = arrivals(&[step], 1.0, 1, Shard::WHOLE).collect();
        assert_eq!(all.len(), 100);
        // Half the users arrive in the last 30 % of the time (area of a triangle).
        let late = all
            .iter()
            .filter(|t| **t >= secs(10.0 * 0.5_f64.sqrt()))
            .count();
        assert!((49..=51).contains(&late), "{late}");
    }

    #[test]
    fn poisson_arrivals_average_the_rate() {
        let step = OpenStep::ConstantRate {
            rate: 100.0,
            during: secs(100.0),
            randomized: true,
        };
        let n = arrivals(&[step], 1.0, 7, Shard::WHOLE).count();
        assert!((9_700..=10_300).contains(&n), "{n}");
    }

    #[test]
    fn stress_peak_starts_every_user_within_the_step() {
        let step = OpenStep::StressPeak {
            users: NonZeroU32::new(100).unwrap(),
            during: secs(10.0),
        };
        let all: Vec<_> = arrivals(&[step], 1.0, 1, Shard::WHOLE).collect();
        assert_eq!(all.len(), 100);
        assert!(all.windows(2).all(|w| w[0] <= w[1]));
        let middle = all
            .iter()
            .filter(|t| **t >= secs(3.0) && **t <= secs(7.0))
            .count();
        assert!(middle > 70, "{middle}");
    }

    #[test]
    fn closed_target_ramps_then_holds_then_ends() {
        let steps = [
            ClosedStep::Ramp {
                from: 0,
                to: 10,
                during: secs(10.0),
            },
            ClosedStep::Constant {
                users: 10,
                during: secs(5.0),
            },
        ];
        assert_eq!(closed_target(&steps, 1.0, secs(5.0), Shard::WHOLE), Some(5));
        assert_eq!(
            closed_target(&steps, 2.0, secs(12.0), Shard::WHOLE),
            Some(20)
        );
        assert_eq!(
            closed_target(&steps, 0.01, secs(12.0), Shard::WHOLE),
            Some(1),
            "never scaled to nobody"
        );
        assert_eq!(closed_target(&steps, 1.0, secs(15.0), Shard::WHOLE), None);
        assert_eq!(closed_peak(&steps, 1.0, Shard::WHOLE), 10);
        assert_eq!(closed_peak(&steps, 3.0, Shard::new(1, 4).unwrap()), 8);
    }

    fn every_profile() -> Vec<OpenStep> {
        vec![
            OpenStep::AtOnce(NonZeroU32::new(7).unwrap()),
            OpenStep::Ramp {
                users: NonZeroU32::new(20).unwrap(),
                during: secs(3.0),
            },
            OpenStep::ConstantRate {
                rate: 33.0,
                during: secs(2.0),
                randomized: true,
            },
            OpenStep::RampRate {
                from: 5.0,
                to: 50.0,
                during: secs(4.0),
                randomized: false,
            },
            OpenStep::StressPeak {
                users: NonZeroU32::new(41).unwrap(),
                during: secs(2.0),
            },
        ]
    }

    #[test]
    fn shards_together_start_exactly_the_whole_profile_spread_through_time() {
        let steps = every_profile();
        let whole: Vec<_> = arrivals(&steps, 1.0, 3, Shard::WHOLE).collect();
        let mut together: Vec<Duration> = Vec::new();
        for i in 1..=3 {
            let shard = Shard::new(i, 3).unwrap();
            let mine: Vec<_> = arrivals(&steps, 1.0, 3, shard).collect();
            assert_eq!(mine.len() as u64, shard.share(whole.len() as u64));
            // Spread: each shard's last arrival is near the profile's end.
            assert!(*mine.last().unwrap() >= *whole.last().unwrap() - secs(0.5));
            together.extend(mine);
        }
        together.sort();
        assert_eq!(together, whole);
    }

    #[test]
    fn closed_targets_split_exactly() {
        let steps = [ClosedStep::Ramp {
            from: 0,
            to: 100,
            during: secs(10.0),
        }];
        for t in 0..100 {
            let at = secs(f64::from(t) / 10.0);
            let whole = closed_target(&steps, 1.0, at, Shard::WHOLE).unwrap();
            let split: u64 = (1..=7)
                .map(|i| closed_target(&steps, 1.0, at, Shard::new(i, 7).unwrap()).unwrap())
                .sum();
            assert_eq!(split, whole, "at {at:?}");
        }
    }
}
