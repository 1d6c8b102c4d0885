//! Why a run could not start.

/// Why the engine refused a plan or could not start a run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An option given to the engine is out of range.
    #[error("invalid option {option}: {reason}")]
    Option {
        /// The option.
        option: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// An SSE client could not be configured (for example an unreadable CA file).
    #[error("cannot configure the SSE client: {0}")]
    Client(#[from] sseload_client::Error),
    /// The embedded demo server did not start.
    #[error("cannot start the embedded server: {0}")]
    Embedded(String),
}
