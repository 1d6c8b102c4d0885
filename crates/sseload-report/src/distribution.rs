//! Latency distributions from the results file's HDR histograms: the
//! per-name histograms decoded and merged exactly, then read as a percentile
//! curve (value against percentile on the usual log scale, 90%, 99%, 99.9%…).

use std::collections::BTreeMap;

use sseload_metrics::{Histogram, Metric};

use crate::{Error, Results};

/// The most names drawn on one distribution chart besides the merged curve.
const MAX_NAMES: usize = 6;

/// One metric's distribution: the run's merged curve and, when several names
/// recorded it, one curve per name.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// The metric's name (`time_to_first_event`, …).
    pub metric: String,
    /// `(label, curve)`: `all` first, then per `scenario / name`.
    pub curves: Vec<(String, Curve)>,
}

/// Points of a percentile curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// Values recorded.
    pub count: u64,
    /// `(x, percentile, milliseconds)`, where `x = -log10(1 - percentile/100)`
    /// (0 is the minimum, 1 is p90, 2 is p99, …); the last point is the maximum.
    pub points: Vec<(f64, f64, f64)>,
}

/// Every metric with a histogram, in the order of [`Metric::ALL`].
///
/// # Errors
///
/// [`Error::Histogram`] when a histogram does not decode.
pub fn distributions(results: &Results) -> Result<Vec<Distribution>, Error> {
    let decoded = decode(results)?;
    Ok(Metric::ALL
        .iter()
        .filter_map(|metric| one(metric.name(), &decoded))
        .collect())
}

type Decoded = BTreeMap<(String, String), Histogram>;

fn decode(results: &Results) -> Result<Decoded, Error> {
    let mut out = Decoded::new();
    for h in &results.histograms {
        let mut histogram = Histogram::from_base64(&h.hdr).map_err(|reason| Error::Histogram {
            scenario: h.scenario.clone(),
            name: h.name.clone(),
            metric: h.metric.clone(),
            reason,
        })?;
        histogram.set_clipped(h.clipped);
        let label = format!("{} / {}", h.scenario, h.name);
        out.entry((h.metric.clone(), label))
            .or_default()
            .merge(&histogram);
    }
    Ok(out)
}

fn one(metric: &str, decoded: &Decoded) -> Option<Distribution> {
    let names: Vec<(&String, &Histogram)> = decoded
        .iter()
        .filter(|((m, _), h)| m == metric && !h.is_empty())
        .map(|((_, label), h)| (label, h))
        .collect();
    if names.is_empty() {
        return None;
    }
    let mut all = Histogram::new();
    for (_, h) in &names {
        all.merge(h);
    }
    let mut curves = vec![("all".to_owned(), curve(&all))];
    if names.len() > 1 {
        let per_name = names.iter().take(MAX_NAMES);
        curves.extend(per_name.map(|(label, h)| ((*label).clone(), curve(h))));
    }
    Some(Distribution {
        metric: metric.to_owned(),
        curves,
    })
}

/// How far right the curve goes: one decade per power of ten of values, 1 to 5.
pub(crate) fn x_max(count: u64) -> f64 {
    (count.max(1) as f64).log10().ceil().clamp(1.0, 5.0)
}

/// The curve of one histogram, twenty points per decade.
pub(crate) fn curve(h: &Histogram) -> Curve {
    let count = h.count();
    let steps = (x_max(count) * 20.0) as u32;
    let mut points: Vec<(f64, f64, f64)> = (0..steps)
        .map(|i| {
            let x = f64::from(i) / 20.0;
            let q = 1.0 - 10f64.powf(-x);
            (x, q * 100.0, ms(h.quantile(q)))
        })
        .collect();
    points.push((x_max(count), 100.0, ms(h.quantile(1.0))));
    Curve { count, points }
}

/// Milliseconds, divided from whole nanoseconds so CSV shows `184.063`, not `184.06300000000002`.
fn ms(d: std::time::Duration) -> f64 {
    d.as_nanos() as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn curve_rises_to_the_maximum() {
        let mut h = Histogram::new();
        for i in 1..=1000 {
            h.record(Duration::from_micros(i * 100));
        }
        let c = curve(&h);
        assert_eq!(c.count, 1000);
        assert_eq!(c.points.len(), 61);
        assert!(c.points.windows(2).all(|w| w[0].2 <= w[1].2));
        let (x, p, max) = *c.points.last().unwrap();
        assert_eq!((x, p), (3.0, 100.0));
        assert!((max - 100.0).abs() < 0.1, "{max}");
    }
}
