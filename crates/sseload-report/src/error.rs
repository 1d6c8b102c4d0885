//! What can go wrong turning a results file into reports.

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not a results file: not JSON, or a needed field is missing or mistyped.
    #[error("not a sseload results file: {reason}")]
    NotResults {
        /// serde_json's error, naming the field and the line.
        reason: serde_json::Error,
    },
    /// The JSON summary could not be written.
    #[error("cannot write the JSON summary: {reason}")]
    Json {
        /// serde_json's error.
        reason: serde_json::Error,
    },
    /// A histogram in the file cannot be decoded.
    #[error("histogram {metric} of {scenario} / {name} cannot be read: {reason}")]
    Histogram {
        /// Its scenario.
        scenario: String,
        /// Its name.
        name: String,
        /// Its metric.
        metric: String,
        /// Why it cannot be decoded.
        reason: sseload_metrics::HistogramError,
    },
}
