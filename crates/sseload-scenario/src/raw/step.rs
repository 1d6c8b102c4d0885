//! Steps as written: requests, the SSE operations, pauses, loops and the
//! other control flow.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::Dur;
use super::check::{Criteria, Sequence};
use crate::yaml::{Checked, ScalarOr, Spanned};

/// A list of steps.
pub(crate) type Steps = Vec<Checked<Spanned<Step>>>;

/// One step of a virtual user.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Step {
    /// An HTTP request (login, publish…), with checks on its response.
    Http(Box<Http>),
    /// Open an SSE stream, optionally awaiting check sequences on it.
    SseConnect(Box<SseConnect>),
    /// Block until check sequences on an open stream are satisfied.
    SseAwait(SseAwait),
    /// Count or check events in the background without blocking.
    SseListen(SseListen),
    /// Close a stream.
    SseClose(SseClose),
    /// Wait: `2s`, `{min: 1s, max: 3s}` or `{exponential: 2s}` (the mean).
    Pause(ScalarOr<Dur, PauseMap>),
    /// Wait so that each pass here starts at most once per duration.
    Pace(ScalarOr<Dur, PauseMap>),
    /// Run the steps a number of times.
    Repeat(Repeat),
    /// Run the steps again and again for a duration.
    During(During),
    /// Run the steps until the user is stopped.
    Forever(Forever),
    /// Run the steps while a condition holds.
    AsLongAs(AsLongAs),
    /// Record the steps' timings under a group name too.
    Group(Group),
    /// Stop this user here if its session is marked failed.
    ExitHereIfFailed,
    /// Run the steps again, up to `times`, until they pass.
    TryMax(TryMax),
    /// Run one branch chosen at random (by weight).
    RandomChoice(Vec<Checked<Spanned<Branch>>>),
    /// Take the next record of a feeder into the session.
    Feed(ScalarOr<Spanned<String>, FeedMap>),
    /// Set session values (strings are templates).
    Set(BTreeMap<String, Spanned<serde_json::Value>>),
}

/// An HTTP request.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Http {
    /// The name its timing is recorded under.
    pub(crate) name: Spanned<String>,
    /// The method; `GET` by default.
    #[serde(default)]
    pub(crate) method: Option<Spanned<String>>,
    /// The URL, absolute or relative to the target's base URL (a template).
    pub(crate) url: Spanned<String>,
    /// Query parameters appended to the URL (values are templates).
    #[serde(default)]
    pub(crate) query: BTreeMap<String, Spanned<String>>,
    /// Headers (values are templates).
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, Spanned<String>>,
    /// The body: a template text, or `{text|file|template|json: …}`.
    #[serde(default)]
    pub(crate) body: Option<Spanned<Body>>,
    /// Checks on the response; a status check is added when none is given.
    #[serde(default)]
    pub(crate) checks: Criteria,
}

/// A request body.
pub(crate) type Body = ScalarOr<String, BodyMap>;

/// The body forms; exactly one key.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BodyMap {
    /// Text, with `#{…}` substitution.
    #[serde(default)]
    pub(crate) text: Option<String>,
    /// A file sent as is (relative to the scenario file).
    #[serde(default)]
    pub(crate) file: Option<String>,
    /// A file read once and used as a template.
    #[serde(default)]
    pub(crate) template: Option<String>,
    /// A JSON value, sent with `Content-Type: application/json`; strings may hold `#{…}`.
    #[serde(default)]
    pub(crate) json: Option<serde_json::Value>,
}

/// Open an SSE stream.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SseConnect {
    /// The name the connect is recorded under.
    pub(crate) name: Spanned<String>,
    /// The stream's name, for later steps; `default` when omitted.
    #[serde(default)]
    pub(crate) stream: Option<Spanned<String>>,
    /// The method; `GET` by default (`POST` with a body for LLM APIs).
    #[serde(default)]
    pub(crate) method: Option<Spanned<String>>,
    /// The URL (a template).
    pub(crate) url: Spanned<String>,
    /// Query parameters appended to the URL (values are templates).
    #[serde(default)]
    pub(crate) query: BTreeMap<String, Spanned<String>>,
    /// Headers (values are templates). `Accept: text/event-stream` and
    /// `Cache-Control: no-cache` are always added.
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, Spanned<String>>,
    /// The request body.
    #[serde(default)]
    pub(crate) body: Option<Spanned<Body>>,
    /// Check sequences armed as soon as the stream is open.
    #[serde(default, rename = "await")]
    pub(crate) sequences: Vec<Checked<Spanned<Sequence>>>,
    /// What happens to events no check is waiting for: `drop` (default) or `{buffer: N}`.
    #[serde(default)]
    pub(crate) unmatched: Option<Spanned<Unmatched>>,
    /// Where events carry the time they were sent, for delivery latency.
    #[serde(default)]
    pub(crate) timestamp: Option<Timestamp>,
    /// Where events carry their sequence number, when not in the id.
    #[serde(default)]
    pub(crate) sequence: Option<SequenceNumber>,
    /// Reconnection: `true` (default), `false`, or limits.
    #[serde(default)]
    pub(crate) reconnect: Option<ScalarOr<bool, ReconnectMap>>,
}

/// The unmatched-event policy of a stream.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Unmatched {
    /// Drop them (Gatling's default).
    Drop,
    /// Keep up to this many (dropping the oldest), for the next await.
    Buffer(Spanned<i64>),
}

