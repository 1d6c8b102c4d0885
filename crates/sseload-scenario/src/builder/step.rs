//! Steps: requests, SSE operations, pauses, loops and control flow.

use std::collections::BTreeMap;
use std::time::Duration;

use super::check::{Criterion, MessageCheck, criteria};
use super::{checked, spanned, text};
use crate::raw::Dur;
use crate::raw::check::Sequence;
use crate::raw::step::{self as rs, Step as Raw};
use crate::yaml::{Checked, ScalarOr};

/// The query, header and body methods an HTTP request and an SSE connect share.
macro_rules! request_parts {
    () => {
        /// Adds a query parameter (the value is a template).
        pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.0.query.insert(name.into(), text(value));
            self
        }

        /// Adds a header (the value is a template).
        pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
            self.0.headers.insert(name.into(), text(value));
            self
        }

        /// A text body (a template).
        pub fn body(mut self, body: impl Into<String>) -> Self {
            self.0.body = Some(spanned(ScalarOr::Scalar(body.into())));
            self
        }

        /// A JSON body; its strings may hold `#{…}`.
        pub fn json_body(mut self, json: serde_json::Value) -> Self {
            self.0.body = Some(spanned(ScalarOr::Map(rs::BodyMap {
                json: Some(json),
                ..rs::BodyMap::default()
            })));
            self
        }

        /// A body read from a file and sent as is (relative to the plan's base directory).
        pub fn body_file(mut self, path: impl Into<String>) -> Self {
            self.0.body = Some(spanned(ScalarOr::Map(rs::BodyMap {
                file: Some(path.into()),
                ..rs::BodyMap::default()
            })));
            self
        }

        /// A body template read from a file once.
        pub fn body_template(mut self, path: impl Into<String>) -> Self {
            self.0.body = Some(spanned(ScalarOr::Map(rs::BodyMap {
                template: Some(path.into()),
                ..rs::BodyMap::default()
            })));
            self
        }
    };
}

/// One step.
#[derive(Debug, Clone)]
pub struct Step(pub(super) Raw);

fn body_steps(steps: impl IntoIterator<Item = Step>) -> rs::Steps {
    steps.into_iter().map(|s| checked(s.0)).collect()
}

/// Starts an HTTP request named `name`.
pub fn http(name: impl Into<String>) -> Http {
    Http(rs::Http {
        name: text(name),
        method: None,
        url: text(""),
        query: BTreeMap::new(),
        headers: BTreeMap::new(),
        body: None,
        checks: criteria(Vec::new()),
    })
}

/// An HTTP request being described.
#[derive(Debug, Clone)]
pub struct Http(rs::Http);

impl Http {
    /// `GET url`.
    pub fn get(self, url: impl Into<String>) -> Self {
        self.method("GET", url)
    }

    /// `POST url`.
    pub fn post(self, url: impl Into<String>) -> Self {
        self.method("POST", url)
    }

    /// `method url`.
    pub fn method(mut self, method: impl Into<String>, url: impl Into<String>) -> Self {
        self.0.method = Some(text(method));
        self.0.url = text(url);
        self
    }

    request_parts!();

    /// Adds a check on the response.
    pub fn check(mut self, criterion: Criterion) -> Self {
        self.0.checks.0.push(checked(criterion.0));
        self
    }
}

impl From<Http> for Step {
    fn from(http: Http) -> Self {
        Self(Raw::Http(Box::new(http.0)))
    }
}

/// Starts an SSE operation recorded under `name` (Gatling's `sse(name)`).
///
/// One user may hold several streams; each operation names its stream.
///
/// ```
/// use std::time::Duration;
/// use serde_json::json;
/// use sseload_scenario::builder::*;
///
/// let secs = Duration::from_secs;
/// let plan = plan("llm")
///     .embedded()
///     .scenario(
///         scenario("completions")
///             .load(constant_users_per_sec(5.0).during(secs(60)).randomized())
///             .step(
///                 sse("completion")
///                     .stream("llm")
///                     .post("/v1/completions")
///                     .json_body(json!({"prompt": "hello", "stream": true}))
///                     .no_reconnect(),
///             )
///             .step(sse("tokens").stream("llm").listen().matching(json_path("$.choices[0].text")).until(64))
///             .step(sse("done").stream("llm").await_checks(secs(30), [check_message("done").matching(data().is("[DONE]"))]))
///             .step(sse("close").stream("llm").close()),
///     )
///     .build()?;
/// assert_eq!(plan.scenarios[0].steps.len(), 4);
/// # Ok::<(), sseload_scenario::Error>(())
/// ```
pub fn sse(name: impl Into<String>) -> Sse {
    Sse {
        name: name.into(),
        stream: None,
    }
}

