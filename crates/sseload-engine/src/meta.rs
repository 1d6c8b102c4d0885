//! The results file's `meta`: what ran, where, when, for how long, and —
//! for a run split over shards — each shard's own start, lateness and end,
//! kept through merges so that a merged file still says how every part went.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::shard::Shard;

/// About the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct Meta {
    /// The plan's name.
    pub plan: String,
    /// The plan's summary line.
    pub summary: String,
    /// Identifies the plan and the options that shape its load (scenario
    /// file, `--set` values, scale, duration): results only merge when it is
    /// the same.
    pub fingerprint: String,
    /// The target: `embedded (http://…)` or the base URLs.
    pub target: String,
    /// Wall-clock start, milliseconds since the Unix epoch (the earliest shard's, merged).
    pub started_at_ms: u64,
    /// How long it ran, in seconds (from the earliest start to the latest end, merged).
    pub duration_s: f64,
    /// Why it ended: `completed`, `duration` (the cap), `interrupted`, or
    /// `running` (a snapshot written while the run went on). Merged: the
    /// first of `running`, `interrupted`, `duration` that any shard has.
    #[schemars(extend("enum" = ["completed", "duration", "interrupted", "running"]))]
    pub ended_by: String,
    /// Users started.
    pub users_started: u64,
    /// The engine's version.
    pub engine_version: String,
    /// How the run was split, and every shard's part in this file.
    pub shards: Shards,
}

/// The shards in a results file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct Shards {
    /// How many shards the run was split into (1: not split).
    pub count: u32,
    /// The shards whose measurements this file holds, by index.
    pub runs: Vec<ShardRun>,
}

impl Shards {
    /// The indexes of the shards of `count` this file lacks.
    pub fn missing(&self) -> Vec<u32> {
        (1..=self.count)
            .filter(|i| self.runs.iter().all(|r| r.index != *i))
            .collect()
    }
}

/// One shard's run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct ShardRun {
    /// Which shard (1-based).
    pub index: u32,
    /// Wall-clock start, milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    /// How long it ran, in microseconds (an integer, so merges are exact).
    pub duration_us: u64,
    /// Why it ended (as [`Meta::ended_by`]).
    pub ended_by: String,
    /// Users it started.
    pub users_started: u64,
    /// The start time it was given (`--start-at`), milliseconds since the Unix epoch.
    pub start_at_ms: Option<u64>,
    /// How late after `start_at_ms` it really started, in milliseconds.
    pub late_ms: Option<u64>,
}

impl ShardRun {
    /// The shard this run was.
    pub fn shard(&self, count: u32) -> Shard {
        Shard {
            index: self.index,
            count,
        }
    }

    /// Wall-clock end, in microseconds since the Unix epoch.
    pub(crate) fn end_us(&self) -> u64 {
        self.started_at_ms
            .saturating_mul(1000)
            .saturating_add(self.duration_us)
    }
}

/// `running` first, then `interrupted`, then `duration`, else `completed`.
pub(crate) fn worst_ending<'a>(endings: impl Iterator<Item = &'a str>) -> String {
    let endings: Vec<&str> = endings.collect();
    ["running", "interrupted", "duration"]
        .into_iter()
        .find(|e| endings.contains(e))
        .unwrap_or("completed")
        .to_owned()
}

/// A stable fingerprint (64-bit FNV-1a, hex) of the given parts, each
/// length-prefixed so that moving a byte between parts changes it.
///
/// ```
/// let a = sseload_engine::fingerprint(&[b"plan", b"x=1"]);
/// assert_eq!(a, sseload_engine::fingerprint(&[b"plan", b"x=1"]));
/// assert_ne!(a, sseload_engine::fingerprint(&[b"planx", b"=1"]));
/// assert_eq!(a.len(), 16);
/// ```
pub fn fingerprint(parts: &[&[u8]]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for part in parts {
        eat(&(part.len() as u64).to_le_bytes());
        eat(part);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_ending_wins() {
        let w = |e: &[&str]| worst_ending(e.iter().copied());
        assert_eq!(w(&["completed", "duration"]), "duration");
        assert_eq!(w(&["duration", "interrupted", "completed"]), "interrupted");
        assert_eq!(w(&["interrupted", "running"]), "running");
        assert_eq!(w(&["completed"]), "completed");
    }

    #[test]
    fn missing_shards_are_listed() {
        let run = |index| ShardRun {
            index,
            started_at_ms: 0,
            duration_us: 1_000_000,
            ended_by: "completed".into(),
            users_started: 1,
            start_at_ms: None,
            late_ms: None,
        };
        let shards = Shards {
            count: 4,
            runs: vec![run(1), run(3)],
        };
        assert_eq!(shards.missing(), [2, 4]);
    }
}
