//! Recording: every user writes into one of a few shards (chosen by its
//! number), so no lock is shared by all users; the shards are merged when a
//! second closes and at the end. Names and metrics are indexes, so recording
//! an event allocates nothing once a histogram exists.
//!
//! Error messages are masked here, as they are recorded, with the run's
//! [`Redactor`]: secrets never reach the errors table, so neither the
//! results file nor any report or live view can show them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sseload_metrics::{Histogram, Metric};
use sseload_scenario::Redactor;

use crate::names::NameId;

/// How many metrics each name has a histogram for.
pub(crate) const METRICS: usize = Metric::ALL.len();

/// The kinds of error the engine tells apart.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// TCP or TLS could not be established.
    ConnectRefused,
    /// A connect, idle or request timeout.
    Timeout,
    /// A status that does not open the stream or pass the check.
    Status,
    /// A 200 answer that is not `text/event-stream`.
    ContentType,
    /// The connection was cut, or the body could not be read.
    Reset,
    /// A check failed on the event or response it looked at.
    CheckFailed,
    /// A check sequence's timeout expired.
    CheckTimedOut,
    /// A step could not run: a template, a feeder, a stream that is not open.
    Step,
}

impl ErrorKind {
    /// The snake_case name used in results files.
    pub fn name(self) -> &'static str {
        match self {
            Self::ConnectRefused => "connect_refused",
            Self::Timeout => "timeout",
            Self::Status => "status",
            Self::ContentType => "content_type",
            Self::Reset => "reset",
            Self::CheckFailed => "check_failed",
            Self::CheckTimedOut => "check_timed_out",
            Self::Step => "step",
        }
    }

    /// The kind of a client error.
    pub(crate) fn of_client(err: &sseload_client::Error) -> Self {
        use sseload_client::Error as E;
        match err {
            E::Connect { .. } | E::Tls { .. } => Self::ConnectRefused,
            E::ConnectTimeout { .. } | E::ResponseTimeout { .. } | E::IdleTimeout { .. } => {
                Self::Timeout
            }
            E::Status { .. } => Self::Status,
            E::ContentType { .. } => Self::ContentType,
            E::Http { .. } | E::Ended | E::Parse(_) => Self::Reset,
            _ => Self::Step,
        }
    }
}

/// Exact counts of one name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Counts {
    /// Requests or checks that succeeded.
    pub ok: u64,
    /// Requests or checks that failed.
    pub ko: u64,
    /// Events received on streams opened under this name.
    pub events: u64,
    /// Bytes of event data received.
    pub bytes: u64,
    /// Reconnection attempts.
    pub reconnects: u64,
    /// Sequence numbers skipped.
    pub missed: u64,
    /// Sequence numbers seen again (or going back).
    pub duplicates: u64,
    /// Events no armed check consumed when they arrived.
    pub unmatched: u64,
    /// Streams still open when their user ended, closed by the engine.
    pub closed_at_user_end: u64,
}

impl Counts {
    pub(crate) fn add(&mut self, other: &Self) {
        self.ok += other.ok;
        self.ko += other.ko;
        self.events += other.events;
        self.bytes += other.bytes;
        self.reconnects += other.reconnects;
        self.missed += other.missed;
        self.duplicates += other.duplicates;
        self.unmatched += other.unmatched;
        self.closed_at_user_end += other.closed_at_user_end;
    }
}

/// Counts of the second being recorded, for the time series.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tick {
    pub(crate) events: u64,
    pub(crate) errors: u64,
    pub(crate) ok: u64,
    pub(crate) ko: u64,
    pub(crate) reconnects: u64,
    pub(crate) missed: u64,
}

/// How many raw error messages a shard remembers the masked form of.
const MASKED_CACHE: usize = 1024;

/// What one shard holds.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) histograms: Vec<Option<Box<Histogram>>>,
    pub(crate) counts: Vec<Counts>,
    /// Error counts by name, kind and message; messages are stored with
    /// their secrets masked, so nothing downstream sees them in clear.
    pub(crate) errors: HashMap<(NameId, ErrorKind, String), u64>,
    pub(crate) tick: Tick,
    pub(crate) window: Vec<Option<Box<Histogram>>>,
    redactor: Redactor,
    /// Raw message to masked message, so a storm of one error is masked once.
    masked: HashMap<String, String>,
}

impl Store {
    fn new(names: usize, redactor: Redactor) -> Self {
        Self {
            histograms: (0..names * METRICS).map(|_| None).collect(),
            counts: vec![Counts::default(); names],
            errors: HashMap::new(),
            tick: Tick::default(),
            window: (0..METRICS).map(|_| None).collect(),
            redactor,
            masked: HashMap::new(),
        }
    }