/// An SSE operation on a named stream.
#[derive(Debug, Clone)]
pub struct Sse {
    name: String,
    stream: Option<String>,
}

impl Sse {
    /// Names the stream (`default` otherwise).
    pub fn stream(mut self, stream: impl Into<String>) -> Self {
        self.stream = Some(stream.into());
        self
    }

    /// Opens the stream with `GET url`.
    pub fn get(self, url: impl Into<String>) -> SseConnect {
        self.connect("GET", url)
    }

    /// Opens the stream with `POST url` (give it a body).
    pub fn post(self, url: impl Into<String>) -> SseConnect {
        self.connect("POST", url)
    }

    fn connect(self, method: &str, url: impl Into<String>) -> SseConnect {
        SseConnect(rs::SseConnect {
            name: text(self.name),
            stream: self.stream.map(text),
            method: Some(text(method)),
            url: text(url),
            query: BTreeMap::new(),
            headers: BTreeMap::new(),
            body: None,
            sequences: Vec::new(),
            unmatched: None,
            timestamp: None,
            sequence: None,
            reconnect: None,
        })
    }

    /// Blocks on a check sequence of the open stream (Gatling's `setCheck().await(..)`).
    pub fn await_checks(
        self,
        timeout: Duration,
        checks: impl IntoIterator<Item = MessageCheck>,
    ) -> SseAwait {
        SseAwait(rs::SseAwait {
            stream: self.stream.map(text),
            sequences: vec![sequence(timeout, checks)],
        })
    }

    /// Watches the stream in the background; give it `during` or `until`.
    pub fn listen(self) -> SseListen {
        SseListen(rs::SseListen {
            name: text(self.name),
            stream: self.stream.map(text),
            matching: criteria(Vec::new()),
            check: criteria(Vec::new()),
            during: None,
            until: None,
            save_count_as: None,
        })
    }

    /// Closes the stream.
    pub fn close(self) -> Step {
        Step(Raw::SseClose(rs::SseClose {
            name: Some(text(self.name)),
            stream: self.stream.map(text),
        }))
    }
}

fn sequence(
    timeout: Duration,
    checks: impl IntoIterator<Item = MessageCheck>,
) -> Checked<crate::yaml::Spanned<Sequence>> {
    checked(Sequence {
        timeout: Dur(timeout),
        checks: checks.into_iter().map(|c| checked(c.into_raw())).collect(),
    })
}

/// An SSE connect being described.
#[derive(Debug, Clone)]
pub struct SseConnect(rs::SseConnect);

impl SseConnect {
    request_parts!();

    /// Adds a check sequence, armed when the stream opens.
    pub fn await_checks(
        mut self,
        timeout: Duration,
        checks: impl IntoIterator<Item = MessageCheck>,
    ) -> Self {
        self.0.sequences.push(sequence(timeout, checks));
        self
    }

    /// Keeps up to `n` unmatched events for the next await.
    pub fn buffer_unmatched(mut self, n: i64) -> Self {
        self.0.unmatched = Some(spanned(rs::Unmatched::Buffer(spanned(n))));
        self
    }

    /// Events carry their send time in epoch milliseconds at this JSON Path.
    pub fn timestamp_ms(mut self, json_path: impl Into<String>) -> Self {
        self.0.timestamp = Some(rs::Timestamp {
            json_path: text(json_path),
            unit: Some(spanned(rs::TimeUnit::Ms)),
        });
        self
    }

    /// Events carry their sequence number at this JSON Path.
    pub fn sequence(mut self, json_path: impl Into<String>) -> Self {
        self.0.sequence = Some(rs::SequenceNumber {
            json_path: text(json_path),
        });
        self
    }

