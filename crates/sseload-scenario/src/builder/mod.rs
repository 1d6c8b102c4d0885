//! The Rust builder API: scenarios written in code, in the spirit of
//! Gatling's DSL, validated by the same rules as YAML into the same
//! [`Plan`].
//!
//! ```
//! use std::time::Duration;
//! use sseload_scenario::builder::*;
//!
//! let secs = Duration::from_secs;
//! let plan = plan("stock-market")
//!     .embedded()
//!     .scenario(
//!         scenario("watchers")
//!             .load(ramp_users(200).during(secs(10)))
//!             .load(constant_users_per_sec(20.0).during(secs(30)))
//!             .step(
//!                 sse("Stocks").get("/stocks/prices").await_checks(
//!                     secs(10),
//!                     [check_message("snapshot").matching(event().is("snapshot"))],
//!                 ),
//!             )
//!             .step(pause(secs(15)))
//!             .step(sse("Close").close()),
//!     )
//!     .assertion(assertion("time_to_first_event.p99").lt(Duration::from_millis(500)))
//!     .build()?;
//! assert_eq!(plan.scenarios[0].steps.len(), 3);
//! # Ok::<(), sseload_scenario::Error>(())
//! ```
//!
//! Mistakes are reported by [`PlanBuilder::build`] exactly as for a file,
//! without line numbers:
//!
//! ```
//! use sseload_scenario::builder::*;
//!
//! let err = plan("broken")
//!     .embedded()
//!     .scenario(scenario("s").load(at_once_users(1)).step(sse("Close").stream("nope").close()))
//!     .build()
//!     .unwrap_err();
//! let message = &err.diagnostics().unwrap().items()[0].message;
//! assert_eq!(message, "sse_close on stream `nope`, which no sse_connect in scenario `s` opens");
//! ```

mod check;
mod load;
mod step;

pub use check::{
    Criterion, MessageCheck, body, check_message, data, event, event_json, header, id, jmes_path,
    json_path, regex, retry, status, substring,
};
pub use load::{
    IncrementRate, IncrementUsers, LoadStep, RampConcurrent, RampRate, Rate, RateStep,
    ThrottleStep, Users, at_once_users, constant_concurrent_users, constant_users_per_sec,
    hold_for, increment_concurrent_users, increment_users_per_sec, jump_to_rps, nothing_for,
    ramp_concurrent_users, ramp_users, ramp_users_per_sec, reach_rps, stress_peak_users,
};
pub use step::{
    Http, Loop, Set, Sse, SseAwait, SseConnect, SseListen, Step, as_long_as, during,
    exit_here_if_failed, feed, feed_many, forever, group, http, pace, pace_between, pause,
    pause_between, pause_exponential, random_choice, repeat, set, sse, try_max,
};

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::error::{Diagnostics, Error};
use crate::plan::Plan;
use crate::raw::{self, Dur};
use crate::resolve::{self, Options};
use crate::yaml::{Checked, Spanned};

fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(value)
}

fn checked<T>(value: T) -> Checked<Spanned<T>> {
    Checked::Valid(Spanned::new(value))
}

fn text(value: impl Into<String>) -> Spanned<String> {
    Spanned::new(value.into())
}

/// Starts a plan.
pub fn plan(name: impl Into<String>) -> PlanBuilder {
    PlanBuilder {
        doc: raw::Document {
            name: Some(text(name)),
            target: Checked::Invalid,
            http: None,
            max_duration: None,
            throttle: Vec::new(),
            vars: BTreeMap::new(),
            feeders: BTreeMap::new(),
            population: None,
            scenarios: spanned(Vec::new()),
            assertions: Vec::new(),
        },
        base_dir: ".".into(),
        missing_target: true,
        http: None,
    }
}

/// A plan being described; [`build`](Self::build) validates it.
#[derive(Debug, Clone)]
pub struct PlanBuilder {
    doc: raw::Document,
    base_dir: std::path::PathBuf,
    missing_target: bool,
    http: Option<raw::Http>,
}

impl PlanBuilder {
    fn target(mut self, target: raw::Target) -> Self {
        self.doc.target = checked(target);
        self.missing_target = false;
        self
    }

    /// Targets the built-in demo server.
    pub fn embedded(self) -> Self {
        self.target(raw::Target::Embedded)
    }