    /// `message` with its secrets masked.
    fn mask(&mut self, message: &str) -> String {
        if let Some(masked) = self.masked.get(message) {
            return masked.clone();
        }
        let masked = self.redactor.redact(message).into_owned();
        if self.masked.len() < MASKED_CACHE {
            self.masked.insert(message.to_owned(), masked.clone());
        }
        masked
    }

    /// Records one duration of `metric` under `name`.
    pub(crate) fn record(&mut self, name: NameId, metric: Metric, value: Duration) {
        let index = metric_index(metric);
        self.histograms[name * METRICS + index]
            .get_or_insert_with(Box::default)
            .record(value);
        self.window[index]
            .get_or_insert_with(Box::default)
            .record(value);
    }

    /// The counts of `name`.
    pub(crate) fn counts(&mut self, name: NameId) -> &mut Counts {
        &mut self.counts[name]
    }

    /// Counts an error under its message with secrets masked.
    pub(crate) fn error(&mut self, name: NameId, kind: ErrorKind, message: &str) {
        self.tick.errors += 1;
        let key = (name, kind, self.mask(message));
        *self.errors.entry(key).or_default() += 1;
    }

    /// A success (`ok`) or failure of a request or check.
    pub(crate) fn outcome(&mut self, name: NameId, ok: bool) {
        let counts = &mut self.counts[name];
        if ok {
            counts.ok += 1;
            self.tick.ok += 1;
        } else {
            counts.ko += 1;
            self.tick.ko += 1;
        }
    }
}

/// The position of a metric in [`Metric::ALL`].
pub(crate) fn metric_index(metric: Metric) -> usize {
    Metric::ALL
        .iter()
        .position(|m| *m == metric)
        .unwrap_or_default()
}

/// Process-wide gauges, written rarely (a user starts or ends, a stream opens or closes).
#[derive(Debug, Default)]
pub(crate) struct Gauges {
    pub(crate) users: AtomicI64,
    pub(crate) streams: AtomicI64,
    pub(crate) arrivals: AtomicU64,
    pub(crate) users_done: AtomicU64,
}

/// Every shard of a run.
#[derive(Debug)]
pub(crate) struct Recorder {
    shards: Box<[Mutex<Store>]>,
    pub(crate) gauges: Gauges,
}

impl Recorder {
    /// Shards for `names` names, each masking error messages with `redactor`.
    pub(crate) fn new(names: usize, redactor: &Redactor) -> Arc<Self> {
        let shards = std::thread::available_parallelism().map_or(4, |n| n.get() * 4);
        Arc::new(Self {
            shards: (0..shards)
                .map(|_| Mutex::new(Store::new(names, redactor.clone())))
                .collect(),
            gauges: Gauges::default(),
        })
    }

    /// The recording handle of user number `user`.
    pub(crate) fn handle(self: &Arc<Self>, user: u64) -> Rec {
        let shard = usize::try_from(user).unwrap_or_default() % self.shards.len();
        Rec {
            recorder: Arc::clone(self),
            shard,
        }
    }

    /// Every shard in turn.
    pub(crate) fn each(&self, mut f: impl FnMut(&mut Store)) {
        for shard in &self.shards {
            f(&mut lock(shard));
        }
    }
}

fn lock(shard: &Mutex<Store>) -> MutexGuard<'_, Store> {
    shard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One user's way into its shard.
#[derive(Debug, Clone)]
pub(crate) struct Rec {
    recorder: Arc<Recorder>,
    shard: usize,
}

impl Rec {
    /// Runs `f` on this user's shard.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut lock(&self.recorder.shards[self.shard]))
    }

    pub(crate) fn gauges(&self) -> &Gauges {
        &self.recorder.gauges
    }

    /// Adds `delta` to a gauge.
    pub(crate) fn gauge(gauge: &AtomicI64, delta: i64) {
        gauge.fetch_add(delta, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use sseload_scenario::Secrets;

    use super::*;

    #[test]
    fn errors_are_recorded_with_their_secrets_masked() {
        let mut secrets = Secrets::new();
        secrets.value("s3cr3t-value");
        let mut store = Store::new(1, secrets.redactor());
        let raw = "http://u:p@h/x?token=t answered 401 (s3cr3t-value)";
        store.error(0, ErrorKind::Status, raw);
        store.error(0, ErrorKind::Status, raw);
        store.error(0, ErrorKind::Reset, "the server ended the response body");
        let mut errors: Vec<_> = store
            .errors
            .iter()
            .map(|((_, k, m), n)| (*k, m.as_str(), *n))
            .collect();
        errors.sort_unstable();
        assert_eq!(
            errors,
            [
                (
                    ErrorKind::Status,
                    "http://***@h/x?token=*** answered 401 (***)",
                    2
                ),
                (ErrorKind::Reset, "the server ended the response body", 1),
            ]
        );
        assert_eq!(store.tick.errors, 3);
    }
}
