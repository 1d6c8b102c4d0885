//! How users arrive, and request-rate caps.

use std::num::NonZeroU32;
use std::time::Duration;

/// A scenario's injection profile: open (arrival rates, never waiting on
/// the system under test) or closed (a number of concurrent users).
#[derive(Debug, Clone, PartialEq)]
pub enum Load {
    /// Open model: the steps run one after another.
    Open(Vec<OpenStep>),
    /// Closed model: the steps run one after another.
    Closed(Vec<ClosedStep>),
}

/// One open-model step.
#[derive(Debug, Clone, PartialEq)]
pub enum OpenStep {
    /// Start nobody for this long.
    NothingFor(Duration),
    /// Start this many users at once.
    AtOnce(NonZeroU32),
    /// Start `users` spread evenly over `during`.
    Ramp {
        /// How many.
        users: NonZeroU32,
        /// Over how long (not zero).
        during: Duration,
    },
    /// Start users at `rate` per second for `during`.
    ConstantRate {
        /// Users per second: finite, above zero.
        rate: f64,
        /// For how long (not zero).
        during: Duration,
        /// Poisson arrivals.
        randomized: bool,
    },
    /// A rate moving linearly from `from` to `to` per second.
    RampRate {
        /// Users per second at the start (finite, not negative).
        from: f64,
        /// Users per second at the end (finite, not negative).
        to: f64,
        /// Over how long (not zero).
        during: Duration,
        /// Poisson arrivals.
        randomized: bool,
    },
    /// `users` started along a smoothed step over `during`.
    StressPeak {
        /// How many.
        users: NonZeroU32,
        /// Over how long (not zero).
        during: Duration,
    },
}

/// One closed-model step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClosedStep {
    /// Keep `users` running for `during`.
    Constant {
        /// How many.
        users: u32,
        /// For how long (not zero).
        during: Duration,
    },
    /// Move the number of running users from `from` to `to` over `during`.
    Ramp {
        /// At the start.
        from: u32,
        /// At the end.
        to: u32,
        /// Over how long (not zero).
        during: Duration,
    },
}

/// One step of a request-rate cap.
#[derive(Debug, Clone, PartialEq)]
pub enum ThrottleStep {
    /// Raise the cap linearly to `rps` over `within`.
    Reach {
        /// Requests per second.
        rps: f64,
        /// Over how long.
        within: Duration,
    },
    /// Set the cap at once.
    Jump {
        /// Requests per second.
        rps: f64,
    },
    /// Keep the cap for this long.
    Hold(Duration),
}
