//! What a run measured: exact counts and merged histograms per name, per
//! scenario and for the whole run, the errors table, the time series and the
//! assertion outcomes. Serializes to the results file.

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use sseload_metrics::{Histogram, Metric};

use crate::assert::Outcome;
use crate::names::{Name, NameKind};
use crate::record::{Counts, ErrorKind, METRICS, Recorder};
use crate::series::{Point, ms};

/// Everything one run measured.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "sseload results", deny_unknown_fields)]
pub struct Report {
    /// About the run.
    pub meta: Meta,
    /// Statistics per name, then per scenario, then for the run.
    pub stats: Vec<Stats>,
    /// Every non-empty histogram, per name (scenario and run figures merge from these).
    pub histograms: Vec<SerializedHistogram>,
    /// The errors table.
    pub errors: Vec<ErrorLine>,
    /// One point per second.
    pub series: Vec<Point>,
    /// The CI gates.
    pub assertions: Vec<Outcome>,
}

/// About the run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Meta {
    /// The plan's name.
    pub plan: String,
    /// The plan's summary line.
    pub summary: String,
    /// The target: `embedded (http://…)` or the base URLs.
    pub target: String,
    /// Wall-clock start, milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    /// How long it ran, in seconds.
    pub duration_s: f64,
    /// Why it ended: `completed`, `duration` (the cap), or `interrupted`.
    #[schemars(extend("enum" = ["completed", "duration", "interrupted"]))]
    pub ended_by: String,
    /// Users started.
    pub users_started: u64,
    /// The engine's version.
    pub engine_version: &'static str,
}

/// Statistics of one scope.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Stats {
    /// `name`, `scenario` or `global`.
    #[schemars(extend("enum" = ["name", "scenario", "global"]))]
    pub scope: &'static str,
    /// The scenario (absent for `global`).
    pub scenario: Option<String>,
    /// The request or check name (only for `name`).
    pub name: Option<String>,
    /// What the name stands for (only for `name`).
    pub kind: Option<NameKind>,
    /// The groups the name is inside, joined by ` / ` (only for `name`, inside groups).
    pub group: Option<String>,
    /// Exact counts.
    pub counts: Counts,
    /// OK and KO per second of the run.
    pub rate: f64,
    /// Every metric with values, by name.
    #[schemars(schema_with = "crate::schema::metrics_map")]
    pub metrics: BTreeMap<&'static str, Line>,
}

/// One metric's statistics, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Line {
    /// Values recorded.
    pub count: u64,
    /// Values recorded per second of the run.
    pub rate: f64,
    /// Smallest.
    pub min: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

/// One histogram in its portable form.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SerializedHistogram {
    /// The scenario.
    pub scenario: String,
    /// The name.
    pub name: String,
    /// The groups the name is inside, if any.
    pub group: Option<String>,
    /// The metric.
    #[schemars(schema_with = "crate::schema::metric_name")]
    pub metric: &'static str,
    /// Values above the trackable range, recorded as its maximum.
    pub clipped: u64,
    /// HdrHistogram V2 + DEFLATE, base64.
    pub hdr: String,
}

/// One line of the errors table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ErrorLine {
    /// The scenario.
    pub scenario: String,
    /// The request, check or scenario name it was recorded under.
    pub name: String,
    /// The groups that name is inside, if any.
    pub group: Option<String>,
    /// Its kind.
    pub kind: ErrorKind,
    /// The message.
    pub message: String,
    /// How many times.
    pub count: u64,
}

/// The run's data merged from every shard.
#[derive(Debug)]
pub(crate) struct Totals {
    pub(crate) names: Vec<Name>,
    pub(crate) counts: Vec<Counts>,
    pub(crate) histograms: Vec<Histogram>,
    pub(crate) errors: Vec<ErrorLine>,
    pub(crate) seconds: f64,
}

