//! Why a run could not start.

/// Why the engine refused a plan or could not start a run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The plan uses something this engine does not run yet.
    #[error("unsupported: {construct} (in {place}); {hint}")]
    Unsupported {
        /// What is not supported, as the scenario writes it.
        construct: String,
        /// Where: the scenario (and step) that uses it.
        place: String,
        /// What to do instead.
        hint: String,
    },
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

impl Error {
    pub(crate) fn unsupported(construct: &str, place: &str, hint: &str) -> Self {
        Self::Unsupported {
            construct: construct.to_owned(),
            place: place.to_owned(),
            hint: hint.to_owned(),
        }
    }
}
