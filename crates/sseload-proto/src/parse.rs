//! The incremental parser: bytes in, [`Item`]s out.
//!
//! The parser follows the WHATWG HTML rules "Parsing an event stream" and
//! "Interpreting an event stream" (section 9.2.6 of the living standard).
//! Each rule is quoted next to the code that applies it. Its output never
//! depends on how the input is split into chunks.

use std::time::Duration;

use memchr::memchr2;

use crate::error::ParseError;
use crate::event::Event;
use crate::interpret::{Interpreter, Oversize};
use crate::utf8::{Line, valid_prefix};

/// Default [`Limits::max_line_len`]: 1 MiB.
pub const DEFAULT_MAX_LINE_LEN: usize = 1 << 20;

/// Default [`Limits::max_event_size`]: 16 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bounds that keep a hostile stream from growing memory without limit.
///
/// With both limits the parser holds at most about `max_line_len` bytes of a
/// partial line and `max_event_size` bytes of a pending event. Crossing one is
/// a [`ParseError`], raised at the same point of the stream however the input
/// is chunked: an unterminated line is refused as soon as it grows too long,
/// without waiting for its line end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest line accepted, in bytes, without its line end (a leading
    /// BOM counts toward the first line).
    pub max_line_len: usize,
    /// The largest event accepted, in bytes of decoded text (an invalid byte
    /// counts as the three bytes of U+FFFD): its data buffer (each `data`
    /// value plus one LF) plus its event type.
    pub max_event_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line_len: DEFAULT_MAX_LINE_LEN,
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
        }
    }
}

/// What the parser hands to its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// A dispatched event.
    Event(Event),
    /// A comment line (a line starting with `:`), without the colon and one
    /// leading space. Only produced when [`Parser::with_comments`] asked for it.
    Comment(String),
    /// A valid `retry` field: the stream's reconnection time is now this long.
    /// Produced when the line is read, before (and whether or not) its block dispatches.
    Retry(Duration),
}

/// An incremental, spec-exact event stream parser.
///
/// Feed it byte chunks as they arrive; it calls back with each [`Item`] as soon
/// as the line that completes it has been read. Complete lines inside a chunk
/// are parsed in place; a trailing partial line is copied once (the value of a
/// partial `data` line straight into the event's data). Each value is decoded
/// from UTF-8 once, as it is appended, and an event costs one allocation (its
/// data) when its type and id repeat.
///
/// ```
/// use sseload_proto::{Item, Parser};
///
/// let mut parser = Parser::new();
/// let mut events = Vec::new();
/// for chunk in [&b"id: 7\ndata: hel"[..], b"lo\r", b"\n\n"] {
///     parser.feed(chunk, |item| events.push(item)).unwrap();
/// }
/// let Item::Event(event) = &events[0] else { panic!() };
/// assert_eq!((event.event_type(), event.data(), event.id()), ("message", "hello", "7"));
/// ```
#[derive(Debug)]
pub struct Parser {
    limits: Limits,
    stream: StreamState,
    interpreter: Interpreter,
    poisoned: Option<ParseError>,
}

/// Per-connection state of the line splitter, reset at the end of each stream.
#[derive(Debug)]
struct StreamState {
    /// Bytes of a line whose line end has not arrived yet (unless it is a data line).
    partial: Vec<u8>,
    /// `Some(len)` while the unfinished line is a `data` line of `len` bytes
    /// so far, whose value goes straight into the interpreter's data buffer.
    data_line: Option<usize>,
    /// The previous chunk ended with CR: an LF starting the next chunk belongs to it.
    skip_lf: bool,
    /// No line has been completed yet, so a leading BOM may still be stripped.
    at_start: bool,
    /// Bytes of this stream fed before the current chunk.
    consumed: u64,
    /// Stream offset of the first byte of the line being read (for errors).
    line_start: u64,
}

impl StreamState {
    fn new() -> Self {
        Self {
            partial: Vec::new(),
            data_line: None,
            skip_lf: false,
            at_start: true,
            consumed: 0,
            line_start: 0,
        }
    }

