//! Which charts a report has: the run over time (users, streams, arrivals,
//! events, outcomes, errors, and the per-second percentiles of each latency
//! metric) and the distribution of each latency metric.

use crate::distribution::Distribution;
use crate::html::svg::{Plot, Series, XAxis};
use crate::results::{Point, Results};

/// Latency metrics the report always shows over time, with a notice when empty.
pub(crate) const KEY_METRICS: [&str; 3] = ["time_to_first_event", "event_gap", "delivery_latency"];
/// The other latency metrics, shown over time when the run recorded them.
const OTHER_METRICS: [&str; 4] = [
    "connect_time",
    "response_time",
    "reconnect_gap",
    "check_time",
];

/// A chart, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    /// A chart to draw.
    Plot(Plot),
    /// No data: the chart's title and the reason.
    Empty {
        /// The chart's title.
        title: String,
        /// Why it is empty.
        reason: String,
    },
}

/// A series read from every point of the run.
fn over_time(series: &[Point], label: &str, value: impl Fn(&Point) -> Option<f64>) -> Series {
    Series {
        label: label.to_owned(),
        points: series
            .iter()
            .filter_map(|p| value(p).map(|v| (p.second as f64, v)))
            .collect(),
    }
}

fn plot(id: &str, title: &str, unit: &str, series: Vec<Series>) -> Plot {
    Plot {
        id: format!("chart-{id}"),
        title: title.to_owned(),
        x: XAxis::Seconds,
        unit: unit.to_owned(),
        series,
    }
}

/// The charts over time, in page order.
pub(crate) fn timeline(results: &Results) -> Vec<Slot> {
    let s = &results.series;
    if s.is_empty() {
        return vec![Slot::Empty {
            title: "The run over time".to_owned(),
            reason: "the results file has no time series (the run lasted under a second)"
                .to_owned(),
        }];
    }
    let mut slots = vec![
        Slot::Plot(plot(
            "users",
            "Active users and open streams",
            "",
            vec![
                over_time(s, "users", |p| Some(p.users as f64)),
                over_time(s, "streams", |p| Some(p.streams as f64)),
            ],
        )),
        Slot::Plot(plot(
            "arrivals",
            "Users started per second",
            "/s",
            vec![over_time(s, "arrivals", |p| Some(p.arrivals as f64))],
        )),
        Slot::Plot(plot(
            "events",
            "Events received per second",
            "/s",
            vec![over_time(s, "events", |p| Some(p.events as f64))],
        )),
        Slot::Plot(plot(
            "outcomes",
            "Requests and checks per second",
            "/s",
            vec![
                over_time(s, "ok", |p| Some(p.ok as f64)),
                over_time(s, "ko", |p| Some(p.ko as f64)),
            ],
        )),
        Slot::Plot(plot(
            "errors",
            "Errors per second",
            "/s",
            vec![over_time(s, "errors", |p| Some(p.errors as f64))],
        )),
    ];
    slots.push(stream_health(results));
    slots.extend(KEY_METRICS.iter().map(|m| latency_over_time(s, m)));
    let recorded = |m: &&&str| s.iter().any(|p| p.latency(m).is_some());
    slots.extend(
        OTHER_METRICS
            .iter()
            .filter(recorded)
            .map(|m| latency_over_time(s, m)),
    );
    slots
}

/// Reconnects and missed ids per second, when the engine recorded them.
fn stream_health(results: &Results) -> Slot {
    let s = &results.series;
    let reconnects = over_time(s, "reconnects", |p| p.reconnects.map(|v| v as f64));
    let missed = over_time(s, "missed ids", |p| p.missed.map(|v| v as f64));
    let series: Vec<Series> = [reconnects, missed]
        .into_iter()
        .filter(|s| !s.points.is_empty())
        .collect();
    if series.is_empty() {
        let totals = results.global().map(|g| g.counts).unwrap_or_default();
        return Slot::Empty {
            title: "Reconnects and missed ids per second".to_owned(),
            reason: format!(
                "this results file has no per-second reconnect or missed-id counts; run totals: {} reconnects, {} missed ids",
                totals.reconnects, totals.missed
            ),
        };
    }
    Slot::Plot(plot(
        "stream-health",
        "Reconnects and missed ids per second",
        "/s",
        series,
    ))
}

fn latency_over_time(s: &[Point], metric: &str) -> Slot {
    let pick =
        |f: fn(&crate::results::Percentiles) -> f64| move |p: &Point| p.latency(metric).map(f);
    let series = vec![
        over_time(s, "p50", pick(|l| l.p50_ms)),
        over_time(s, "p99", pick(|l| l.p99_ms)),
        over_time(s, "max", pick(|l| l.max_ms)),
    ];
    let title = format!("{} over time", crate::table::metric_title(metric));
    if series[0].points.is_empty() {
        return Slot::Empty {
            title,
            reason: format!("no {metric} was recorded in this run"),
        };
    }
    Slot::Plot(plot(&format!("{metric}-time"), &title, "ms", series))
}

/// One percentile-curve chart per distribution.
pub(crate) fn distribution_plots(distributions: &[Distribution]) -> Vec<Plot> {
    distributions
        .iter()
        .map(|d| Plot {
            id: format!("chart-{}-distribution", d.metric),
            title: format!("{} distribution", crate::table::metric_title(&d.metric)),
            x: XAxis::Percentile,
            unit: "ms".to_owned(),
            series: d
                .curves
                .iter()
                .map(|(label, curve)| Series {
                    label: label.clone(),
                    points: curve.points.iter().map(|(x, _, v)| (*x, *v)).collect(),
                })
                .collect(),
        })
        .collect()
}
