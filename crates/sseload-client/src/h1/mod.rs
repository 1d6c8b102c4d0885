//! The client's own HTTP/1.1 response path, for the one exchange an event
//! stream makes: write the request, read the response head, then decode the
//! body (chunked, content-length or close-delimited) straight into the parser.
//!
//! It exists for memory: hyper's connection keeps a read buffer of at least
//! 8 KiB, a write buffer and a driver task per connection. Here the response
//! head is read into a buffer that starts at [`head::INITIAL_BUFFER`] bytes,
//! grows only while the head needs it and is freed once the head is parsed;
//! body bytes are read into one scratch buffer per thread, so an idle stream
//! holds no read buffer at all. Partial lines live in the event parser.

use std::io;

pub(crate) use self::body::{BodyReader, Framing};
pub(crate) use self::head::read_head;
pub(crate) use self::request::{encode, write_request};

mod body;
mod head;
mod request;

/// What went wrong on the client's own HTTP/1.1 path
/// ([`Http1Engine::Builtin`](crate::Http1Engine::Builtin)).
///
/// It is the [`source`](std::error::Error::source) of an
/// [`Error::Http`](crate::Error::Http), so a caller can tell a malformed
/// response from a dropped connection with `downcast_ref`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Http1Error {
    /// The status line is not `HTTP/1.x NNN reason`.
    #[error("malformed status line {0:?}")]
    StatusLine(String),
    /// A header line is not `name: value` with a token name and visible value bytes.
    #[error("malformed header line {0:?}")]
    HeaderLine(String),
    /// The response head has more header fields than the client accepts.
    #[error("more than {0} header fields in the response head")]
    TooManyHeaders(usize),
    /// The response head did not end within the size the client accepts.
    #[error("response head larger than {limit} bytes")]
    HeadTooLarge {
        /// The largest response head accepted, in bytes.
        limit: usize,
    },
    /// The connection closed before the response head was complete.
    #[error("connection closed after {read} bytes, before the response head was complete")]
    IncompleteHead {
        /// The bytes of the head that had arrived.
        read: usize,
    },
    /// A `content-length` that is not one decimal number.
    #[error("invalid content-length {0:?}")]
    ContentLength(String),
    /// The chunked body broke its framing.
    #[error("malformed chunked body at byte {at}: {problem}")]
    Chunked {
        /// What was wrong.
        problem: &'static str,
        /// The offset in the body (framing included) of the offending byte.
        at: u64,
    },
    /// The connection closed before the end the body's framing announced.
    #[error("connection closed before the end of the {0} body")]
    IncompleteBody(&'static str),
    /// Reading or writing the connection failed.
    #[error("connection error: {0}")]
    Io(#[from] io::Error),
}

/// Whether a transfer-coding list ends in `chunked`.
fn ends_in_chunked(value: &http::HeaderValue) -> bool {
    value
        .as_bytes()
        .rsplit(|&b| b == b',')
        .next()
        .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}