    /// Never reconnects.
    pub fn no_reconnect(mut self) -> Self {
        self.0.reconnect = Some(ScalarOr::Scalar(false));
        self
    }

    /// Reconnects, giving up after `max_attempts` failures in a row, backing off up to `max_backoff`.
    pub fn reconnect(mut self, max_attempts: i64, max_backoff: Duration) -> Self {
        let map = rs::ReconnectMap {
            max_attempts: Some(spanned(max_attempts)),
            max_backoff: Some(Dur(max_backoff)),
        };
        self.0.reconnect = Some(ScalarOr::Map(map));
        self
    }
}

impl From<SseConnect> for Step {
    fn from(c: SseConnect) -> Self {
        Self(Raw::SseConnect(Box::new(c.0)))
    }
}

/// An SSE await being described.
#[derive(Debug, Clone)]
pub struct SseAwait(rs::SseAwait);

impl SseAwait {
    /// Adds another sequence, run after the previous ones.
    pub fn await_checks(
        mut self,
        timeout: Duration,
        checks: impl IntoIterator<Item = MessageCheck>,
    ) -> Self {
        self.0.sequences.push(sequence(timeout, checks));
        self
    }
}

impl From<SseAwait> for Step {
    fn from(a: SseAwait) -> Self {
        Self(Raw::SseAwait(a.0))
    }
}

/// A background listener being described.
#[derive(Debug, Clone)]
pub struct SseListen(rs::SseListen);

impl SseListen {
    /// Only events passing this count.
    pub fn matching(mut self, criterion: Criterion) -> Self {
        self.0.matching.0.push(checked(criterion.0));
        self
    }

    /// Checked on every counted event.
    pub fn check(mut self, criterion: Criterion) -> Self {
        self.0.check.0.push(checked(criterion.0));
        self
    }

    /// Stops after `duration`.
    pub fn during(mut self, duration: Duration) -> Self {
        self.0.during = Some(Dur(duration));
        self
    }

    /// Stops after `n` counted events.
    pub fn until(mut self, n: i64) -> Self {
        self.0.until = Some(spanned(n));
        self
    }

    /// Saves the count in the session.
    pub fn save_count_as(mut self, name: impl Into<String>) -> Self {
        self.0.save_count_as = Some(text(name));
        self
    }
}

impl From<SseListen> for Step {
    fn from(l: SseListen) -> Self {
        Self(Raw::SseListen(l.0))
    }
}

/// Waits `duration`.
pub fn pause(duration: Duration) -> Step {
    Step(Raw::Pause(ScalarOr::Scalar(Dur(duration))))
}

fn between(min: Duration, max: Duration) -> ScalarOr<Dur, rs::PauseMap> {
    ScalarOr::Map(rs::PauseMap {
        min: Some(Dur(min)),
        max: Some(Dur(max)),
        exponential: None,
    })
}

/// Waits uniformly between `min` and `max`.
pub fn pause_between(min: Duration, max: Duration) -> Step {
    Step(Raw::Pause(between(min, max)))
}

/// Waits an exponentially distributed time of mean `mean`.
pub fn pause_exponential(mean: Duration) -> Step {
    Step(Raw::Pause(ScalarOr::Map(rs::PauseMap {
        exponential: Some(Dur(mean)),
        ..rs::PauseMap::default()
    })))
}

/// Waits so that each pass here starts at most once per `duration`.
pub fn pace(duration: Duration) -> Step {
    Step(Raw::Pace(ScalarOr::Scalar(Dur(duration))))
}

/// Paces with a period drawn uniformly between `min` and `max`.
pub fn pace_between(min: Duration, max: Duration) -> Step {
    Step(Raw::Pace(between(min, max)))
}

/// A loop being described; give it a counter if you need one.
#[derive(Debug, Clone)]
pub struct Loop(Raw);

impl Loop {
    /// Holds the pass number (from 0) in this session variable.
    pub fn counter(mut self, name: impl Into<String>) -> Self {
        let counter = Some(text(name));
        match &mut self.0 {
            Raw::Repeat(r) => r.counter = counter,
            Raw::During(d) => d.counter = counter,
            Raw::Forever(f) => f.counter = counter,
            Raw::AsLongAs(a) => a.counter = counter,
            Raw::TryMax(t) => t.counter = counter,
            _ => {}
        }
        self
    }

