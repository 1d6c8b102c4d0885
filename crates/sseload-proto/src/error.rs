//! Typed errors of the parser and the encoder.

/// Why the parser refused a stream.
///
/// The error, like the items delivered before it, does not depend on how the
/// input was split into chunks; offsets count bytes from the start of the stream.
///
/// A parse error is terminal for the stream being parsed: the parser stays
/// poisoned until [`Parser::end_of_stream`](crate::Parser::end_of_stream) is
/// called (a reconnecting client does that before it reconnects).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A line grew past the configured maximum line length before its line end.
    #[error(
        "line starting at byte {line_start} of the stream is longer than the limit of {limit} bytes"
    )]
    LineTooLong {
        /// The configured limit ([`Limits::max_line_len`](crate::Limits::max_line_len)), in bytes.
        limit: usize,
        /// Stream offset of the line's first byte (0 is the first byte of the
        /// stream, a BOM included).
        line_start: u64,
    },
    /// The data and event type of one event grew past the configured maximum event size.
    #[error(
        "event reaches {size} bytes at the line starting at byte {line_start} of the stream, over the limit of {limit} bytes"
    )]
    EventTooLarge {
        /// The configured limit ([`Limits::max_event_size`](crate::Limits::max_event_size)), in bytes.
        limit: usize,
        /// The size the event would have had with the offending line, in bytes.
        size: usize,
        /// Stream offset of the first byte of the line that crossed the limit.
        line_start: u64,
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
