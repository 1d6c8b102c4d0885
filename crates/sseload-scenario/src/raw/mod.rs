//! The scenario file as written: serde types that mirror the YAML keys one
//! for one, strict about unknown keys, with positions on every value that a
//! later check may point at. [`crate::resolve`] turns them into a
//! [`Plan`](crate::Plan); the JSON Schema is generated from them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::{Checked, Spanned};

pub(crate) mod check;
pub(crate) mod duration;
pub(crate) mod load;
pub(crate) mod step;

pub(crate) use duration::Dur;

/// A load test: where to send traffic, who the virtual users are, what they
/// do, and what must hold at the end.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "sseload scenario")]
pub(crate) struct Document {
    /// The name of the run, shown in reports.
    #[serde(default)]
    pub(crate) name: Option<Spanned<String>>,
    /// The system under test.
    pub(crate) target: Checked<Spanned<Target>>,
    /// Defaults for every request: headers and TLS.
    #[serde(default)]
    pub(crate) http: Option<Checked<Http>>,
    /// Stop the whole run after this long, even with users still active.
    #[serde(default)]
    pub(crate) max_duration: Option<Checked<Dur>>,
    /// Cap the request rate of the whole run, in steps.
    #[serde(default)]
    pub(crate) throttle: Vec<Checked<load::Throttle>>,
    /// Variables given from outside the plan, with their defaults: every
    /// session starts with them, and `sseload run --set KEY=VALUE` overrides
    /// a default. Values are used as written (no templates).
    #[serde(default)]
    pub(crate) vars: BTreeMap<String, Spanned<serde_json::Value>>,
    /// Named sources of session values, for `feed` steps.
    #[serde(default)]
    pub(crate) feeders: BTreeMap<String, Checked<Spanned<Feeder>>>,
    /// Locust-style load: one population shared by weighted scenarios.
    #[serde(default)]
    pub(crate) population: Option<Checked<Spanned<load::Population>>>,
    /// The kinds of virtual users, each with its own steps and load.
    pub(crate) scenarios: Spanned<Vec<Checked<Spanned<Scenario>>>>,
    /// CI gates checked at the end of the run.
    #[serde(default)]
    pub(crate) assertions: Vec<Checked<Spanned<Assertion>>>,
}

/// Where the traffic goes.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Target {
    /// The built-in demo server, started in-process on a loopback port.
    Embedded,
    /// One base URL that relative step URLs resolve against.
    BaseUrl(Spanned<String>),
    /// Several base URLs, given to virtual users in turn (round robin).
    BaseUrls(Vec<Spanned<String>>),
}

/// Request defaults.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Http {
    /// Headers sent with every request and connect; values are templates.
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, Spanned<String>>,
    /// TLS options.
    #[serde(default)]
    pub(crate) tls: Option<Tls>,
}

/// TLS options.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tls {
    /// A PEM file of extra CA certificates to trust (relative to the scenario file).
    #[serde(default)]
    pub(crate) ca_file: Option<Spanned<String>>,
    /// Accept any certificate, even invalid ones. Only for test servers.
    #[serde(default)]
    pub(crate) accept_invalid_certs: bool,
}

/// A source of session values: one record per `feed`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Feeder {
    /// A CSV file with a header line (relative to the scenario file).
    #[serde(default)]
    pub(crate) csv: Option<Spanned<String>>,
    /// A JSON file holding an array of objects (relative to the scenario file).
    #[serde(default)]
    pub(crate) json: Option<Spanned<String>>,
    /// Records written in the scenario.
    #[serde(default)]
    pub(crate) inline: Option<Spanned<Vec<BTreeMap<String, serde_json::Value>>>>,
    /// How records are handed out; `queue` by default.
    #[serde(default)]
    pub(crate) strategy: Option<FeedStrategy>,
    /// Columns whose values are secret (tokens, passwords): masked as `***`
    /// in every error message, report and results file.
    #[serde(default)]
    pub(crate) secret: Vec<Spanned<String>>,
}

/// How a feeder hands out records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FeedStrategy {
    /// In order, once each; the run fails when they run out.
    Queue,
    /// A random record each time.
    Random,
    /// Shuffled once, then in order, once each.
    Shuffle,
    /// In order, starting over at the end.
    Circular,
}

/// One kind of virtual user.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scenario {
    /// The scenario's name, unique in the file.
    pub(crate) name: Spanned<String>,
    /// How users arrive (Gatling-style injection steps).
    #[serde(default)]
    pub(crate) load: Option<Spanned<Vec<Checked<Spanned<load::LoadStep>>>>>,
    /// Cap this scenario's request rate, in steps.
    #[serde(default)]
    pub(crate) throttle: Vec<Checked<load::Throttle>>,
    /// Share of the `population` (Locust-style load only).
    #[serde(default)]
    pub(crate) weight: Option<Spanned<f64>>,
    /// Wait after each pass through the steps (Locust-style load only).
    #[serde(default)]
    pub(crate) wait: Option<Spanned<load::Wait>>,
    /// What each user does, in order.
    pub(crate) steps: Vec<Checked<Spanned<step::Step>>>,
}

/// A CI gate on one statistic of one metric.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Assertion {
    /// `metric.statistic`, such as `time_to_first_event.p99` or `checks.failed_percent`.
    pub(crate) metric: Spanned<String>,
    /// Restrict to one scenario.
    #[serde(default)]
    pub(crate) scenario: Option<Spanned<String>>,
    /// Restrict to one request, stream or check name.
    #[serde(default)]
    pub(crate) request: Option<Spanned<String>>,
    /// Restrict to one group.
    #[serde(default)]
    pub(crate) group: Option<Spanned<String>>,
    /// Less than.
    #[serde(default)]
    pub(crate) lt: Option<Spanned<Threshold>>,
    /// Less than or equal to.
    #[serde(default)]
    pub(crate) lte: Option<Spanned<Threshold>>,
    /// Greater than.
    #[serde(default)]
    pub(crate) gt: Option<Spanned<Threshold>>,
    /// Greater than or equal to.
    #[serde(default)]
    pub(crate) gte: Option<Spanned<Threshold>>,
    /// Within `[low, high]`, both included.
    #[serde(default)]
    pub(crate) between: Option<Spanned<(Threshold, Threshold)>>,
}

/// A limit: a number, or a duration for time statistics.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Threshold {
    /// A plain number: a count, a rate per second or a percentage.
    Number(f64),
    /// A duration such as `500ms`.
    Text(String),
}
