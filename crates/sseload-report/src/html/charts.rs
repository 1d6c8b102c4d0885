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

/// Where each point of the time series sits on the time axis, and how long
/// a stretch it covers. Points cover whole seconds, except the engine's last
/// one: it repeats the last second's number and covers the run's remainder
/// (say 0.12 s), so it is drawn at the run's end and its counts are divided
/// by its length to stay per-second rates.
#[derive(Debug)]
struct Clock<'a> {
    points: &'a [Point],
    at: Vec<f64>,
    width: Vec<f64>,
}

impl<'a> Clock<'a> {
    fn new(results: &'a Results) -> Self {
        let mut at: Vec<f64> = Vec::with_capacity(results.series.len());
        for p in &results.series {
            let previous = at.last().copied().unwrap_or(0.0);
            let x = p.second as f64;
            let end = results.meta.duration_s;
            at.push(if x > previous || at.is_empty() {
                x
            } else {
                end.max(previous)
            });
        }
        let width = at
            .iter()
            .scan(0.0, |previous, x| {
                let w = x - *previous;
                *previous = *x;
                Some(if w > 0.0 { w } else { 1.0 })
            })
            .collect();
        Self {
            points: &results.series,
            at,
            width,
        }
    }

    /// A value as it stood at each point (users, open streams, percentiles).
    fn level(&self, label: &str, value: impl Fn(&Point) -> Option<f64>) -> Series {
        self.series(label, |p, _| value(p))
    }

    /// A count per point as a rate per second of the stretch it covers.
    fn rate(&self, label: &str, count: impl Fn(&Point) -> Option<u64>) -> Series {
        self.series(label, |p, width| count(p).map(|n| n as f64 / width))
    }

    fn series(&self, label: &str, value: impl Fn(&Point, f64) -> Option<f64>) -> Series {
        let points = self
            .points
            .iter()
            .zip(self.at.iter().zip(&self.width))
            .filter_map(|(p, (x, w))| value(p, *w).map(|v| (*x, v)))
            .collect();
        Series {
            label: label.to_owned(),
            points,
        }
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
    if results.series.is_empty() {
        return vec![Slot::Empty {
            title: "The run over time".to_owned(),
            reason: "the results file has no time series (the run lasted under a second)"
                .to_owned(),
        }];
    }
    let s = Clock::new(results);
    let mut slots = vec![
        Slot::Plot(plot(
            "users",
            "Active users and open streams",
            "",
            vec![
                s.level("users", |p| Some(p.users as f64)),
                s.level("streams", |p| Some(p.streams as f64)),
            ],
        )),
        Slot::Plot(plot(
            "arrivals",
            "Users started per second",
            "/s",
            vec![s.rate("arrivals", |p| Some(p.arrivals))],
        )),
        Slot::Plot(plot(
            "events",
            "Events received per second",
            "/s",
            vec![s.rate("events", |p| Some(p.events))],
        )),
        Slot::Plot(plot(
            "outcomes",
            "Requests and checks per second",
            "/s",
            vec![s.rate("ok", |p| Some(p.ok)), s.rate("ko", |p| Some(p.ko))],
        )),
        Slot::Plot(plot(
            "errors",
            "Errors per second",
            "/s",
            vec![s.rate("errors", |p| Some(p.errors))],
        )),
    ];
    slots.push(stream_health(results, &s));
    slots.extend(KEY_METRICS.iter().map(|m| latency_over_time(&s, m)));
    let recorded = |m: &&&str| results.series.iter().any(|p| p.latency(m).is_some());
    slots.extend(
        OTHER_METRICS
            .iter()
            .filter(recorded)
            .map(|m| latency_over_time(&s, m)),
    );
    slots
}

/// Reconnects and missed ids per second, when the engine recorded them.
fn stream_health(results: &Results, s: &Clock<'_>) -> Slot {
    let reconnects = s.rate("reconnects", |p| p.reconnects);
    let missed = s.rate("missed ids", |p| p.missed);
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

fn latency_over_time(s: &Clock<'_>, metric: &str) -> Slot {
    let pick =
        |f: fn(&crate::results::Percentiles) -> f64| move |p: &Point| p.latency(metric).map(f);
    let series = vec![
        s.level("p50", pick(|l| l.p50_ms)),
        s.level("p99", pick(|l| l.p99_ms)),
        s.level("max", pick(|l| l.max_ms)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_partial_second_sits_at_the_end_and_counts_as_a_rate() {
        let text = r#"{"meta": {"plan": "p", "started_at_ms": 0, "duration_s": 2.25}, "stats": [],
            "series": [
              {"second": 1, "users": 3, "streams": 3, "arrivals": 3, "events": 10, "errors": 0},
              {"second": 2, "users": 4, "streams": 4, "arrivals": 1, "events": 20, "errors": 0},
              {"second": 2, "users": 0, "streams": 0, "arrivals": 0, "events": 5, "errors": 0}]}"#;
        let results = Results::from_json(text).unwrap();
        let clock = Clock::new(&results);
        let events = clock.rate("events", |p| Some(p.events));
        assert_eq!(events.points, [(1.0, 10.0), (2.0, 20.0), (2.25, 20.0)]);
        let users = clock.level("users", |p| Some(p.users as f64));
        assert_eq!(users.points, [(1.0, 3.0), (2.0, 4.0), (2.25, 0.0)]);
    }
}
