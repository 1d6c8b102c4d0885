//! The summary as JSON for scripts: verdict, assertions, the run's counts and
//! per-metric statistics, and error totals (the full data stays in the
//! results file).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::results::{Counts, Line, Outcome};
use crate::{Error, Results};

/// The summary `sseload report --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary<'a> {
    /// The plan's name.
    pub plan: &'a str,
    /// Whether every assertion passed.
    pub passed: bool,
    /// How long the run lasted, in seconds.
    pub duration_s: f64,
    /// Why it ended.
    pub ended_by: &'a str,
    /// Users started.
    pub users_started: u64,
    /// Every assertion's outcome.
    pub assertions: &'a [Outcome],
    /// The run's exact counts.
    pub counts: Counts,
    /// The run's statistics per metric, in milliseconds.
    pub metrics: BTreeMap<&'a str, Line>,
    /// Errors counted, all kinds.
    pub errors_total: u64,
    /// Errors counted per kind.
    pub errors_by_kind: BTreeMap<&'a str, u64>,
}

/// The summary of `results`.
pub fn summary(results: &Results) -> Summary<'_> {
    let global = results.global();
    let mut errors_by_kind: BTreeMap<&str, u64> = BTreeMap::new();
    for e in &results.errors {
        *errors_by_kind.entry(&e.kind).or_default() += e.count;
    }
    Summary {
        plan: &results.meta.plan,
        passed: results.passed(),
        duration_s: results.meta.duration_s,
        ended_by: &results.meta.ended_by,
        users_started: results.meta.users_started,
        assertions: &results.assertions,
        counts: global.map(|g| g.counts).unwrap_or_default(),
        metrics: global
            .map(|g| g.metrics.iter().map(|(k, v)| (k.as_str(), *v)).collect())
            .unwrap_or_default(),
        errors_total: errors_by_kind.values().sum(),
        errors_by_kind,
    }
}

/// The summary as pretty JSON text, ending in a newline.
///
/// # Errors
///
/// [`Error::Json`] if serde_json refuses the summary.
pub fn render(results: &Results) -> Result<String, Error> {
    let mut text =
        serde_json::to_string_pretty(&summary(results)).map_err(|reason| Error::Json { reason })?;
    text.push('\n');
    Ok(text)
}
