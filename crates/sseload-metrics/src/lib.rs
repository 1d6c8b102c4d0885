//! Stream metrics for sseload: what is measured, and histograms that merge exactly.
//!
//! - [`Metric`] names every duration sseload measures (connect time, time to
//!   first event, event gap, delivery latency, …) once, with the stable
//!   snake_case name that results files and assertions use.
//! - [`Histogram`] records durations at microsecond resolution with three
//!   significant digits, from 1 µs to 1 hour, merges with another histogram
//!   exactly (counts add), and travels as portable text: HdrHistogram V2 +
//!   DEFLATE, base64 (the `HISTFAAA…` form the Java, Go and JS ports read).
//! - [`Summary`] is the statistics a report prints: count, min, max, mean and
//!   the usual percentiles.
//!
//! ```
//! use std::time::Duration;
//! use sseload_metrics::Histogram;
//!
//! let mut shard_a = Histogram::new();
//! let mut shard_b = Histogram::new();
//! shard_a.record(Duration::from_millis(10));
//! shard_b.record(Duration::from_millis(30));
//!
//! // Histograms cross machines as text and merge without losing anything.
//! let mut merged = Histogram::from_base64(&shard_a.to_base64())?;
//! merged.merge(&shard_b);
//! let summary = merged.summary();
//! assert_eq!(summary.count, 2);
//! // Values are kept to three significant digits: 30 ms reads back as 30.015 ms at most.
//! assert!(summary.max >= Duration::from_millis(30) && summary.max <= Duration::from_micros(30_030));
//! # Ok::<(), sseload_metrics::HistogramError>(())
//! ```

pub use crate::{
    histogram::{Histogram, HistogramError, MAX_TRACKABLE, SIGNIFICANT_DIGITS},
    metric::{Metric, UnknownMetric},
    summary::Summary,
};

mod histogram;
mod metric;
mod summary;
