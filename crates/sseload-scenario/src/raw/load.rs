//! Load as written: injection steps, throttling, and the Locust-style
//! population with its wait times.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Dur;
use crate::yaml::{ScalarOr, Spanned};

/// One injection step. Open-model and closed-model steps cannot be mixed in
/// one scenario.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum LoadStep {
    /// Open: wait before the next step.
    NothingFor(Dur),
    /// Open: start this many users at once.
    AtOnceUsers(Spanned<i64>),
    /// Open: start `users` spread evenly over `during`.
    RampUsers(UsersDuring),
    /// Open: start users at `rate` per second for `during`.
    ConstantUsersPerSec(RateDuring),
    /// Open: a rate going linearly from `from` to `to` per second over `during`.
    RampUsersPerSec(RampRate),
    /// Open: `users` following a smoothed step (Heaviside) over `during`.
    StressPeakUsers(UsersDuring),
    /// Open: arrival-rate levels, each `increment` above the last (Gatling's meta DSL).
    IncrementUsersPerSec(RateStaircase),
    /// Closed: levels of concurrent users, each `increment` above the last.
    IncrementConcurrentUsers(UsersStaircase),
    /// Closed: keep `users` running for `during`.
    ConstantConcurrentUsers(UsersDuring),
    /// Closed: move the number of running users from `from` to `to` over `during`.
    RampConcurrentUsers(RampConcurrent),
}

/// A number of users and a duration.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsersDuring {
    /// How many users.
    pub(crate) users: Spanned<i64>,
    /// Over how long.
    pub(crate) during: Dur,
}

/// An arrival rate held for a duration.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateDuring {
    /// Users started per second (may be fractional).
    pub(crate) rate: Spanned<f64>,
    /// For how long.
    pub(crate) during: Dur,
    /// Poisson arrivals (exponential gaps) instead of evenly spaced ones.
    #[serde(default)]
    pub(crate) randomized: bool,
}

/// A linear ramp of the arrival rate.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RampRate {
    /// Users per second at the start.
    pub(crate) from: Spanned<f64>,
    /// Users per second at the end.
    pub(crate) to: Spanned<f64>,
    /// Over how long.
    pub(crate) during: Dur,
    /// Poisson arrivals around the ramping rate.
    #[serde(default)]
    pub(crate) randomized: bool,
}

/// Rate levels: `starting_from`, then `increment` more each level, `times`
/// levels in all, each held for `each_level_lasting`, with linear ramps of
/// `separated_by_ramps_lasting` between them.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RateStaircase {
    /// Users per second added at each level.
    pub(crate) increment: Spanned<f64>,
    /// How many levels.
    pub(crate) times: Spanned<i64>,
    /// How long each level lasts.
    pub(crate) each_level_lasting: Dur,
    /// How long the ramp between two levels lasts (none by default).
    #[serde(default)]
    pub(crate) separated_by_ramps_lasting: Option<Dur>,
    /// Users per second of the first level (0 by default).
    #[serde(default)]
    pub(crate) starting_from: Option<Spanned<f64>>,
}

/// Concurrent-user levels, as [`RateStaircase`] for the closed model.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsersStaircase {
    /// Users added at each level.
    pub(crate) increment: Spanned<i64>,
    /// How many levels.
    pub(crate) times: Spanned<i64>,
    /// How long each level lasts.
    pub(crate) each_level_lasting: Dur,
    /// How long the ramp between two levels lasts (none by default).
    #[serde(default)]
    pub(crate) separated_by_ramps_lasting: Option<Dur>,
    /// Users of the first level (0 by default).
    #[serde(default)]
    pub(crate) starting_from: Option<Spanned<i64>>,
}

/// A ramp of the number of concurrent users.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RampConcurrent {
    /// Running users at the start.
    pub(crate) from: Spanned<i64>,
    /// Running users at the end.
    pub(crate) to: Spanned<i64>,
    /// Over how long.
    pub(crate) during: Dur,
}

/// One throttling step: the request rate cap moves through these in order.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Throttle {
    /// Raise the cap linearly to `rps` over `in`.
    ReachRps(ReachRps),
    /// Set the cap to this many requests per second at once.
    JumpToRps(Spanned<f64>),
    /// Keep the current cap for this long.
    HoldFor(Dur),
}

/// A ramp of the request-rate cap.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReachRps {
    /// Requests per second to reach.
    pub(crate) rps: Spanned<f64>,
    /// Over how long.
    #[serde(rename = "in")]
    pub(crate) within: Dur,
}

/// Locust-style load: a closed population, spawned at a rate, split among
/// the scenarios by their `weight`, each user repeating its steps.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Population {
    /// How many users in all.
    pub(crate) users: Spanned<i64>,
    /// Users started per second until all run.
    pub(crate) spawn_rate: Spanned<f64>,
    /// How long the run lasts, spawning included.
    pub(crate) during: Dur,
}

/// Wait after each pass through a Locust-style scenario's steps.
pub(crate) type Wait = ScalarOr<Dur, WaitMap>;

/// The wait-time forms.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WaitMap {
    /// Always this long (Locust `constant`).
    #[serde(default)]
    pub(crate) constant: Option<Dur>,
    /// Uniformly between two durations (Locust `between`).
    #[serde(default)]
    pub(crate) between: Option<(Dur, Dur)>,
    /// Start each pass this long after the previous one started (Locust `constant_pacing`).
    #[serde(default)]
    pub(crate) pacing: Option<Dur>,
}
