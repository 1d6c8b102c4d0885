//! Injection steps and throttling, as Gatling writes them:
//! `ramp_users(10).during(d)`, `constant_users_per_sec(5.0).during(d).randomized()`.

use std::time::Duration;

use super::spanned;
use crate::raw::Dur;
use crate::raw::load::{self as rl, LoadStep as Raw};

/// One injection step.
#[derive(Debug, Clone)]
pub struct LoadStep(pub(super) Raw);

/// Open: wait before the next step.
pub fn nothing_for(duration: Duration) -> LoadStep {
    LoadStep(Raw::NothingFor(Dur(duration)))
}

/// Open: start `users` at once.
pub fn at_once_users(users: i64) -> LoadStep {
    LoadStep(Raw::AtOnceUsers(spanned(users)))
}

/// A number of users, waiting for its duration.
#[derive(Debug, Clone, Copy)]
pub struct Users {
    users: i64,
    make: fn(rl::UsersDuring) -> Raw,
}

impl Users {
    /// Over `duration`.
    pub fn during(self, duration: Duration) -> LoadStep {
        LoadStep((self.make)(rl::UsersDuring {
            users: spanned(self.users),
            during: Dur(duration),
        }))
    }
}

/// Open: start `users` spread evenly over a duration.
pub fn ramp_users(users: i64) -> Users {
    Users {
        users,
        make: Raw::RampUsers,
    }
}

/// Open: start `users` along a smoothed step over a duration.
pub fn stress_peak_users(users: i64) -> Users {
    Users {
        users,
        make: Raw::StressPeakUsers,
    }
}

/// Closed: keep `users` running for a duration.
pub fn constant_concurrent_users(users: i64) -> Users {
    Users {
        users,
        make: Raw::ConstantConcurrentUsers,
    }
}

/// An arrival rate, waiting for its duration.
#[derive(Debug, Clone, Copy)]
pub struct Rate(f64);

/// Open: start users at `rate` per second.
pub fn constant_users_per_sec(rate: f64) -> Rate {
    Rate(rate)
}

impl Rate {
    /// For `duration`.
    pub fn during(self, duration: Duration) -> RateStep {
        RateStep(Raw::ConstantUsersPerSec(rl::RateDuring {
            rate: spanned(self.0),
            during: Dur(duration),
            randomized: false,
        }))
    }
}

/// A rate ramp, waiting for its end rate and duration.
#[derive(Debug, Clone, Copy)]
pub struct RampRate {
    from: f64,
    to: f64,
}

/// Open: a rate going linearly from `from` per second…
pub fn ramp_users_per_sec(from: f64) -> RampRate {
    RampRate { from, to: from }
}

impl RampRate {
    /// …to `to` per second…
    pub fn to(mut self, to: f64) -> Self {
        self.to = to;
        self
    }

    /// …over `duration`.
    pub fn during(self, duration: Duration) -> RateStep {
        RateStep(Raw::RampUsersPerSec(rl::RampRate {
            from: spanned(self.from),
            to: spanned(self.to),
            during: Dur(duration),
            randomized: false,
        }))
    }
}

/// An arrival-rate step, which may be randomized.
#[derive(Debug, Clone)]
pub struct RateStep(Raw);

impl RateStep {
    /// Poisson arrivals instead of evenly spaced ones.
    pub fn randomized(mut self) -> Self {
        match &mut self.0 {
            Raw::ConstantUsersPerSec(r) => r.randomized = true,
            Raw::RampUsersPerSec(r) => r.randomized = true,
            _ => {}
        }
        self
    }
}

impl From<RateStep> for LoadStep {
    fn from(step: RateStep) -> Self {
        Self(step.0)
    }
}

/// A ramp of concurrent users, waiting for its end and duration.
#[derive(Debug, Clone, Copy)]
pub struct RampConcurrent {
    from: i64,
    to: i64,
}

/// Closed: move the number of running users from `from`…
pub fn ramp_concurrent_users(from: i64) -> RampConcurrent {
    RampConcurrent { from, to: from }
}

