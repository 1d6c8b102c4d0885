//! Per-second series of several shards on one wall clock: a point of a file
//! started at `started_at_ms` is second `floor(started_at_ms / 1000) +
//! second` of the epoch; points of the same epoch second add (gauges too:
//! the users of every shard run at once), and their per-second histograms
//! merge, so the percentiles of a merged second are exact.

use std::collections::BTreeMap;

use sseload_metrics::Histogram;

use super::{MergeError, Part};
use crate::series::{Percentiles, Point};

/// The merged series, numbered from the earliest file's start.
pub(super) fn merge(parts: &[&Part]) -> Result<Vec<Point>, MergeError> {
    let base = parts
        .iter()
        .map(|p| epoch_second(p.report.meta.started_at_ms))
        .min()
        .unwrap_or(0);
    let mut seconds: BTreeMap<u64, Second> = BTreeMap::new();
    for part in parts {
        let offset = epoch_second(part.report.meta.started_at_ms) - base;
        for point in &part.report.series {
            let second = seconds.entry(offset + point.second).or_default();
            second.add(&part.label, point)?;
        }
    }
    Ok(seconds
        .into_iter()
        .map(|(second, s)| s.point(second))
        .collect())
}

fn epoch_second(ms: u64) -> u64 {
    ms / 1000
}

/// One wall-clock second being merged.
#[derive(Default)]
struct Second {
    sum: Point,
    /// Per metric, in the order first seen.
    latencies: Vec<(String, Histogram)>,
}

impl Second {
    fn add(&mut self, label: &str, p: &Point) -> Result<(), MergeError> {
        let s = &mut self.sum;
        s.users += p.users;
        s.streams += p.streams;
        s.arrivals += p.arrivals;
        s.events += p.events;
        s.errors += p.errors;
        s.ok += p.ok;
        s.ko += p.ko;
        s.reconnects += p.reconnects;
        s.missed += p.missed;
        for l in &p.latencies {
            self.add_latency(label, p.second, l)?;
        }
        Ok(())
    }

    fn add_latency(&mut self, label: &str, second: u64, l: &Percentiles) -> Result<(), MergeError> {
        let h = Histogram::from_base64(&l.hdr).map_err(|e| MergeError::Histogram {
            label: label.to_owned(),
            scenario: "(series)".to_owned(),
            name: format!("second {second}"),
            metric: l.metric.clone(),
            reason: e.to_string(),
        })?;
        match self.latencies.iter_mut().find(|(m, _)| *m == l.metric) {
            Some((_, merged)) => merged.merge(&h),
            None => self.latencies.push((l.metric.clone(), h)),
        }
        Ok(())
    }

    fn point(mut self, second: u64) -> Point {
        // Report order, whatever order the files listed them in.
        self.latencies.sort_by_key(|(m, _)| catalog_position(m));
        Point {
            second,
            latencies: (self.latencies.iter())
                .map(|(m, h)| Percentiles::of(m, h))
                .collect(),
            ..self.sum
        }
    }
}

fn catalog_position(metric: &str) -> usize {
    sseload_metrics::Metric::ALL
        .iter()
        .position(|m| m.name() == metric)
        .unwrap_or(usize::MAX)
}
