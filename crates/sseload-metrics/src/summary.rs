//! The statistics a report shows for one histogram.

use std::time::Duration;

/// Count, extremes, mean and percentiles of one histogram.
///
/// Percentiles come from the histogram, never from sampled lists, so they are
/// within the histogram's precision (three significant digits) of the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// How many values were recorded.
    pub count: u64,
    /// How many of them were above [`MAX_TRACKABLE`](crate::MAX_TRACKABLE) and recorded as it.
    pub clipped: u64,
    /// The smallest value.
    pub min: Duration,
    /// The largest value.
    pub max: Duration,
    /// The mean, rounded to the microsecond.
    pub mean: Duration,
    /// The median.
    pub p50: Duration,
    /// The 75th percentile.
    pub p75: Duration,
    /// The 95th percentile.
    pub p95: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The 99.9th percentile.
    pub p999: Duration,
}
