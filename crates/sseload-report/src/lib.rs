//! Reports from sseload results files: pure functions from the results data
//! to text. The caller reads the file and writes the outputs.
//!
//! - [`Results`] is the results file `sseload run --results` writes, read
//!   with [`Results::from_json`] (a file that is not one gives
//!   [`Error::NotResults`], naming the field and line).
//! - [`html::render`] makes one self-contained HTML page: summary,
//!   assertions, per-name statistics, charts over time and latency
//!   distributions as inline SVG ([`html::charts`] gives the charts alone),
//!   the errors table. No network is needed to view it.
//! - [`csv::files`] gives one CSV per table and per time series,
//!   [`junit::render`] a JUnit XML test case per assertion,
//!   [`markdown::render`] a summary for a CI job page, and
//!   [`json::render`] the summary for scripts.
//! - [`distributions`] decodes and merges the HDR histograms into
//!   percentile curves; [`table`] holds the tables every output shares.
//!
//! ```
//! let text = r#"{
//!   "meta": {"plan": "demo", "started_at_ms": 0, "duration_s": 2.0},
//!   "stats": [{"scope": "global", "counts": {"ok": 3, "ko": 1}}],
//!   "assertions": [{"assertion": "checks.failed_percent (global) < 1 %",
//!                   "passed": false, "measured": 25.0, "unit": "%"}]
//! }"#;
//! let results = sseload_report::Results::from_json(text)?;
//! let xml = sseload_report::junit::render(&results);
//! assert!(xml.contains("<failure type=\"assertion\" message=\"measured 25%\""));
//! let page = sseload_report::html::render(&results)?;
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! # Ok::<(), sseload_report::Error>(())
//! ```

pub use crate::{
    distribution::{Curve, Distribution, distributions},
    error::Error,
    results::{
        Counts, ErrorLine, Line, Meta, Outcome, Percentiles, Point, Results, SerializedHistogram,
        ShardRun, Shards, Stats,
    },
};

pub mod csv;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod table;

mod distribution;
mod error;
mod escape;
mod results;
mod units;
