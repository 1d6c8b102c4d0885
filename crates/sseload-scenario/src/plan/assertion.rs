//! CI gates: a statistic of a metric, in a scope, against a condition.

use std::time::Duration;

/// One gate.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion {
    /// What is measured.
    pub metric: Metric,
    /// Which statistic of it.
    pub statistic: Statistic,
    /// Over which records.
    pub scope: Scope,
    /// What must hold.
    pub condition: Condition,
}

/// A metric, as defined in the design notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Socket connect start to TCP (and TLS) established.
    ConnectTime,
    /// Request written to response headers received.
    ResponseTime,
    /// Request written to first event dispatched.
    TimeToFirstEvent,
    /// Between two events of one stream.
    EventGap,
    /// From the timestamp an event carries to its dispatch.
    DeliveryLatency,
    /// Stream lost to first event after the reconnect.
    ReconnectGap,
    /// Check sequence armed to check satisfied.
    CheckTime,
    /// HTTP requests and SSE connects.
    Requests,
    /// Message checks and criteria.
    Checks,
    /// Events received.
    Events,
    /// Reconnects.
    Reconnects,
    /// Event ids missed after a resume.
    MissedEvents,
    /// Event ids seen twice.
    DuplicateEvents,
    /// Events no check matched.
    UnmatchedEvents,
}

impl Metric {
    /// Every metric, with its name in scenario files.
    pub const ALL: [(&'static str, Self); 14] = [
        ("connect_time", Self::ConnectTime),
        ("response_time", Self::ResponseTime),
        ("time_to_first_event", Self::TimeToFirstEvent),
        ("event_gap", Self::EventGap),
        ("delivery_latency", Self::DeliveryLatency),
        ("reconnect_gap", Self::ReconnectGap),
        ("check_time", Self::CheckTime),
        ("requests", Self::Requests),
        ("checks", Self::Checks),
        ("events", Self::Events),
        ("reconnects", Self::Reconnects),
        ("missed_events", Self::MissedEvents),
        ("duplicate_events", Self::DuplicateEvents),
        ("unmatched_events", Self::UnmatchedEvents),
    ];

    /// Its name in scenario files.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("", |(n, _)| n)
    }

    /// Whether it is a duration recorded in a histogram.
    pub fn is_timing(self) -> bool {
        matches!(
            self,
            Self::ConnectTime
                | Self::ResponseTime
                | Self::TimeToFirstEvent
                | Self::EventGap
                | Self::DeliveryLatency
                | Self::ReconnectGap
                | Self::CheckTime
        )
    }

    /// Whether its records succeed or fail.
    pub fn has_outcome(self) -> bool {
        matches!(self, Self::Requests | Self::Checks)
    }
}

/// A statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// How many records.
    Count,
    /// Records per second over the run.
    Rate,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
    /// Mean value.
    Mean,
    /// Standard deviation.
    StdDev,
    /// A percentile, in `(0, 100]`.
    Percentile(f64),
    /// How many failed.
    FailedCount,
    /// Percentage that failed.
    FailedPercent,
}

impl Statistic {
    /// The statistic a name in scenario and results files stands for:
    /// `count`, `rate`, `min`, `max`, `mean`, `stddev`, `failed_count`,
    /// `failed_percent`, or `pNN` with NN in `(0, 100]`.
    pub fn from_name(text: &str) -> Option<Self> {
        Some(match text {
            "count" => Self::Count,
            "rate" => Self::Rate,
            "min" => Self::Min,
            "max" => Self::Max,
            "mean" => Self::Mean,
            "stddev" => Self::StdDev,
            "failed_count" => Self::FailedCount,
            "failed_percent" => Self::FailedPercent,
            _ => {
                let p: f64 = text.strip_prefix('p')?.parse().ok()?;
                if !(p > 0.0 && p <= 100.0) {
                    return None;
                }
                Self::Percentile(p)
            }
        })
    }

    /// Its name, as [`from_name`](Self::from_name) reads it.
    pub fn name(self) -> String {
        match self {
            Self::Count => "count".into(),
            Self::Rate => "rate".into(),
            Self::Min => "min".into(),
            Self::Max => "max".into(),
            Self::Mean => "mean".into(),
            Self::StdDev => "stddev".into(),
            Self::Percentile(p) => format!("p{p}"),
            Self::FailedCount => "failed_count".into(),
            Self::FailedPercent => "failed_percent".into(),
        }
    }

    /// Whether its value is a duration (for timing metrics).
    pub fn is_duration(self) -> bool {
        matches!(
            self,
            Self::Min | Self::Max | Self::Mean | Self::StdDev | Self::Percentile(_)
        )
    }
}

/// Which records an assertion reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// All of them.
    Global,
    /// One scenario's.
    Scenario(String),
    /// One request, stream or check name's.
    Request(String),
    /// One group's.
    Group(String),
}

/// What must hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// Below the bound (`inclusive`: at most).
    Below(Bound),
    /// Above the bound (`inclusive`: at least).
    Above(Bound),
    /// Within both bounds.
    Between(Bound, Bound),
}

/// A bound of a condition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// The limit.
    pub value: Threshold,
    /// Whether the limit itself passes.
    pub inclusive: bool,
}

/// A limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// A duration (timing statistics).
    Duration(Duration),
    /// A number (counts, rates, percentages; numbers in checks).
    Number(f64),
}
