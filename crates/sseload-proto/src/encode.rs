//! The encoder: an [`EventBuilder`] that writes spec-conformant event blocks.

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use memchr::{memchr, memchr2};

use crate::error::EncodeError;

/// A comment with no text followed by a blank line: the usual keep-alive.
pub const KEEP_ALIVE: &[u8] = b":\n\n";

/// Builds one event block: `event`, `id`, `retry`, comment and `data` lines,
/// then the blank line that dispatches it.
///
/// Data is split on every line end (CRLF, CR or LF) into several `data:`
/// lines, so a parser gives back the data with each line end turned into LF.
/// Fields that cannot be encoded are refused by [`encode`](Self::encode).
///
/// ```
/// use sseload_proto::EventBuilder;
///
/// let bytes = EventBuilder::new().event("price").id("42").data("a\nb").encode().unwrap();
/// assert_eq!(&bytes[..], b"event: price\nid: 42\ndata: a\ndata: b\n\n");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventBuilder {
    event: Option<String>,
    id: Option<String>,
    data: Option<String>,
    retry: Option<Duration>,
    comment: Option<String>,
}

impl EventBuilder {
    /// An empty block: encoding it alone gives just the blank line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the event type (`event:` line).
    #[must_use]
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// Sets the id (`id:` line). An empty id resets the client's last event id.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the data; line ends split it into several `data:` lines.
    #[must_use]
    pub fn data(mut self, data: impl Into<String>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// Sets the reconnection time (`retry:` line, in whole milliseconds).
    #[must_use]
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Adds a comment; line ends split it into several comment lines.
    #[must_use]
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// Encodes the block into fresh bytes.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when the event type or id holds a line end, or the id holds NUL.
    pub fn encode(&self) -> Result<Bytes, EncodeError> {
        let mut out = BytesMut::with_capacity(self.encoded_len_hint());
        self.encode_into(&mut out)?;
        Ok(out.freeze())
    }

    /// Appends the encoded block to `out`; on error `out` is left unchanged.
    ///
    /// # Errors
    ///
    /// As for [`encode`](Self::encode).
    pub fn encode_into(&self, out: &mut BytesMut) -> Result<(), EncodeError> {
        self.validate()?;
        if let Some(comment) = &self.comment {
            put_lines(out, b":", comment);
        }
        if let Some(event) = &self.event {
            put_field(out, b"event", event.as_bytes());
        }
        if let Some(id) = &self.id {
            put_field(out, b"id", id.as_bytes());
        }
        if let Some(retry) = self.retry {
            put_field(out, b"retry", retry.as_millis().to_string().as_bytes());
        }
        if let Some(data) = &self.data {
            put_lines(out, b"data:", data);
        }
        out.put_u8(b'\n');
        Ok(())
    }

    fn validate(&self) -> Result<(), EncodeError> {
        if let Some(event) = self.event.as_ref().filter(|e| has_line_end(e)) {
            return Err(EncodeError::LineEndInEventType(event.clone()));
        }
        if let Some(id) = &self.id {
            if has_line_end(id) {
                return Err(EncodeError::LineEndInId(id.clone()));
            }
            if memchr(0, id.as_bytes()).is_some() {
                return Err(EncodeError::NulInId(id.clone()));
            }
        }
        Ok(())
    }

    fn encoded_len_hint(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, |s| s.len() + 8);
        text(&self.event) + text(&self.id) + text(&self.data) + text(&self.comment) + 32
    }
}

/// Encodes a comment block (`: text`, then a blank line), splitting it on line ends.
pub fn comment(text: &str) -> Bytes {
    let mut out = BytesMut::with_capacity(text.len() + 4);
    put_lines(&mut out, b":", text);
    out.put_u8(b'\n');
    out.freeze()
}

fn has_line_end(s: &str) -> bool {
    memchr2(b'\n', b'\r', s.as_bytes()).is_some()
}

fn put_field(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.reserve(name.len() + value.len() + 3);
    out.put_slice(name);
    out.put_slice(b": ");
    out.put_slice(value);
    out.put_u8(b'\n');
}

/// Writes `prefix value` once per line of `text`, where CRLF, CR and LF all end a line.
fn put_lines(out: &mut BytesMut, prefix: &[u8], text: &str) {
    let mut rest = text.as_bytes();
    loop {
        let end = memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
        out.reserve(prefix.len() + end + 2);
        out.put_slice(prefix);
        out.put_u8(b' ');
        out.put_slice(&rest[..end]);
        out.put_u8(b'\n');
        if end == rest.len() {
            return;
        }
        let skip = if rest[end..].starts_with(b"\r\n") {
            2
        } else {
            1
        };
        rest = &rest[end + skip..];
    }
}
