//! What can go wrong turning a results file into reports.

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not a results file: not JSON, or a needed field is missing or mistyped.
    #[error("not a sseload results file: {source}")]
    NotResults {
        /// serde_json's error, naming the field and the line.
        source: serde_json::Error,
    },
    /// The JSON summary could not be written.
    #[error("cannot write the JSON summary: {source}")]
    Json {
        /// serde_json's error.
        source: serde_json::Error,
    },
    /// A histogram in the file cannot be decoded.
    #[error("histogram {metric} of {scenario} / {name} cannot be read: {source}")]
    Histogram {
        /// Its scenario.
        scenario: String,
        /// Its name.
        name: String,
        /// Its metric.
        metric: String,
        /// Why it cannot be decoded.
        source: sseload_metrics::HistogramError,
    },
}