    /// Strips the BOM from the first line of the stream, once.
    #[inline]
    fn strip_bom<'a>(&mut self, line: Line<'a>) -> Line<'a> {
        if !self.at_start {
            return line;
        }
        self.at_start = false;
        // "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
        line.strip_prefix(BOM).unwrap_or(line)
    }
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with the default [`Limits`] that does not report comments.
    pub fn new() -> Self {
        let limits = Limits::default();
        Self {
            limits,
            stream: StreamState::new(),
            interpreter: Interpreter::new(false, limits.max_event_size),
            poisoned: None,
        }
    }

    /// Sets the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self.interpreter.max_event_size = limits.max_event_size;
        self
    }

    /// Reports comment lines as [`Item::Comment`] (for heartbeat detection).
    #[must_use]
    pub fn with_comments(mut self, comments: bool) -> Self {
        self.interpreter.comments = comments;
        self
    }

    /// Starts from a known last event id, as a client resuming with `Last-Event-ID` does.
    #[must_use]
    pub fn with_last_event_id(mut self, id: &str) -> Self {
        self.interpreter.set_last_event_id(id);
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The event source's last event id: the id buffer as of the last dispatch.
    ///
    /// This is what a client sends as `Last-Event-ID` when it reconnects.
    pub fn last_event_id(&self) -> &str {
        self.interpreter.last_event_id()
    }

    /// The reconnection time set by the last valid `retry` field, if any.
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.interpreter.reconnection_time
    }

    /// Parses one chunk, calling `on_item` for each item it completes.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] when a limit is crossed. Items completed before the
    /// error have been delivered; the rest of the chunk is dropped and the
    /// parser refuses input until [`end_of_stream`](Self::end_of_stream).
    pub fn feed(&mut self, chunk: &[u8], mut on_item: impl FnMut(Item)) -> Result<(), ParseError> {
        if let Some(err) = &self.poisoned {
            return Err(err.clone());
        }
        let result = self.feed_lines(chunk, &mut on_item);
        if let Err(err) = &result {
            self.poisoned = Some(err.clone());
        }
        result
    }

    /// Ends the current stream (the connection closed or is about to be replaced).
    ///
    /// "Once the end of the file is reached, any pending data must be
    /// discarded. (If the file ends in the middle of an event, before the final
    /// empty line, the incomplete event is not dispatched.)" The last event id
    /// and the reconnection time persist, so the same parser serves the next
    /// connection of a reconnecting client.
    ///
    /// The next stream's last event ID buffer starts from the last event id
    /// (not from the empty string), as browsers do: an `id` line of a block
    /// cut off by the end of the stream is forgotten, and the first event of
    /// the new stream carries the id the client resumed from.
    pub fn end_of_stream(&mut self) {
        let mut partial = std::mem::take(&mut self.stream.partial);
        partial.clear();
        self.stream = StreamState {
            partial,
            ..StreamState::new()
        };
        self.interpreter.end_of_stream();
        self.poisoned = None;
    }

    fn feed_lines(
        &mut self,
        chunk: &[u8],
        on_item: &mut impl FnMut(Item),
    ) -> Result<(), ParseError> {
        let base = self.stream.consumed;
        self.stream.consumed += chunk.len() as u64;
        let mut rest = chunk;
        if self.stream.skip_lf && !rest.is_empty() {
            // "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair"
            // is one line end, even when the CR ended the previous chunk.
            self.stream.skip_lf = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
                self.stream.line_start = base + 1;
            }
        }
        if self.has_unfinished_line() {
            let Some(end) = memchr2(b'\n', b'\r', rest) else {
                return self.buffer_partial(Line::from_bytes(rest));
            };
            self.finish_unfinished_line(&rest[..end], on_item)?;
            rest = &rest[end + self.line_end_len(&rest[end..])..];
            self.stream.line_start = base + (chunk.len() - rest.len()) as u64;
        }
        self.complete_lines(rest, base + (chunk.len() - rest.len()) as u64, on_item)
    }

    /// The hot loop: parses in place the lines that start and end inside
    /// `body` (which starts at stream offset `base`), and keeps the rest.
    ///
    /// `body` is validated as UTF-8 once; lines inside its valid prefix are
    /// handed on as text and need no validation of their own.
    fn complete_lines(
        &mut self,
        body: &[u8],
        base: u64,
        on_item: &mut impl FnMut(Item),
    ) -> Result<(), ParseError> {
        let text = valid_prefix(body);
        let mut at = 0;
        while let Some(len) = find_line_end(&body[at..]) {
            let end = at + len;
            self.line(Line::new(&body[at..end], text.get(at..end)), on_item)?;
            at = end + self.line_end_len(&body[end..]);
            // A blank line right after a line ended by LF: the usual end of an event.
            while body.get(at) == Some(&b'\n') {
                self.interpreter.dispatch(on_item);
                at += 1;
            }
            self.stream.line_start = base + at as u64;
        }
        // The rest is text only if all of the body was valid.
        let rest_text = text.get(at..).filter(|rest| rest.len() == body.len() - at);
        self.buffer_partial(Line::new(&body[at..], rest_text))
    }

    /// The length of the line end (CR, LF, or CRLF) that starts `rest`.
    #[inline]
    fn line_end_len(&mut self, rest: &[u8]) -> usize {
        match rest {
            [b'\r', b'\n', ..] => 2,
            [b'\r'] => {
                // The LF of a CRLF may start the next chunk.
                self.stream.skip_lf = true;
                1
            }
            _ => 1,
        }
    }

    #[inline]
    fn has_unfinished_line(&self) -> bool {
        self.stream.data_line.is_some() || !self.stream.partial.is_empty()
    }

    /// Keeps the bytes of a line whose line end has not arrived yet.
    fn buffer_partial(&mut self, rest: Line<'_>) -> Result<(), ParseError> {
        let bytes = rest.bytes();
        if bytes.is_empty() {
            return Ok(());
        }
        if let Some(len) = self.stream.data_line {
            self.check_line_len(len + bytes.len())?;
            self.stream.data_line = Some(len + bytes.len());
            self.interpreter.continue_data_line(bytes);
            return Ok(());
        }
        self.check_line_len(self.stream.partial.len() + bytes.len())?;
        if self.stream.partial.is_empty()
            && let Some(value) = data_line_value(rest, self.stream.at_start)
        {
            self.begin_data_line(value, bytes.len());
            return Ok(());
        }
        let mut partial = std::mem::take(&mut self.stream.partial);
        partial.extend_from_slice(bytes);
        if let Some(value) = data_line_value(Line::from_bytes(&partial), self.stream.at_start) {
            self.begin_data_line(value, partial.len());
            partial.clear();
        }
        self.stream.partial = partial;
        Ok(())
    }

    /// Streams the rest of an unfinished `data` line (of `len` bytes so far)
    /// straight into the data buffer, starting with `value`.
    fn begin_data_line(&mut self, value: Line<'_>, len: usize) {
        self.interpreter.begin_data_line(value);
        self.stream.data_line = Some(len);
        self.stream.at_start = false;
    }

    /// Ends the line buffered over earlier chunks; `tail` is its part in this chunk.
    fn finish_unfinished_line(
        &mut self,
        tail: &[u8],
        on_item: &mut impl FnMut(Item),
    ) -> Result<(), ParseError> {
        if let Some(len) = self.stream.data_line.take() {
            self.check_line_len(len + tail.len())?;
            self.interpreter.continue_data_line(tail);
            return self
                .interpreter
                .end_data_line()
                .map_err(|err| self.event_too_large(err));
        }
        let mut line = std::mem::take(&mut self.stream.partial);
        line.extend_from_slice(tail);
        let result = self.line(Line::from_bytes(&line), on_item);
        line.clear();
        self.stream.partial = line;
        result
    }

    /// Processes one complete line, without its line end.
    fn line(&mut self, line: Line<'_>, on_item: &mut impl FnMut(Item)) -> Result<(), ParseError> {
        self.check_line_len(line.len())?;
        let line = self.stream.strip_bom(line);
        if line.is_empty() {
            // "If the line is empty (a blank line): Dispatch the event."
            self.interpreter.dispatch(on_item);
            return Ok(());
        }
        self.interpreter
            .line(line, on_item)
            .map_err(|err| self.event_too_large(err))
    }

    #[inline]
    fn check_line_len(&self, len: usize) -> Result<(), ParseError> {
        if len <= self.limits.max_line_len {
            return Ok(());
        }
        Err(ParseError::LineTooLong {
            limit: self.limits.max_line_len,
            line_start: self.stream.line_start,
        })
    }

    fn event_too_large(&self, err: Oversize) -> ParseError {
        ParseError::EventTooLarge {
            limit: self.limits.max_event_size,
            size: err.size,
            line_start: self.stream.line_start,
        }
    }
}

