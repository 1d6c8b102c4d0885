//! Merging results files of the shards of one run into the report of the
//! whole run: counts add, histograms add exactly, the per-second series
//! align on wall-clock seconds, and the plan's assertions are evaluated again
//! on the merged data. Merging is associative and commutative: the result
//! does not depend on how the files are grouped or ordered.

mod series;

use std::collections::{BTreeMap, HashMap};

use sseload_metrics::{Histogram, Metric};

use crate::meta::{Meta, ShardRun, Shards, worst_ending};
use crate::names::{Name, NameKind};
use crate::record::{Counts, ErrorKind, METRICS, metric_index};
use crate::report::{Report, SerializedHistogram, Totals};

/// One results file to merge, with the label (its path) errors name it by.
#[derive(Debug, Clone)]
pub struct Part {
    /// Where it came from.
    pub label: String,
    /// What it holds.
    pub report: Report,
}

/// Why results could not be merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// No file was given.
    #[error("nothing to merge: give at least one results file")]
    Empty,
    /// The files come from different plans (or options that shape the load).
    #[error(
        "{label}: plan {found} is not the plan of {first} ({expected}); only shards of one run merge"
    )]
    DifferentPlan {
        /// The file that differs.
        label: String,
        /// Its plan and fingerprint: `` `name` (fingerprint …) ``.
        found: String,
        /// The first file.
        first: String,
        /// The first file's plan and fingerprint.
        expected: String,
    },
    /// The files split the run into different numbers of shards.
    #[error("{label}: the run is split into {found} shards there, but into {expected} in {first}")]
    ShardCount {
        /// The file that differs.
        label: String,
        /// Its shard count.
        found: u32,
        /// The first file.
        first: String,
        /// The first file's shard count.
        expected: u32,
    },
    /// Two files hold the same shard.
    #[error("shard {shard} is in both {first} and {second}; each shard must be merged once")]
    SameShard {
        /// The shard, `I/N`.
        shard: String,
        /// One file.
        first: String,
        /// The other.
        second: String,
    },
    /// A histogram does not decode.
    #[error(
        "{label}: histogram {metric} of `{name}` (scenario `{scenario}`) is corrupted: {reason}"
    )]
    Histogram {
        /// The file.
        label: String,
        /// The scenario.
        scenario: String,
        /// The name.
        name: String,
        /// The metric.
        metric: String,
        /// What is wrong.
        reason: String,
    },
    /// The file contradicts itself.
    #[error("{label}: {reason}")]
    Inconsistent {
        /// The file.
        label: String,
        /// What does not fit.
        reason: String,
    },
}

/// Merges the results of shards of one run.
///
/// # Errors
///
/// [`MergeError`]: no input, different plans or shard counts, a shard given
/// twice, a corrupted histogram, an inconsistent file.
pub fn merge(parts: &[Part]) -> Result<Report, MergeError> {
    let ordered = check(parts)?;
    let mut names = NameTable::default();
    for part in &ordered {
        names.add_part(part)?;
    }
    let runs = shard_runs(&ordered);
    let seconds = span_s(&runs);
    let totals = Totals::from_parts(
        names.names,
        names.counts,
        names.histograms,
        names.errors,
        seconds,
    );
    let scenarios = scenarios(&ordered);
    let first = &ordered[0].report;
    let assertions = first
        .assertions
        .iter()
        .map(|o| o.rule.to_assertion())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|reason| inconsistent(&ordered[0].label, format!("assertion: {reason}")))?;
    Ok(Report {
        meta: meta(&ordered, runs, seconds),
        stats: totals.all_stats(&scenarios),
        histograms: totals.serialized(),
        errors: totals.errors.clone(),
        series: series::merge(&ordered)?,
        assertions: crate::assert::evaluate(&assertions, &totals),
    })
}

fn inconsistent(label: &str, reason: String) -> MergeError {
    MergeError::Inconsistent {
        label: label.to_owned(),
        reason,
    }
}

/// Refuses what does not merge; the parts ordered by their lowest shard.
fn check(parts: &[Part]) -> Result<Vec<&Part>, MergeError> {
    let first = parts.first().ok_or(MergeError::Empty)?;
    let expected = &first.report.meta;
    let mut seen: HashMap<u32, &str> = HashMap::new();
    for part in parts {
        let meta = &part.report.meta;
        if meta.fingerprint != expected.fingerprint || meta.plan != expected.plan {
            let plan = |m: &Meta| format!("`{}` (fingerprint {})", m.plan, m.fingerprint);
            return Err(MergeError::DifferentPlan {
                label: part.label.clone(),
                found: plan(meta),
                first: first.label.clone(),
                expected: plan(expected),
            });
        }
        if meta.shards.count != expected.shards.count {
            return Err(MergeError::ShardCount {
                label: part.label.clone(),
                found: meta.shards.count,
                first: first.label.clone(),
                expected: expected.shards.count,
            });
        }
        check_runs(part, &mut seen)?;
    }
    let mut ordered: Vec<&Part> = parts.iter().collect();
    ordered.sort_by_key(|p| p.report.meta.shards.runs.iter().map(|r| r.index).min());
    Ok(ordered)
}

/// Each shard once, and within the file's shard count.
fn check_runs<'a>(part: &'a Part, seen: &mut HashMap<u32, &'a str>) -> Result<(), MergeError> {
    let shards = &part.report.meta.shards;
    if shards.runs.is_empty() {
        return Err(inconsistent(&part.label, "it lists no shard run".into()));
    }
    for run in &shards.runs {
        if run.index == 0 || run.index > shards.count {
            let reason = format!("shard {} of {} is out of range", run.index, shards.count);
            return Err(inconsistent(&part.label, reason));
        }
        if let Some(first) = seen.insert(run.index, &part.label) {
            return Err(MergeError::SameShard {
                shard: run.shard(shards.count).to_string(),
                first: first.to_owned(),
                second: part.label.clone(),
            });
        }
    }
    Ok(())
}