    /// Targets one base URL.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.target(raw::Target::BaseUrl(text(url)))
    }

    /// Targets several base URLs, handed to users in turn.
    pub fn base_urls(self, urls: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.target(raw::Target::BaseUrls(urls.into_iter().map(text).collect()))
    }

    fn http(&mut self) -> &mut raw::Http {
        self.http.get_or_insert_with(raw::Http::default)
    }

    /// Adds a header sent with every request (the value is a template).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.http().headers.insert(name.into(), text(value));
        self
    }

    /// Trusts the CA certificates of a PEM file too.
    pub fn ca_file(mut self, path: impl Into<String>) -> Self {
        self.http()
            .tls
            .get_or_insert_with(raw::Tls::default)
            .ca_file = Some(text(path));
        self
    }

    /// Accepts invalid certificates (test servers only).
    pub fn accept_invalid_certs(mut self) -> Self {
        self.http()
            .tls
            .get_or_insert_with(raw::Tls::default)
            .accept_invalid_certs = true;
        self
    }

    /// Declares a variable given from outside the plan, with its default
    /// value: every session starts with it, and `sseload run --set NAME=VALUE`
    /// overrides the default.
    pub fn var(mut self, name: impl Into<String>, default: impl Into<serde_json::Value>) -> Self {
        self.doc.vars.insert(name.into(), spanned(default.into()));
        self
    }

    /// Stops the run after `duration`.
    pub fn max_duration(mut self, duration: Duration) -> Self {
        self.doc.max_duration = Some(Checked::Valid(Dur(duration)));
        self
    }

    /// Adds a step to the global request-rate cap.
    pub fn throttle(mut self, step: ThrottleStep) -> Self {
        self.doc.throttle.push(Checked::Valid(step.0));
        self
    }

    /// Defines a feeder.
    pub fn feeder(mut self, name: impl Into<String>, feeder: Feeder) -> Self {
        self.doc.feeders.insert(name.into(), checked(feeder.0));
        self
    }

    /// Locust-style load: `users` in all, started at `spawn_rate` per second,
    /// for `during`, split among the scenarios by [`ScenarioBuilder::weight`].
    pub fn population(mut self, users: i64, spawn_rate: f64, during: Duration) -> Self {
        let population = raw::load::Population {
            users: spanned(users),
            spawn_rate: spanned(spawn_rate),
            during: Dur(during),
        };
        self.doc.population = Some(checked(population));
        self
    }

    /// Adds a scenario.
    pub fn scenario(mut self, scenario: ScenarioBuilder) -> Self {
        self.doc.scenarios.value.push(checked(scenario.0));
        self
    }

    /// Adds an assertion.
    pub fn assertion(mut self, assertion: Assertion) -> Self {
        self.doc.assertions.push(checked(assertion.0));
        self
    }

    /// Resolves relative file names (feeders, bodies) against `dir`
    /// instead of the current directory.
    pub fn base_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.base_dir = dir.as_ref().to_owned();
        self
    }

    /// Validates the plan, reporting every problem at once.
    pub fn build(mut self) -> Result<Plan, Error> {
        self.doc.http = self.http.map(Checked::Valid);
        let origin = "<builder>";
        let mut diags = Vec::new();
        if self.missing_target {
            diags.push(
                crate::error::Diagnostic::new("the plan has no target", None)
                    .hint("call .embedded(), .base_url(..) or .base_urls(..)"),
            );
        }
        let options = Options {
            base_dir: self.base_dir,
            default_name: "scenario".to_owned(),
            partial: false,
        };
        let (plan, more) = resolve::resolve(&self.doc, &options);
        diags.extend(more);
        match plan {
            Some(plan) if diags.is_empty() => Ok(plan),
            _ => Err(Error::Invalid(Diagnostics::new(origin, "", diags))),
        }
    }
}

/// Starts a scenario.
pub fn scenario(name: impl Into<String>) -> ScenarioBuilder {
    ScenarioBuilder(raw::Scenario {
        name: text(name),
        load: None,
        throttle: Vec::new(),
        weight: None,
        wait: None,
        steps: Vec::new(),
    })
}

/// A scenario being described.
#[derive(Debug, Clone)]
pub struct ScenarioBuilder(raw::Scenario);

impl ScenarioBuilder {
    /// Adds an injection step.
    pub fn load(mut self, step: impl Into<LoadStep>) -> Self {
        self.0
            .load
            .get_or_insert_with(|| spanned(Vec::new()))
            .value
            .push(checked(step.into().0));
        self
    }

    /// Adds a step to this scenario's request-rate cap.
    pub fn throttle(mut self, step: ThrottleStep) -> Self {
        self.0.throttle.push(Checked::Valid(step.0));
        self
    }

    /// Its share of the plan's population.
    pub fn weight(mut self, weight: f64) -> Self {
        self.0.weight = Some(spanned(weight));
        self
    }

    /// Waits `duration` after each pass (Locust `constant`).
    pub fn wait_constant(mut self, duration: Duration) -> Self {
        self.0.wait = Some(spanned(crate::yaml::ScalarOr::Scalar(Dur(duration))));
        self
    }

    /// Waits uniformly between `min` and `max` after each pass (Locust `between`).
    pub fn wait_between(mut self, min: Duration, max: Duration) -> Self {
        let map = raw::load::WaitMap {
            constant: None,
            between: Some((Dur(min), Dur(max))),
            pacing: None,
        };
        self.0.wait = Some(spanned(crate::yaml::ScalarOr::Map(map)));
        self
    }

    /// Starts a pass at most every `duration` (Locust `constant_pacing`).
    pub fn wait_pacing(mut self, duration: Duration) -> Self {
        let map = raw::load::WaitMap {
            constant: None,
            between: None,
            pacing: Some(Dur(duration)),
        };
        self.0.wait = Some(spanned(crate::yaml::ScalarOr::Map(map)));
        self
    }

