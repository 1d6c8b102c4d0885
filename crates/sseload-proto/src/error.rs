//! Typed errors of the parser and the encoder.

/// Why the parser refused a stream.
///
/// A parse error is terminal for the stream being parsed: the parser stays
/// poisoned until [`Parser::end_of_stream`](crate::Parser::end_of_stream) is
/// called (a reconnecting client does that before it reconnects).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A line grew past the configured maximum line length before its line end.
    #[error("line longer than {limit} bytes (at {seen} bytes without a line end)")]
    LineTooLong {
        /// The configured limit, in bytes.
        limit: usize,
        /// How many bytes of the line had been seen when the limit was crossed.
        seen: usize,
    },
    /// The data and event type of one event grew past the configured maximum event size.
    #[error("event larger than {limit} bytes (at {seen} bytes before its blank line)")]
    EventTooLarge {
        /// The configured limit, in bytes.
        limit: usize,
        /// How many bytes the event held when the limit was crossed.
        seen: usize,
    },
}

/// Why the encoder refused an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The event type holds a CR or LF, which would end the `event:` line early.
    #[error("event type {0:?} contains a line end")]
    LineEndInEventType(String),
    /// The id holds a CR or LF, which would end the `id:` line early.
    #[error("event id {0:?} contains a line end")]
    LineEndInId(String),
    /// The id holds NUL, which makes every spec-following parser ignore the id.
    #[error("event id {0:?} contains NUL, which parsers ignore")]
    NulInId(String),
}
