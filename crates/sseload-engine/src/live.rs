//! [`Live`]: the run's cumulative counts, errors and histograms, merged from
//! the shards when asked (once per scrape, never per event), for a live
//! metrics endpoint; and the whole [`Report`] so far, for periodic results
//! snapshots.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sseload_metrics::{Histogram, Metric};

use crate::context::RunCtx;
use crate::engine::{Options, Progress};
use crate::names::Name;
use crate::record::{Counts, METRICS};
use crate::report::{ErrorLine, Report, Totals};

/// A cheap, cloneable view of a running engine's measurements.
#[derive(Debug, Clone)]
pub struct Live {
    ctx: Arc<RunCtx>,
    options: Arc<Options>,
    progress: Arc<Mutex<Progress>>,
}

/// Everything measured so far.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSnapshot {
    /// Users running now.
    pub users: i64,
    /// Streams connected now.
    pub streams: i64,
    /// Per name: counts and histograms.
    pub names: Vec<LiveName>,
    /// The errors table so far.
    pub errors: Vec<ErrorLine>,
}

/// The cumulative measurements of one name.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveName {
    /// The name.
    pub name: Name,
    /// Its exact counts.
    pub counts: Counts,
    /// One entry per metric with values.
    pub metrics: Vec<Buckets>,
}

/// One metric's histogram as cumulative bucket counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    /// The metric's name.
    pub metric: &'static str,
    /// Per bound asked for, how many values are at or below it.
    pub at_or_below: Vec<u64>,
    /// How many values were recorded.
    pub count: u64,
    /// The sum of the values (from the histogram, to its precision).
    pub sum: Duration,
}

impl Live {
    pub(crate) fn new(
        ctx: Arc<RunCtx>,
        options: Arc<Options>,
        progress: Arc<Mutex<Progress>>,
    ) -> Self {
        Self {
            ctx,
            options,
            progress,
        }
    }

    /// Everything measured so far as a [`Report`] whose `ended_by` is
    /// `running` (`None` before the run starts): what a results snapshot holds.
    pub fn report(&self) -> Option<Report> {
        let (started, series) = {
            let progress = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
            (progress.started?, progress.series.clone())
        };
        let elapsed = started.at.elapsed();
        Some(crate::engine::report(
            &self.ctx,
            &self.options,
            series,
            started,
            elapsed,
            "running",
        ))
    }

    /// Merges the shards into cumulative figures; `bounds` are the bucket
    /// upper bounds (ascending) the histograms are counted against.
    pub fn snapshot(&self, bounds: &[Duration]) -> LiveSnapshot {
        let totals = Totals::collect(&self.ctx.recorder, self.ctx.names.list(), 0.0);
        let names = (0..totals.names.len())
            .map(|i| LiveName {
                name: totals.names[i].clone(),
                counts: totals.counts[i],
                metrics: metrics_of(&totals.histograms[i * METRICS..][..METRICS], bounds),
            })
            .collect();
        let gauges = &self.ctx.recorder.gauges;
        LiveSnapshot {
            users: gauges.users.load(Ordering::Relaxed),
            streams: gauges.streams.load(Ordering::Relaxed),
            names,
            errors: totals.errors,
        }
    }
}

fn metrics_of(histograms: &[Histogram], bounds: &[Duration]) -> Vec<Buckets> {
    Metric::ALL
        .iter()
        .zip(histograms)
        .filter(|(_, h)| !h.is_empty())
        .map(|(metric, h)| buckets(metric.name(), h, bounds))
        .collect()
}

/// Counts `histogram` against `bounds`: the cumulative buckets, count and sum.
pub(crate) fn buckets(metric: &'static str, histogram: &Histogram, bounds: &[Duration]) -> Buckets {
    Buckets {
        metric,
        at_or_below: bounds
            .iter()
            .map(|b| histogram.count_at_or_below(*b))
            .collect(),
        count: histogram.count(),
        sum: histogram.sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_count_the_values_at_or_below_each_bound() {
        let mut h = Histogram::new();
        for ms in [1, 2, 2, 40, 900] {
            h.record(Duration::from_millis(ms));
        }
        let bounds = [1, 5, 50, 1000].map(Duration::from_millis);
        let b = buckets("response_time", &h, &bounds);
        assert_eq!(b.at_or_below, [1, 3, 4, 5]);
        assert_eq!(b.count, 5);
        let sum = b.sum.as_secs_f64();
        assert!((sum - 0.945).abs() < 0.945 * 1e-3, "{sum}");
    }
}