    /// Adds a step.
    pub fn step(mut self, step: impl Into<Step>) -> Self {
        self.0.steps.push(checked(step.into().0));
        self
    }

    /// Adds steps.
    pub fn steps(mut self, steps: impl IntoIterator<Item = Step>) -> Self {
        self.0.steps.extend(steps.into_iter().map(|s| checked(s.0)));
        self
    }
}

/// A feeder.
#[derive(Debug, Clone)]
pub struct Feeder(raw::Feeder);

impl Feeder {
    /// Records from a CSV file with a header line.
    pub fn csv(path: impl Into<String>) -> Self {
        Self(raw::Feeder {
            csv: Some(text(path)),
            ..raw::Feeder::default()
        })
    }

    /// Records from a JSON file holding an array of objects.
    pub fn json(path: impl Into<String>) -> Self {
        Self(raw::Feeder {
            json: Some(text(path)),
            ..raw::Feeder::default()
        })
    }

    /// Records given here.
    pub fn inline(
        records: impl IntoIterator<Item = serde_json::Map<String, serde_json::Value>>,
    ) -> Self {
        let records = records
            .into_iter()
            .map(|r| r.into_iter().collect())
            .collect();
        Self(raw::Feeder {
            inline: Some(spanned(records)),
            ..raw::Feeder::default()
        })
    }

    /// Marks columns secret: their values are masked wherever text leaves
    /// a run (errors, reports, results files).
    pub fn secret(mut self, columns: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.0.secret.extend(columns.into_iter().map(text));
        self
    }

    fn strategy(mut self, strategy: raw::FeedStrategy) -> Self {
        self.0.strategy = Some(strategy);
        self
    }

    /// Hands out records at random.
    pub fn random(self) -> Self {
        self.strategy(raw::FeedStrategy::Random)
    }

    /// Shuffles once, then hands out in order, once each.
    pub fn shuffle(self) -> Self {
        self.strategy(raw::FeedStrategy::Shuffle)
    }

    /// Hands out in order, starting over at the end.
    pub fn circular(self) -> Self {
        self.strategy(raw::FeedStrategy::Circular)
    }

    /// Hands out in order, once each (the default).
    pub fn queue(self) -> Self {
        self.strategy(raw::FeedStrategy::Queue)
    }
}

/// Starts an assertion on `metric.statistic`, such as `time_to_first_event.p99`.
pub fn assertion(metric: impl Into<String>) -> Assertion {
    Assertion(raw::Assertion {
        metric: text(metric),
        scenario: None,
        request: None,
        group: None,
        lt: None,
        lte: None,
        gt: None,
        gte: None,
        between: None,
    })
}

/// An assertion being described.
#[derive(Debug, Clone)]
pub struct Assertion(raw::Assertion);

/// A limit of an assertion: a [`Duration`] or a number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit(LimitKind);

#[derive(Debug, Clone, Copy, PartialEq)]
enum LimitKind {
    Duration(Duration),
    Number(f64),
}

impl From<Duration> for Limit {
    fn from(d: Duration) -> Self {
        Self(LimitKind::Duration(d))
    }
}

impl From<f64> for Limit {
    fn from(x: f64) -> Self {
        Self(LimitKind::Number(x))
    }
}

impl From<u32> for Limit {
    fn from(x: u32) -> Self {
        Self(LimitKind::Number(f64::from(x)))
    }
}

fn threshold(limit: Limit) -> Spanned<raw::Threshold> {
    spanned(match limit.0 {
        LimitKind::Duration(d) => raw::Threshold::Text(raw::duration::render(d)),
        LimitKind::Number(x) => raw::Threshold::Number(x),
    })
}

impl Assertion {
    /// Only the records of one scenario.
    pub fn scenario(mut self, name: impl Into<String>) -> Self {
        self.0.scenario = Some(text(name));
        self
    }

    /// Only the records of one request, stream or check name.
    pub fn request(mut self, name: impl Into<String>) -> Self {
        self.0.request = Some(text(name));
        self
    }

    /// Only the records of one group.
    pub fn group(mut self, name: impl Into<String>) -> Self {
        self.0.group = Some(text(name));
        self
    }

    /// Less than.
    pub fn lt(mut self, limit: impl Into<Limit>) -> Self {
        self.0.lt = Some(threshold(limit.into()));
        self
    }

    /// At most.
    pub fn lte(mut self, limit: impl Into<Limit>) -> Self {
        self.0.lte = Some(threshold(limit.into()));
        self
    }

    /// More than.
    pub fn gt(mut self, limit: impl Into<Limit>) -> Self {
        self.0.gt = Some(threshold(limit.into()));
        self
    }

    /// At least.
    pub fn gte(mut self, limit: impl Into<Limit>) -> Self {
        self.0.gte = Some(threshold(limit.into()));
        self
    }

    /// Within `[low, high]`.
    pub fn between(mut self, low: impl Into<Limit>, high: impl Into<Limit>) -> Self {
        let (low, high) = (threshold(low.into()).value, threshold(high.into()).value);
        self.0.between = Some(spanned((low, high)));
        self
    }
}