impl RampConcurrent {
    /// …to `to`…
    pub fn to(mut self, to: i64) -> Self {
        self.to = to;
        self
    }

    /// …over `duration`.
    pub fn during(self, duration: Duration) -> LoadStep {
        LoadStep(Raw::RampConcurrentUsers(rl::RampConcurrent {
            from: spanned(self.from),
            to: spanned(self.to),
            during: Dur(duration),
        }))
    }
}

/// One step of a request-rate cap.
#[derive(Debug, Clone)]
pub struct ThrottleStep(pub(super) rl::Throttle);

/// Raises the cap linearly to `rps` over `within`.
pub fn reach_rps(rps: f64, within: Duration) -> ThrottleStep {
    ThrottleStep(rl::Throttle::ReachRps(rl::ReachRps {
        rps: spanned(rps),
        within: Dur(within),
    }))
}

/// Sets the cap at once.
pub fn jump_to_rps(rps: f64) -> ThrottleStep {
    ThrottleStep(rl::Throttle::JumpToRps(spanned(rps)))
}

/// Keeps the cap for `duration`.
pub fn hold_for(duration: Duration) -> ThrottleStep {
    ThrottleStep(rl::Throttle::HoldFor(Dur(duration)))
}

/// The level count and timing methods both staircases share.
macro_rules! staircase_parts {
    () => {
        /// How many levels.
        pub fn times(mut self, times: i64) -> Self {
            self.0.times = spanned(times);
            self
        }

        /// How long each level lasts.
        pub fn each_level_lasting(mut self, duration: Duration) -> Self {
            self.0.each_level_lasting = Dur(duration);
            self
        }

        /// A linear ramp of this long between levels.
        pub fn separated_by_ramps_lasting(mut self, duration: Duration) -> Self {
            self.0.separated_by_ramps_lasting = Some(Dur(duration));
            self
        }
    };
}

/// Open: arrival-rate levels, each `increment` users per second above the
/// last (Gatling's `incrementUsersPerSec`); set `times` and
/// `each_level_lasting`.
pub fn increment_users_per_sec(increment: f64) -> IncrementRate {
    IncrementRate(rl::RateStaircase {
        increment: spanned(increment),
        times: spanned(1),
        each_level_lasting: Dur(Duration::ZERO),
        separated_by_ramps_lasting: None,
        starting_from: None,
    })
}

/// Rate levels being described.
#[derive(Debug, Clone)]
pub struct IncrementRate(rl::RateStaircase);

impl IncrementRate {
    staircase_parts!();

    /// The first level's rate.
    pub fn starting_from(mut self, rate: f64) -> Self {
        self.0.starting_from = Some(spanned(rate));
        self
    }
}

impl From<IncrementRate> for LoadStep {
    fn from(step: IncrementRate) -> Self {
        Self(Raw::IncrementUsersPerSec(step.0))
    }
}

/// Closed: levels of concurrent users, each `increment` above the last
/// (Gatling's `incrementConcurrentUsers`); set `times` and `each_level_lasting`.
pub fn increment_concurrent_users(increment: i64) -> IncrementUsers {
    IncrementUsers(rl::UsersStaircase {
        increment: spanned(increment),
        times: spanned(1),
        each_level_lasting: Dur(Duration::ZERO),
        separated_by_ramps_lasting: None,
        starting_from: None,
    })
}

/// Concurrent-user levels being described.
#[derive(Debug, Clone)]
pub struct IncrementUsers(rl::UsersStaircase);

impl IncrementUsers {
    staircase_parts!();

    /// The first level's number of users.
    pub fn starting_from(mut self, users: i64) -> Self {
        self.0.starting_from = Some(spanned(users));
        self
    }
}

impl From<IncrementUsers> for LoadStep {
    fn from(step: IncrementUsers) -> Self {
        Self(Raw::IncrementConcurrentUsers(step.0))
    }
}
