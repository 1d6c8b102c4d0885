//! What a virtual user does.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::check::{Criterion, JsonPath, Sequence};
use super::feeder::FeederId;
use crate::expr::{Template, VarId};

/// The stream name used when a step names none.
pub const DEFAULT_STREAM: &str = "default";

/// One step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// An HTTP request; a failed check marks the session failed.
    Http {
        /// The request.
        request: Request,
        /// Checks on the response (at least the status check).
        checks: Vec<Criterion>,
    },
    /// Open an SSE stream.
    SseConnect(SseConnect),
    /// Block on check sequences of an open stream.
    SseAwait(SseAwait),
    /// Watch a stream in the background.
    SseListen(SseListen),
    /// Close a stream.
    SseClose(SseClose),
    /// Wait.
    Pause(Pause),
    /// Wait so that each pass here starts at most once per duration.
    Pace(Pause),
    /// Run `steps` `times` times.
    Repeat {
        /// How many times.
        times: u32,
        /// Holds the pass number, from 0.
        counter: Option<VarId>,
        /// The body.
        steps: Vec<Self>,
    },
    /// Run `steps` again and again for `duration`.
    During {
        /// How long.
        duration: Duration,
        /// Leave mid-pass when the time is up.
        exit_asap: bool,
        /// Holds the pass number, from 0.
        counter: Option<VarId>,
        /// The body.
        steps: Vec<Self>,
    },
    /// Run `steps` until the user is stopped.
    Forever {
        /// Holds the pass number, from 0.
        counter: Option<VarId>,
        /// The body.
        steps: Vec<Self>,
    },
    /// Run `steps` while `condition` renders `true`.
    AsLongAs {
        /// The condition.
        condition: Template,
        /// Re-check before each step, not only each pass.
        exit_asap: bool,
        /// Holds the pass number, from 0.
        counter: Option<VarId>,
        /// The body.
        steps: Vec<Self>,
    },
    /// Record `steps` under a group name too.
    Group {
        /// The group's name.
        name: String,
        /// The body.
        steps: Vec<Self>,
    },
    /// Stop this user if its session is failed.
    ExitHereIfFailed,
    /// Run `steps` again, up to `times` attempts, until they pass.
    TryMax {
        /// At most this many attempts.
        times: NonZeroU32,
        /// Holds the attempt number, from 0.
        counter: Option<VarId>,
        /// The body.
        steps: Vec<Self>,
    },
    /// Run one branch, chosen at random by weight.
    RandomChoice(Vec<Branch>),
    /// Take `count` records of a feeder into the session (lists when `count > 1`).
    Feed {
        /// The feeder.
        feeder: FeederId,
        /// How many records.
        count: NonZeroU32,
    },
    /// Set session values.
    Set(Vec<(VarId, Template)>),
}

impl Step {
    /// Counts steps, including the ones inside loops, groups and branches.
    pub fn count(steps: &[Self]) -> usize {
        steps
            .iter()
            .map(|step| 1 + step.children().map(Self::count).sum::<usize>())
            .sum()
    }

    /// The step lists nested directly in this step.
    pub fn children(&self) -> Box<dyn Iterator<Item = &[Self]> + '_> {
        match self {
            Self::Repeat { steps, .. }
            | Self::During { steps, .. }
            | Self::Forever { steps, .. }
            | Self::AsLongAs { steps, .. }
            | Self::Group { steps, .. }
            | Self::TryMax { steps, .. } => Box::new(std::iter::once(steps.as_slice())),
            Self::RandomChoice(branches) => Box::new(branches.iter().map(|b| b.steps.as_slice())),
            _ => Box::new(std::iter::empty()),
        }
    }
}

/// An HTTP request (also the request of an SSE connect).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The name its timing is recorded under.
    pub name: String,
    /// The method, upper case.
    pub method: String,
    /// The URL: absolute, or relative to the target's base URL.
    pub url: Template,
    /// Query parameters to append.
    pub query: Vec<(String, Template)>,
    /// Headers (plan-wide defaults are not repeated here).
    pub headers: Vec<Header>,
    /// The body.
    pub body: Option<Body>,
}

/// A header: a lower-case name and a template value.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The name, lower case.
    pub name: String,
    /// The value.
    pub value: Template,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Text with substitution.
    Text(Template),
    /// JSON text with substitution; sent as `application/json`.
    Json(Template),
    /// Bytes read from a file when the plan was built.
    File {
        /// The file.
        path: PathBuf,
        /// Its content.
        bytes: Arc<[u8]>,
    },
}

/// Open an SSE stream.
#[derive(Debug, Clone, PartialEq)]
pub struct SseConnect {
    /// The stream's name.
    pub stream: String,
    /// The request.
    pub request: Request,
    /// Check sequences armed when the stream opens.
    pub sequences: Vec<Sequence>,
    /// What to do with events no check waits for.
    pub unmatched: Unmatched,
    /// Where events carry their send time.
    pub timestamp: Option<Timestamp>,
    /// Where events carry their sequence number (the id when `None`).
    pub sequence: Option<JsonPath>,
    /// Reconnection after a lost stream.
    pub reconnect: Reconnect,
}

/// The unmatched-event policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmatched {
    /// Drop them.
    Drop,
    /// Keep up to this many, dropping the oldest.
    Buffer(NonZeroU32),
}

/// Where an event's send time is.
#[derive(Debug, Clone, PartialEq)]
pub struct Timestamp {
    /// A JSON Path into the data.
    pub path: JsonPath,
    /// How it is written.
    pub unit: TimeUnit,
}

/// How a timestamp is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds since the Unix epoch.
    Seconds,
    /// Milliseconds since the Unix epoch.
    Millis,
    /// Microseconds since the Unix epoch.
    Micros,
    /// Nanoseconds since the Unix epoch.
    Nanos,
    /// RFC 3339 text.
    Rfc3339,
}

/// Reconnection after a lost stream (not after a close or a 204).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reconnect {
    /// Never reconnect.
    Never,
    /// Reconnect with `Last-Event-ID`, after the server's `retry` (3 s by default).
    Enabled {
        /// Give up after this many failed attempts in a row (`None`: never give up).
        max_attempts: Option<NonZeroU32>,
        /// The cap of the backoff between failed attempts.
        max_backoff: Duration,
    },
}

/// Await sequences on an open stream.
#[derive(Debug, Clone, PartialEq)]
pub struct SseAwait {
    /// The stream.
    pub stream: String,
    /// The sequences, one after another.
    pub sequences: Vec<Sequence>,
}

/// Watch a stream without blocking the user.
#[derive(Debug, Clone, PartialEq)]
pub struct SseListen {
    /// The name its result is recorded under.
    pub name: String,
    /// The stream.
    pub stream: String,
    /// Only events passing all of these count.
    pub matching: Vec<Criterion>,
    /// Checked on each counted event.
    pub check: Vec<Criterion>,
    /// Stop after this long.
    pub during: Option<Duration>,
    /// Stop after this many counted events.
    pub until: Option<NonZeroU32>,
    /// Save the count here.
    pub save_count_as: Option<VarId>,
}

/// Close a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseClose {
    /// The name the close is recorded under.
    pub name: String,
    /// The stream.
    pub stream: String,
}

/// How long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// Exactly this long.
    Fixed(Duration),
    /// Uniformly in `[min, max]`.
    Uniform {
        /// At least.
        min: Duration,
        /// At most.
        max: Duration,
    },
    /// Exponentially distributed with this mean.
    Exponential(Duration),
}

/// One branch of a random choice.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    /// Relative weight, above zero.
    pub weight: f64,
    /// The steps.
    pub steps: Vec<Step>,
}
