//! The validated, typed plan an engine runs: no strings left to parse,
//! templates and queries compiled, names resolved.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::expr::{VarId, Vars};

mod assertion;
mod check;
mod feeder;
mod load;
mod step;

pub use assertion::{Assertion, Bound, Condition, Metric, Scope, Statistic, Threshold};
pub use check::{
    Compiled, Criterion, Expected, Extractor, Field, Find, JmesPath, JsonPath, MessageCheck, Query,
    Regex, Sequence, Source, Transform, Validator,
};
pub use feeder::{FeedCursor, FeedError, FeedStrategy, Feeder, FeederId};
pub use load::{ClosedStep, Load, OpenStep, ThrottleStep};
pub use step::{
    Body, Branch, DEFAULT_STREAM, Header, Pause, Reconnect, Request, SseAwait, SseClose,
    SseConnect, SseListen, Step, TimeUnit, Timestamp, Unmatched,
};

/// A validated load test, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The run's name.
    pub name: String,
    /// Where the traffic goes.
    pub target: Target,
    /// Request defaults.
    pub http: HttpDefaults,
    /// Stop the run after this long, if set.
    pub max_duration: Option<Duration>,
    /// The global request-rate cap, in steps (empty: no cap).
    pub throttle: Vec<ThrottleStep>,
    /// The feeders, indexed by [`FeederId`].
    pub feeders: Vec<Feeder>,
    /// The scenarios, run side by side.
    pub scenarios: Vec<Scenario>,
    /// The CI gates.
    pub assertions: Vec<Assertion>,
    /// Every session variable, indexed by [`VarId`](crate::VarId).
    pub vars: Vars,
    /// The variables declared under `vars:` (given from outside the plan)
    /// and their default values, in name order: every session starts with
    /// them.
    pub declared: Vec<(VarId, serde_json::Value)>,
}

impl Plan {
    /// The names of the variables declared under `vars:`, in order.
    pub fn declared_names(&self) -> Vec<&str> {
        self.declared
            .iter()
            .map(|(id, _)| self.vars.name(*id))
            .collect()
    }

    /// The declared variable `name`, if the plan declares it.
    pub fn declared(&self, name: &str) -> Option<VarId> {
        let id = self.vars.get(name)?;
        self.declared.iter().any(|(d, _)| *d == id).then_some(id)
    }
}

impl Plan {
    /// A one-line summary: "stock-market: 1 scenario (watchers: 2 load steps, 3 steps), 2 assertions".
    pub fn summary(&self) -> String {
        let scenarios: Vec<String> = self.scenarios.iter().map(Scenario::summary).collect();
        let count = self.scenarios.len();
        format!(
            "{}: {count} scenario{} ({}), {} assertion{}",
            self.name,
            plural(count),
            scenarios.join("; "),
            self.assertions.len(),
            plural(self.assertions.len()),
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Where the traffic goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The built-in demo server, started in-process on a loopback port.
    Embedded,
    /// Base URLs, handed to virtual users in turn (never empty).
    BaseUrls(Vec<Url>),
}

/// Defaults for every request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpDefaults {
    /// Headers sent with every request and connect.
    pub headers: Vec<Header>,
    /// TLS options.
    pub tls: Tls,
}

/// TLS options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tls {
    /// Extra CA certificates to trust (a PEM file).
    pub ca_file: Option<PathBuf>,
    /// Accept invalid certificates (asked for explicitly).
    pub accept_invalid_certs: bool,
}

/// One kind of virtual user.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Its name, unique in the plan.
    pub name: String,
    /// How its users arrive.
    pub load: Load,
    /// Its own request-rate cap, in steps (empty: none).
    pub throttle: Vec<ThrottleStep>,
    /// What each user does.
    pub steps: Vec<Step>,
}

impl Scenario {
    fn summary(&self) -> String {
        let load = match &self.load {
            Load::Open(steps) => format!("{} open load step{}", steps.len(), plural(steps.len())),
            Load::Closed(steps) => {
                format!("{} closed load step{}", steps.len(), plural(steps.len()))
            }
        };
        let steps = Step::count(&self.steps);
        format!("{}: {load}, {steps} step{}", self.name, plural(steps))
    }
}

#[cfg(test)]
mod tests {
    /// The engine shares one plan between worker threads.
    #[test]
    fn a_plan_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<super::Plan>();
    }
}