/// The value so far of an unfinished line, if it is known to be a `data` line:
/// past "data:" plus one byte, it is known whether a space is to be removed.
fn data_line_value(line: Line<'_>, at_start: bool) -> Option<Line<'_>> {
    let line = if at_start {
        line.strip_prefix(BOM).unwrap_or(line)
    } else {
        line
    };
    let value = line
        .strip_prefix(b"data:")
        .filter(|value| !value.is_empty())?;
    Some(value.strip_one_space())
}

/// The index of the first CR or LF in `bytes`.
///
/// Field lines are short, and for a short haystack `memchr2` costs more to set
/// up than to run, so the first 32 bytes are tested eight at a time with SWAR
/// (no per-byte branch); the rest of a long line goes to `memchr2`.
#[inline]
fn find_line_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    const CR: u64 = u64::from_ne_bytes([b'\r'; 8]);
    let mut offset = 0;
    for word in bytes.chunks_exact(8).take(4) {
        let word = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        let (lf, cr) = (word ^ LF, word ^ CR);
        // A byte of `lf` or `cr` is zero where `word` holds LF or CR; the lowest
        // flagged byte is exact (borrows only flag bytes above a true zero).
        let zeros = (lf.wrapping_sub(ONES) & !lf | cr.wrapping_sub(ONES) & !cr) & HIGHS;
        if zeros != 0 {
            return Some(offset + zeros.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    memchr2(b'\n', b'\r', &bytes[offset..]).map(|found| offset + found)
}