/// Where an event's send time is.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Timestamp {
    /// A JSON Path into the data parsed as JSON.
    pub(crate) json_path: Spanned<String>,
    /// The unit: `ms` (default), `us`, `ns`, `s` or `rfc3339`.
    #[serde(default)]
    pub(crate) unit: Option<Spanned<TimeUnit>>,
}

/// How a timestamp is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TimeUnit {
    /// Seconds since the Unix epoch.
    S,
    /// Milliseconds since the Unix epoch.
    Ms,
    /// Microseconds since the Unix epoch.
    Us,
    /// Nanoseconds since the Unix epoch.
    Ns,
    /// An RFC 3339 date-time text.
    Rfc3339,
}

/// Where an event's sequence number is.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SequenceNumber {
    /// A JSON Path into the data parsed as JSON.
    pub(crate) json_path: Spanned<String>,
}

/// Reconnection limits.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReconnectMap {
    /// Give up after this many failed attempts in a row.
    #[serde(default)]
    pub(crate) max_attempts: Option<Spanned<i64>>,
    /// The cap of the growing delay between failed attempts.
    #[serde(default)]
    pub(crate) max_backoff: Option<Dur>,
}

/// Await check sequences on an open stream.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SseAwait {
    /// The stream; `default` when omitted.
    #[serde(default)]
    pub(crate) stream: Option<Spanned<String>>,
    /// The sequences, one after another.
    #[serde(rename = "await")]
    pub(crate) sequences: Vec<Checked<Spanned<Sequence>>>,
}

/// Watch a stream in the background.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SseListen {
    /// The name the listener's result is recorded under.
    pub(crate) name: Spanned<String>,
    /// The stream; `default` when omitted.
    #[serde(default)]
    pub(crate) stream: Option<Spanned<String>>,
    /// Only events passing all of these count.
    #[serde(default)]
    pub(crate) matching: Criteria,
    /// Checked on every counted event; a failure fails the listener.
    #[serde(default)]
    pub(crate) check: Criteria,
    /// Stop listening after this long.
    #[serde(default)]
    pub(crate) during: Option<Dur>,
    /// Stop listening after this many counted events.
    #[serde(default)]
    pub(crate) until: Option<Spanned<i64>>,
    /// Save the number of counted events in the session.
    #[serde(default)]
    pub(crate) save_count_as: Option<Spanned<String>>,
}

/// Close a stream.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SseClose {
    /// The name the close is recorded under; `close` by default.
    #[serde(default)]
    pub(crate) name: Option<Spanned<String>>,
    /// The stream; `default` when omitted.
    #[serde(default)]
    pub(crate) stream: Option<Spanned<String>>,
}

/// The forms of a pause.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PauseMap {
    /// Uniformly at least this long (with `max`).
    #[serde(default)]
    pub(crate) min: Option<Dur>,
    /// Uniformly at most this long (with `min`).
    #[serde(default)]
    pub(crate) max: Option<Dur>,
    /// Exponentially distributed with this mean (pause only).
    #[serde(default)]
    pub(crate) exponential: Option<Dur>,
}

/// `repeat`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Repeat {
    /// How many times.
    pub(crate) times: Spanned<i64>,
    /// A session variable holding the pass number, from 0.
    #[serde(default)]
    pub(crate) counter: Option<Spanned<String>>,
    /// The body.
    pub(crate) steps: Steps,
}

/// `during`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct During {
    /// How long to keep starting passes.
    pub(crate) duration: Dur,
    /// Leave as soon as the time is up, even mid-pass (default true).
    #[serde(default)]
    pub(crate) exit_asap: Option<bool>,
    /// A session variable holding the pass number, from 0.
    #[serde(default)]
    pub(crate) counter: Option<Spanned<String>>,
    /// The body.
    pub(crate) steps: Steps,
}

/// `forever`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Forever {
    /// A session variable holding the pass number, from 0.
    #[serde(default)]
    pub(crate) counter: Option<Spanned<String>>,
    /// The body.
    pub(crate) steps: Steps,
}

/// `as_long_as`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AsLongAs {
    /// A template that renders to `true` to go on, such as `#{more}`.
    pub(crate) condition: Spanned<String>,
    /// Check the condition before each step, not only each pass.
    #[serde(default)]
    pub(crate) exit_asap: bool,
    /// A session variable holding the pass number, from 0.
    #[serde(default)]
    pub(crate) counter: Option<Spanned<String>>,
    /// The body.
    pub(crate) steps: Steps,
}

/// `group`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Group {
    /// The group's name in the statistics.
    pub(crate) name: Spanned<String>,
    /// The body.
    pub(crate) steps: Steps,
}

/// `try_max`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TryMax {
    /// At most this many attempts.
    pub(crate) times: Spanned<i64>,
    /// A session variable holding the attempt number, from 0.
    #[serde(default)]
    pub(crate) counter: Option<Spanned<String>>,
    /// The body.
    pub(crate) steps: Steps,
}

/// One branch of a `random_choice`.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Branch {
    /// Relative weight; 1 by default.
    #[serde(default)]
    pub(crate) weight: Option<Spanned<f64>>,
    /// The branch's steps.
    pub(crate) steps: Steps,
}

/// `feed` with options.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedMap {
    /// The feeder's name.
    pub(crate) feeder: Spanned<String>,
    /// Take this many records at once; each variable then holds a list.
    #[serde(default)]
    pub(crate) count: Option<Spanned<i64>>,
}
