//! What a run measured: exact counts and merged histograms per name, per
//! scenario and for the whole run, the errors table, the time series and the
//! assertion outcomes. Serializes to the results file.

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sseload_metrics::{Histogram, Metric};

use crate::assert::Outcome;
use crate::meta::Meta;
use crate::names::{Name, NameKind};
use crate::record::{Counts, ErrorKind, METRICS, Recorder};
use crate::series::{Point, ms};

/// Everything one run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
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

/// Statistics of one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct Stats {
    /// `name`, `scenario` or `global`.
    #[schemars(extend("enum" = ["name", "scenario", "global"]))]
    pub scope: String,
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
    pub metrics: BTreeMap<String, Line>,
}

/// One metric's statistics, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct SerializedHistogram {
    /// The scenario.
    pub scenario: String,
    /// The name.
    pub name: String,
    /// What the name stands for.
    pub kind: NameKind,
    /// The groups the name is inside, if any.
    pub group: Option<String>,
    /// The metric.
    #[schemars(schema_with = "crate::schema::metric_name")]
    pub metric: String,
    /// Values above the trackable range, recorded as its maximum.
    pub clipped: u64,
    /// HdrHistogram V2 + DEFLATE, base64.
    pub hdr: String,
}

/// One line of the errors table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
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
        Self::from_parts(names.to_vec(), counts, histograms, errors, seconds)
    }

    /// Totals of `names` from their counts, their histograms (`METRICS` per
    /// name, in name order) and the error counts by (name, kind, message).
    pub(crate) fn from_parts(
        names: Vec<Name>,
        counts: Vec<Counts>,
        histograms: Vec<Histogram>,
        errors: BTreeMap<(usize, ErrorKind, String), u64>,
        seconds: f64,
    ) -> Self {
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
            names,
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
                (!h.is_empty()).then(|| (m.name().to_owned(), self.line(&h)))
            })
            .collect();
        Stats {
            scope: scope.to_owned(),
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

    /// Per name (the scenarios' own names too, so that merging loses no
    /// count), per scenario, global.
    pub(crate) fn all_stats(&self, scenarios: &[String]) -> Vec<Stats> {
        let mut out = Vec::new();
        for (id, name) in self.names.iter().enumerate() {
            out.push(self.stats("name", &[id], Some(name), Some(&name.scenario)));
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
                        kind: name.kind,
                        group: name.group.clone(),
                        metric: metric.name().to_owned(),
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
