//! The results file as this crate reads it: the JSON `sseload run --results`
//! writes. Fields the report does not use are ignored, so older and newer
//! engines' files both load; fields it needs are required, and a file without
//! them is refused with serde_json's message naming the field and the line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Error;

/// One run's results.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Results {
    /// About the run.
    pub meta: Meta,
    /// Statistics per name, then per scenario, then for the run.
    pub stats: Vec<Stats>,
    /// The per-name HDR histograms.
    #[serde(default)]
    pub histograms: Vec<SerializedHistogram>,
    /// The errors table.
    #[serde(default)]
    pub errors: Vec<ErrorLine>,
    /// One point per second.
    #[serde(default)]
    pub series: Vec<Point>,
    /// The CI gates.
    #[serde(default)]
    pub assertions: Vec<Outcome>,
}

impl Results {
    /// Reads a results file's text.
    ///
    /// # Errors
    ///
    /// [`Error::NotResults`] when the text is not JSON or lacks a field the
    /// report needs; the message names the field and the line.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        serde_json::from_str(text).map_err(|reason| Error::NotResults { reason })
    }

    /// The statistics of the whole run, if the file has them.
    pub fn global(&self) -> Option<&Stats> {
        self.stats.iter().find(|s| s.scope == "global")
    }

    /// Statistics of one scope kind: `name`, `scenario` or `global`.
    pub fn scoped<'a>(&'a self, scope: &'a str) -> impl Iterator<Item = &'a Stats> + 'a {
        // A scenario's own name (errors of unnamed steps) is kept in the file
        // for exact merges; its figures show in the scenario's line.
        self.stats
            .iter()
            .filter(move |s| s.scope == scope && s.kind.as_deref() != Some("scenario"))
    }

    /// Whether every assertion passed (true when there are none).
    pub fn passed(&self) -> bool {
        self.assertions.iter().all(|a| a.passed)
    }
}

/// About the run.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Meta {
    /// The plan's name.
    pub plan: String,
    /// The plan's summary line.
    #[serde(default)]
    pub summary: String,
    /// The target.
    #[serde(default)]
    pub target: String,
    /// Wall-clock start, milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    /// How long it ran, in seconds.
    pub duration_s: f64,
    /// Why it ended.
    #[serde(default)]
    pub ended_by: String,
    /// Users started.
    #[serde(default)]
    pub users_started: u64,
    /// The engine's version.
    #[serde(default)]
    pub engine_version: String,
    /// How the run was split over processes, and each shard's part.
    #[serde(default)]
    pub shards: Option<Shards>,
}

/// The shards of a distributed run in a results file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Shards {
    /// How many shards the run was split into.
    pub count: u32,
    /// The shards this file holds.
    pub runs: Vec<ShardRun>,
}

/// One shard's run.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ShardRun {
    /// Which shard (1-based).
    pub index: u32,
    /// Why it ended.
    #[serde(default)]
    pub ended_by: String,
    /// How late after `--start-at` it started, in milliseconds.
    #[serde(default)]
    pub late_ms: Option<u64>,
}

impl Meta {
    /// For a split run: `3 of 3 shards`, the missing ones, the late ones and
    /// those that did not complete (`None` for a run in one process).
    pub fn shards_text(&self) -> Option<String> {
        let shards = self.shards.as_ref().filter(|s| s.count > 1)?;
        let mut text = format!("{} of {} shards", shards.runs.len(), shards.count);
        let missing: Vec<String> = (1..=shards.count)
            .filter(|i| shards.runs.iter().all(|r| r.index != *i))
            .map(|i| i.to_string())
            .collect();
        if !missing.is_empty() {
            text.push_str(&format!(" (missing: {})", missing.join(", ")));
        }
        for run in &shards.runs {
            if let Some(late) = run.late_ms.filter(|ms| *ms > 1000) {
                text.push_str(&format!(
                    "; shard {} started {:.1} s late",
                    run.index,
                    late as f64 / 1e3
                ));
            }
            if run.ended_by != "completed" && run.ended_by != "duration" {
                text.push_str(&format!("; shard {} ended: {}", run.index, run.ended_by));
            }
        }
        Some(text)
    }
}

/// Statistics of one scope.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Stats {
    /// `name`, `scenario` or `global`.
    pub scope: String,
    /// The scenario (absent for `global`).
    #[serde(default)]
    pub scenario: Option<String>,
    /// The request or check name (only for `name`).
    #[serde(default)]
    pub name: Option<String>,
    /// `request` or `check` (only for `name`).
    #[serde(default)]
    pub kind: Option<String>,
    /// Exact counts.
    pub counts: Counts,
    /// OK and KO per second of the run.
    #[serde(default)]
    pub rate: f64,
    /// Every metric with values, by name.
    #[serde(default)]
    pub metrics: BTreeMap<String, Line>,
}