    /// For `during` and `as_long_as`: whether to leave mid-pass when the condition ends.
    pub fn exit_asap(mut self, exit_asap: bool) -> Self {
        match &mut self.0 {
            Raw::During(d) => d.exit_asap = Some(exit_asap),
            Raw::AsLongAs(a) => a.exit_asap = exit_asap,
            _ => {}
        }
        self
    }
}

impl From<Loop> for Step {
    fn from(l: Loop) -> Self {
        Self(l.0)
    }
}

/// Runs `steps` `times` times.
pub fn repeat(times: i64, steps: impl IntoIterator<Item = Step>) -> Loop {
    Loop(Raw::Repeat(rs::Repeat {
        times: spanned(times),
        counter: None,
        steps: body_steps(steps),
    }))
}

/// Runs `steps` again and again for `duration`.
pub fn during(duration: Duration, steps: impl IntoIterator<Item = Step>) -> Loop {
    Loop(Raw::During(rs::During {
        duration: Dur(duration),
        exit_asap: None,
        counter: None,
        steps: body_steps(steps),
    }))
}

/// Runs `steps` until the user is stopped.
pub fn forever(steps: impl IntoIterator<Item = Step>) -> Loop {
    Loop(Raw::Forever(rs::Forever {
        counter: None,
        steps: body_steps(steps),
    }))
}

/// Runs `steps` while `condition` (a template) renders `true`.
pub fn as_long_as(condition: impl Into<String>, steps: impl IntoIterator<Item = Step>) -> Loop {
    Loop(Raw::AsLongAs(rs::AsLongAs {
        condition: text(condition),
        exit_asap: false,
        counter: None,
        steps: body_steps(steps),
    }))
}

/// Runs `steps`, up to `times` attempts, until they pass.
pub fn try_max(times: i64, steps: impl IntoIterator<Item = Step>) -> Loop {
    Loop(Raw::TryMax(rs::TryMax {
        times: spanned(times),
        counter: None,
        steps: body_steps(steps),
    }))
}

/// Records `steps` under a group too.
pub fn group(name: impl Into<String>, steps: impl IntoIterator<Item = Step>) -> Step {
    Step(Raw::Group(rs::Group {
        name: text(name),
        steps: body_steps(steps),
    }))
}

/// Stops the user here if its session is failed.
pub fn exit_here_if_failed() -> Step {
    Step(Raw::ExitHereIfFailed)
}

/// Runs one branch, chosen at random by weight.
pub fn random_choice(branches: impl IntoIterator<Item = (f64, Vec<Step>)>) -> Step {
    let branches = branches
        .into_iter()
        .map(|(weight, steps)| {
            checked(rs::Branch {
                weight: Some(spanned(weight)),
                steps: body_steps(steps),
            })
        })
        .collect();
    Step(Raw::RandomChoice(branches))
}

/// Takes the next record of a feeder.
pub fn feed(feeder: impl Into<String>) -> Step {
    Step(Raw::Feed(ScalarOr::Scalar(text(feeder))))
}

/// Takes `count` records of a feeder at once.
pub fn feed_many(feeder: impl Into<String>, count: i64) -> Step {
    Step(Raw::Feed(ScalarOr::Map(rs::FeedMap {
        feeder: text(feeder),
        count: Some(spanned(count)),
    })))
}

/// Sets a session variable (text is a template); `.and(..)` sets more in the same step.
pub fn set(name: impl Into<String>, value: impl Into<serde_json::Value>) -> Set {
    Set(BTreeMap::new()).and(name, value)
}

/// A `set` step being described.
#[derive(Debug, Clone)]
pub struct Set(BTreeMap<String, crate::yaml::Spanned<serde_json::Value>>);

impl Set {
    /// Sets another variable in the same step.
    pub fn and(mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        self.0.insert(name.into(), spanned(value.into()));
        self
    }
}

impl From<Set> for Step {
    fn from(set: Set) -> Self {
        Self(Raw::Set(set.0))
    }
}