/// Every shard run, by index.
fn shard_runs(parts: &[&Part]) -> Vec<ShardRun> {
    let mut runs: Vec<ShardRun> = parts
        .iter()
        .flat_map(|p| p.report.meta.shards.runs.iter().cloned())
        .collect();
    runs.sort_by_key(|r| r.index);
    runs
}

/// From the earliest start to the latest end, in seconds.
fn span_s(runs: &[ShardRun]) -> f64 {
    let start = runs.iter().map(|r| r.started_at_ms).min().unwrap_or(0);
    let end = runs.iter().map(ShardRun::end_us).max().unwrap_or(0);
    end.saturating_sub(start.saturating_mul(1000)) as f64 / 1e6
}

/// The scenarios, in the plan's order.
fn scenarios(parts: &[&Part]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in parts {
        for s in part.report.stats.iter().filter(|s| s.scope == "scenario") {
            if let Some(name) = s.scenario.as_ref().filter(|n| !out.contains(n)) {
                out.push(name.clone());
            }
        }
    }
    out
}

fn meta(parts: &[&Part], runs: Vec<ShardRun>, seconds: f64) -> Meta {
    let first = &parts[0].report.meta;
    let mut targets: Vec<&str> = Vec::new();
    for part in parts {
        let target = part.report.meta.target.as_str();
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    let mut versions: Vec<&str> = parts
        .iter()
        .map(|p| p.report.meta.engine_version.as_str())
        .collect();
    versions.sort_unstable();
    versions.dedup();
    Meta {
        plan: first.plan.clone(),
        summary: first.summary.clone(),
        fingerprint: first.fingerprint.clone(),
        target: targets.join("; "),
        started_at_ms: runs.iter().map(|r| r.started_at_ms).min().unwrap_or(0),
        duration_s: seconds,
        ended_by: worst_ending(runs.iter().map(|r| r.ended_by.as_str())),
        users_started: runs.iter().map(|r| r.users_started).sum(),
        engine_version: versions.join(", "),
        shards: Shards {
            count: first.shards.count,
            runs,
        },
    }
}

/// The names of the merged run, with their counts, histograms and errors.
#[derive(Default)]
struct NameTable {
    names: Vec<Name>,
    ids: HashMap<(String, String, NameKind, Option<String>), usize>,
    counts: Vec<Counts>,
    histograms: Vec<Histogram>,
    errors: BTreeMap<(usize, ErrorKind, String), u64>,
}

impl NameTable {
    fn add_part(&mut self, part: &Part) -> Result<(), MergeError> {
        for s in part.report.stats.iter().filter(|s| s.scope == "name") {
            let (Some(scenario), Some(name), Some(kind)) = (&s.scenario, &s.name, s.kind) else {
                return Err(inconsistent(
                    &part.label,
                    "a name line lacks its scenario, name or kind".into(),
                ));
            };
            let id = self.id(scenario, name, kind, s.group.as_ref());
            self.counts[id].add(&s.counts);
        }
        for h in &part.report.histograms {
            self.add_histogram(&part.label, h)?;
        }
        for e in &part.report.errors {
            let id = self.known(&part.label, &e.scenario, &e.name, None, e.group.as_ref());
            *self
                .errors
                .entry((id?, e.kind, e.message.clone()))
                .or_default() += e.count;
        }
        Ok(())
    }

    fn id(&mut self, scenario: &str, name: &str, kind: NameKind, group: Option<&String>) -> usize {
        let key = (scenario.to_owned(), name.to_owned(), kind, group.cloned());
        if let Some(id) = self.ids.get(&key) {
            return *id;
        }
        self.names.push(Name {
            scenario: key.0.clone(),
            name: key.1.clone(),
            kind,
            group: key.3.clone(),
        });
        self.counts.push(Counts::default());
        self.histograms
            .resize_with(self.names.len() * METRICS, Histogram::new);
        self.ids.insert(key, self.names.len() - 1);
        self.names.len() - 1
    }

    /// The id of a name the file's statistics listed (of any kind when `kind` is `None`).
    fn known(
        &self,
        label: &str,
        scenario: &str,
        name: &str,
        kind: Option<NameKind>,
        group: Option<&String>,
    ) -> Result<usize, MergeError> {
        let fits = |n: &Name| {
            n.scenario == scenario
                && n.name == name
                && n.group.as_ref() == group
                && kind.is_none_or(|k| n.kind == k)
        };
        self.names.iter().position(fits).ok_or_else(|| {
            inconsistent(
                label,
                format!("`{name}` (scenario `{scenario}`) is in no statistics line"),
            )
        })
    }

    fn add_histogram(&mut self, label: &str, h: &SerializedHistogram) -> Result<(), MergeError> {
        let corrupted = |reason: String| MergeError::Histogram {
            label: label.to_owned(),
            scenario: h.scenario.clone(),
            name: h.name.clone(),
            metric: h.metric.clone(),
            reason,
        };
        let metric: Metric = h.metric.parse().map_err(|e| corrupted(format!("{e}")))?;
        let mut decoded = Histogram::from_base64(&h.hdr).map_err(|e| corrupted(e.to_string()))?;
        decoded.set_clipped(h.clipped);
        let id = self.known(label, &h.scenario, &h.name, Some(h.kind), h.group.as_ref())?;
        self.histograms[id * METRICS + metric_index(metric)].merge(&decoded);
        Ok(())
    }
}