impl Totals {
    pub(crate) fn collect(recorder: &Recorder, names: &[Name], seconds: f64) -> Self {
        let mut counts = vec![Counts::default(); names.len()];
        let mut histograms: Vec<Histogram> = Vec::new();
        histograms.resize_with(names.len() * METRICS, Histogram::new);
        let mut errors: BTreeMap<(usize, ErrorKind, String), u64> = BTreeMap::new();
        recorder.each(|store| {
            for (total, c) in counts.iter_mut().zip(&store.counts) {
                total.add(c);
            }
            for (total, h) in histograms.iter_mut().zip(&store.histograms) {
                if let Some(h) = h {
                    total.merge(h);
                }
            }
            for ((name, kind, message), n) in &store.errors {
                *errors.entry((*name, *kind, message.clone())).or_default() += n;
            }
        });
        let errors = errors
            .into_iter()
            .map(|((name, kind, message), count)| ErrorLine {
                scenario: names[name].scenario.clone(),
                name: names[name].name.clone(),
                group: names[name].group.clone(),
                kind,
                message,
                count,
            })
            .collect();
        Self {
            names: names.to_vec(),
            counts,
            histograms,
            errors,
            seconds,
        }
    }

    /// The ids of the names `keep` selects.
    pub(crate) fn select(&self, keep: impl Fn(&Name) -> bool) -> Vec<usize> {
        (0..self.names.len())
            .filter(|i| keep(&self.names[*i]))
            .collect()
    }

    pub(crate) fn counts_of(&self, ids: &[usize]) -> Counts {
        let mut total = Counts::default();
        for id in ids {
            total.add(&self.counts[*id]);
        }
        total
    }

    pub(crate) fn histogram_of(&self, ids: &[usize], metric: Metric) -> Histogram {
        let index = crate::record::metric_index(metric);
        let mut merged = Histogram::new();
        for id in ids {
            merged.merge(&self.histograms[id * METRICS + index]);
        }
        merged
    }

    fn stats(
        &self,
        scope: &'static str,
        ids: &[usize],
        name: Option<&Name>,
        scenario: Option<&str>,
    ) -> Stats {
        let counts = self.counts_of(ids);
        let metrics = Metric::ALL
            .iter()
            .filter_map(|m| {
                let h = self.histogram_of(ids, *m);
                (!h.is_empty()).then(|| (m.name(), self.line(&h)))
            })
            .collect();
        Stats {
            scope,
            scenario: scenario.map(str::to_owned),
            name: name.map(|n| n.name.clone()),
            kind: name.map(|n| n.kind),
            group: name.and_then(|n| n.group.clone()),
            counts,
            rate: (counts.ok + counts.ko) as f64 / self.seconds.max(1e-9),
            metrics,
        }
    }

    fn line(&self, h: &Histogram) -> Line {
        let s = h.summary();
        Line {
            count: s.count,
            rate: s.count as f64 / self.seconds.max(1e-9),
            min: ms(s.min),
            p50: ms(s.p50),
            p75: ms(s.p75),
            p95: ms(s.p95),
            p99: ms(s.p99),
            max: ms(s.max),
            mean: ms(s.mean),
        }
    }

    /// Per name, per scenario, global.
    pub(crate) fn all_stats(&self, scenarios: &[String]) -> Vec<Stats> {
        let mut out = Vec::new();
        for (id, name) in self.names.iter().enumerate() {
            if name.kind != NameKind::Scenario {
                out.push(self.stats("name", &[id], Some(name), Some(&name.scenario)));
            }
        }
        for scenario in scenarios {
            let ids = self.select(|n| &n.scenario == scenario);
            out.push(self.stats("scenario", &ids, None, Some(scenario)));
        }
        let all: Vec<usize> = (0..self.names.len()).collect();
        out.push(self.stats("global", &all, None, None));
        out
    }

    pub(crate) fn serialized(&self) -> Vec<SerializedHistogram> {
        let mut out = Vec::new();
        for (id, name) in self.names.iter().enumerate() {
            for (k, metric) in Metric::ALL.iter().enumerate() {
                let h = &self.histograms[id * METRICS + k];
                if !h.is_empty() {
                    out.push(SerializedHistogram {
                        scenario: name.scenario.clone(),
                        name: name.name.clone(),
                        group: name.group.clone(),
                        metric: metric.name(),
                        clipped: h.summary().clipped,
                        hdr: h.to_base64(),
                    });
                }
            }
        }
        out
    }
}

/// Seconds as a float, for rates.
pub(crate) fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
