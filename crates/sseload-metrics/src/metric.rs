//! The catalog of measured durations.

use std::fmt;
use std::str::FromStr;

/// A duration sseload measures; each is recorded in its own histogram.
///
/// The definitions (where each one starts and stops) are in `docs/metrics.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Metric {
    /// From the start of the socket connect to TCP (and TLS) established.
    ConnectTime,
    /// From the request written to response headers received and validated.
    ResponseTime,
    /// From the request written to the first event dispatched.
    TimeToFirstEvent,
    /// From one event dispatched to the next on the same stream.
    EventGap,
    /// From the timestamp carried in the event to the event dispatched.
    DeliveryLatency,
    /// From the stream lost to the first event after the reconnect.
    ReconnectGap,
    /// From a check sequence armed to the sequence satisfied.
    CheckTime,
}

impl Metric {
    /// Every metric, in report order.
    pub const ALL: [Self; 7] = [
        Self::ConnectTime,
        Self::ResponseTime,
        Self::TimeToFirstEvent,
        Self::EventGap,
        Self::DeliveryLatency,
        Self::ReconnectGap,
        Self::CheckTime,
    ];

    /// The stable snake_case name used in results files and assertions.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ConnectTime => "connect_time",
            Self::ResponseTime => "response_time",
            Self::TimeToFirstEvent => "time_to_first_event",
            Self::EventGap => "event_gap",
            Self::DeliveryLatency => "delivery_latency",
            Self::ReconnectGap => "reconnect_gap",
            Self::CheckTime => "check_time",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A metric name that is not in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown metric `{name}` (known: connect_time, response_time, time_to_first_event, event_gap, delivery_latency, reconnect_gap, check_time)"
)]
pub struct UnknownMetric {
    /// The name that was given.
    pub name: String,
}

impl FromStr for Metric {
    type Err = UnknownMetric;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|metric| metric.name() == name)
            .ok_or_else(|| UnknownMetric {
                name: name.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_metric() {
        for metric in Metric::ALL {
            assert_eq!(metric.name().parse::<Metric>(), Ok(metric));
        }
    }

    #[test]
    fn unknown_name_is_refused_with_the_name_and_the_known_ones() {
        let err = "ttfb".parse::<Metric>().unwrap_err();
        assert_eq!(err.name, "ttfb");
        assert!(err.to_string().contains("`ttfb`"));
        assert!(err.to_string().contains("time_to_first_event"));
    }
}