impl Stats {
    /// How the scope reads in a table: the name, the scenario or `all`.
    pub fn label(&self) -> String {
        match (&self.scenario, &self.name) {
            (Some(scenario), Some(name)) => format!("{scenario} / {name}"),
            (Some(scenario), None) => format!("{scenario} (scenario)"),
            _ => "all (global)".to_owned(),
        }
    }
}

/// Exact counts of one scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Counts {
    /// Requests or checks that succeeded.
    pub ok: u64,
    /// Requests or checks that failed.
    pub ko: u64,
    /// Events received.
    #[serde(default)]
    pub events: u64,
    /// Bytes of event data received.
    #[serde(default)]
    pub bytes: u64,
    /// Reconnection attempts.
    #[serde(default)]
    pub reconnects: u64,
    /// Sequence numbers skipped.
    #[serde(default)]
    pub missed: u64,
    /// Sequence numbers seen again.
    #[serde(default)]
    pub duplicates: u64,
    /// Events no armed check consumed.
    #[serde(default)]
    pub unmatched: u64,
    /// Streams closed by the engine when their user ended.
    #[serde(default)]
    pub closed_at_user_end: u64,
}

impl Counts {
    /// The share of failed requests and checks, in percent (0 when there were none).
    pub fn ko_percent(&self) -> f64 {
        let total = self.ok + self.ko;
        if total == 0 {
            0.0
        } else {
            self.ko as f64 * 100.0 / total as f64
        }
    }
}

/// One metric's statistics, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
pub struct Line {
    /// Values recorded.
    pub count: u64,
    /// Values recorded per second of the run.
    #[serde(default)]
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SerializedHistogram {
    /// The scenario.
    pub scenario: String,
    /// The name.
    pub name: String,
    /// The metric.
    pub metric: String,
    /// Values above the trackable range.
    #[serde(default)]
    pub clipped: u64,
    /// HdrHistogram V2 + DEFLATE, base64.
    pub hdr: String,
}

/// One line of the errors table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ErrorLine {
    /// The scenario.
    pub scenario: String,
    /// The name it was recorded under.
    pub name: String,
    /// Its kind (`timeout`, `status`, …).
    pub kind: String,
    /// The message.
    pub message: String,
    /// How many times.
    pub count: u64,
}

/// One second of the run.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
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
    #[serde(default)]
    pub ok: u64,
    /// Requests and checks that failed during the second.
    #[serde(default)]
    pub ko: u64,
    /// Reconnection attempts during the second, when the engine records them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconnects: Option<u64>,
    /// Sequence numbers skipped during the second, when the engine records them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<u64>,
    /// Percentiles of every metric with values in the second.
    #[serde(default)]
    pub latencies: Vec<Percentiles>,
}

impl Point {
    /// The percentiles of `metric` in this second, if any were recorded.
    pub fn latency(&self, metric: &str) -> Option<&Percentiles> {
        self.latencies.iter().find(|p| p.metric == metric)
    }
}

/// Percentiles of one metric over one second, in milliseconds.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Percentiles {
    /// The metric's name.
    pub metric: String,
    /// How many values were recorded in the second.
    pub count: u64,
    /// The median.
    pub p50_ms: f64,
    /// The 99th percentile.
    pub p99_ms: f64,
    /// The largest value.
    pub max_ms: f64,
}

/// The outcome of one assertion.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Outcome {
    /// The assertion as text.
    pub assertion: String,
    /// Whether it held.
    pub passed: bool,
    /// What was measured, if it could be.
    #[serde(default)]
    pub measured: Option<f64>,
    /// The unit of `measured`.
    #[serde(default)]
    pub unit: String,
    /// Why nothing was measured, when nothing was.
    #[serde(default)]
    pub note: Option<String>,
}

impl Outcome {
    /// The measured value with its unit, or the note saying why there is none.
    pub fn measured_text(&self) -> String {
        match (self.measured, &self.note) {
            (Some(v), _) => crate::units::with_unit(v, &self.unit),
            (None, Some(note)) => format!("not measured: {note}"),
            (None, None) => "not measured".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_say_what_is_missing_late_or_cut_short() {
        let run = |index, late_ms, ended_by: &str| ShardRun {
            index,
            ended_by: ended_by.to_owned(),
            late_ms,
        };
        let mut meta: Meta =
            serde_json::from_str(r#"{"plan":"p","started_at_ms":0,"duration_s":1.0}"#).unwrap();
        assert_eq!(meta.shards_text(), None);
        meta.shards = Some(Shards {
            count: 4,
            runs: vec![run(1, Some(3), "completed"), run(3, Some(2500), "running")],
        });
        assert_eq!(
            meta.shards_text().unwrap(),
            "2 of 4 shards (missing: 2, 4); shard 3 started 2.5 s late; shard 3 ended: running"
        );
    }
}
