//! The per-second time series, and the live snapshot sent each second.

use std::sync::atomic::Ordering;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sseload_metrics::{Histogram, Metric};

use crate::record::{METRICS, Recorder, Tick};

/// Percentiles of one metric over one second, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct Percentiles {
    /// The metric's name.
    #[schemars(schema_with = "crate::schema::metric_name")]
    pub metric: String,
    /// How many values were recorded in the second.
    pub count: u64,
    /// The median.
    pub p50_ms: f64,
    /// The 99th percentile.
    pub p99_ms: f64,
    /// The largest value.
    pub max_ms: f64,
    /// The second's histogram (HdrHistogram V2 + DEFLATE, base64), so that
    /// merged shards get exact percentiles per second.
    pub hdr: String,
}

/// One second of the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct Point {
    /// Seconds since the start, at the end of this second.
    pub second: u64,
    /// Users running at the end of the second.
    pub users: i64,
    /// Streams connected at the end of the second.
    pub streams: i64,
    /// Users started during the second.
    pub arrivals: u64,
    /// Events received during the second.
    pub events: u64,
    /// Errors counted during the second.
    pub errors: u64,
    /// Requests and checks that passed during the second.
    pub ok: u64,
    /// Requests and checks that failed during the second.
    pub ko: u64,
    /// Reconnections (streams lost, the client reconnecting) during the second.
    pub reconnects: u64,
    /// Sequence numbers skipped during the second (missed ids).
    pub missed: u64,
    /// Percentiles of every metric with values in the second.
    pub latencies: Vec<Percentiles>,
}

/// What the engine tells its caller each second while running.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// Time since the start.
    pub elapsed: Duration,
    /// How long the load profile lasts (the longest scenario's), or the duration cap.
    pub planned: Duration,
    /// Users started so far.
    pub arrivals_total: u64,
    /// Users that finished so far.
    pub users_done: u64,
    /// The last second.
    pub point: Point,
}

/// What sampling keeps from one second to the next: the arrivals counted
/// so far, and one histogram per metric that each second's windows are
/// merged into (made once: a fresh set each second cost more than the
/// events of a thousand streams).
#[derive(Debug)]
pub(crate) struct Carry {
    last_arrivals: u64,
    windows: Vec<Histogram>,
}

impl Carry {
    pub(crate) fn new() -> Self {
        Self {
            last_arrivals: 0,
            windows: (0..METRICS).map(|_| Histogram::new()).collect(),
        }
    }
}

/// Takes the second that just ended out of the shards.
pub(crate) fn sample(recorder: &Recorder, second: u64, carry: &mut Carry) -> Point {
    let mut tick = Tick::default();
    let windows = &mut carry.windows;
    recorder.each(|store| {
        let t = std::mem::take(&mut store.tick);
        tick.events += t.events;
        tick.errors += t.errors;
        tick.ok += t.ok;
        tick.ko += t.ko;
        tick.reconnects += t.reconnects;
        tick.missed += t.missed;
        for (merged, window) in windows.iter_mut().zip(&mut store.window) {
            // Merging and clearing walk the whole histogram: skip the empty.
            if let Some(window) = window.as_mut().filter(|w| !w.is_empty()) {
                merged.merge(window);
                window.clear();
            }
        }
    });
    let latencies = percentiles(windows);
    for window in windows.iter_mut().filter(|w| !w.is_empty()) {
        window.clear();
    }
    let gauges = &recorder.gauges;
    let arrivals = gauges.arrivals.load(Ordering::Relaxed);
    let point = Point {
        second,
        users: gauges.users.load(Ordering::Relaxed),
        streams: gauges.streams.load(Ordering::Relaxed),
        arrivals: arrivals - carry.last_arrivals,
        events: tick.events,
        errors: tick.errors,
        ok: tick.ok,
        ko: tick.ko,
        reconnects: tick.reconnects,
        missed: tick.missed,
        latencies,
    };
    carry.last_arrivals = arrivals;
    point
}

fn percentiles(windows: &[Histogram]) -> Vec<Percentiles> {
    Metric::ALL
        .iter()
        .zip(windows)
        .filter(|(_, h)| !h.is_empty())
        .map(|(metric, h)| Percentiles::of(metric.name(), h))
        .collect()
}

impl Percentiles {
    /// The percentiles of `metric`'s histogram `h` over one second.
    pub(crate) fn of(metric: &str, h: &Histogram) -> Self {
        Self {
            metric: metric.to_owned(),
            count: h.count(),
            p50_ms: ms(h.quantile(0.5)),
            p99_ms: ms(h.quantile(0.99)),
            max_ms: ms(h.quantile(1.0)),
            hdr: h.to_base64(),
        }
    }
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
