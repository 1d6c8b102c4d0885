//! The incremental parser: bytes in, [`Item`]s out.
//!
//! The parser follows the WHATWG HTML rules "Parsing an event stream" and
//! "Interpreting an event stream" (section 9.2.6 of the living standard).
//! Each rule is quoted next to the code that applies it. Its output never
//! depends on how the input is split into chunks.

use std::sync::Arc;
use std::time::Duration;

use memchr::{memchr, memchr2};

use crate::error::ParseError;
use crate::event::{DEFAULT_EVENT_TYPE, Event};

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
    /// The largest event accepted, in bytes: its data buffer (each `data`
    /// value, decoded, plus one LF) plus its event type.
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
/// are parsed in place; only a trailing partial line is copied.
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
    comments: bool,
    stream: StreamState,
    block: Block,
    /// The "last event ID buffer" of the spec: set by `id` fields.
    id_buffer: Arc<str>,
    /// The "last event ID string" of the event source: set from the buffer at each dispatch.
    last_event_id: Arc<str>,
    reconnection_time: Option<Duration>,
    poisoned: Option<ParseError>,
}

/// Per-connection state, reset at the end of each stream.
#[derive(Debug)]
struct StreamState {
    /// Bytes of a line whose line end has not arrived yet.
    partial: Vec<u8>,
    /// The previous chunk ended with CR: an LF starting the next chunk belongs to it.
    skip_lf: bool,
    /// No line has been completed yet, so a leading BOM may still be stripped.
    at_start: bool,
    /// Bytes of this stream fed before the current chunk.
    consumed: u64,
    /// Stream offset of the first byte of the line being read (for errors).
    line_start: u64,
}

/// The buffers of the block (event) being read.
#[derive(Debug, Default)]
struct Block {
    data: String,
    event_type: String,
    retry: Option<Duration>,
    /// The `Arc` handed out for the previous event type, reused while the type repeats.
    last_type: Option<Arc<str>>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser with the default [`Limits`] that does not report comments.
    pub fn new() -> Self {
        Self {
            limits: Limits::default(),
            comments: false,
            stream: StreamState {
                partial: Vec::new(),
                skip_lf: false,
                at_start: true,
                consumed: 0,
                line_start: 0,
            },
            block: Block::default(),
            id_buffer: Arc::from(""),
            last_event_id: Arc::from(""),
            reconnection_time: None,
            poisoned: None,
        }
    }

    /// Sets the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Reports comment lines as [`Item::Comment`] (for heartbeat detection).
    #[must_use]
    pub fn with_comments(mut self, comments: bool) -> Self {
        self.comments = comments;
        self
    }

    /// Starts from a known last event id, as a client resuming with `Last-Event-ID` does.
    #[must_use]
    pub fn with_last_event_id(mut self, id: &str) -> Self {
        self.last_event_id = Arc::from(id);
        self.id_buffer = Arc::clone(&self.last_event_id);
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
        &self.last_event_id
    }

    /// The reconnection time set by the last valid `retry` field, if any.
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.reconnection_time
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
    pub fn end_of_stream(&mut self) {
        self.stream.partial.clear();
        self.stream.skip_lf = false;
        self.stream.at_start = true;
        self.stream.consumed = 0;
        self.stream.line_start = 0;
        self.block.data.clear();
        self.block.event_type.clear();
        self.block.retry = None;
        self.id_buffer = Arc::clone(&self.last_event_id);
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
        while let Some(end) = memchr2(b'\n', b'\r', rest) {
            self.complete_line(&rest[..end], on_item)?;
            let terminator = rest[end];
            rest = &rest[end + 1..];
            if terminator == b'\r' {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.stream.skip_lf = true,
                }
            }
            self.stream.line_start = base + (chunk.len() - rest.len()) as u64;
        }
        self.buffer_partial(rest)
    }

    fn buffer_partial(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.stream.partial.len() + bytes.len() > self.limits.max_line_len {
            return Err(self.line_too_long());
        }
        self.stream.partial.extend_from_slice(bytes);
        Ok(())
    }

    /// Processes a line whose line end has just been found; `tail` is the part
    /// of it in the current chunk, after any partial bytes buffered earlier.
    fn complete_line(
        &mut self,
        tail: &[u8],
        on_item: &mut impl FnMut(Item),
    ) -> Result<(), ParseError> {
        if self.stream.partial.is_empty() {
            return self.checked_line(tail, on_item);
        }
        let mut line = std::mem::take(&mut self.stream.partial);
        line.extend_from_slice(tail);
        let result = self.checked_line(&line, on_item);
        line.clear();
        self.stream.partial = line;
        result
    }

    fn checked_line(
        &mut self,
        line: &[u8],
        on_item: &mut impl FnMut(Item),
    ) -> Result<(), ParseError> {
        if line.len() > self.limits.max_line_len {
            return Err(self.line_too_long());
        }
        let line = if self.stream.at_start {
            self.stream.at_start = false;
            // "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
            line.strip_prefix(BOM).unwrap_or(line)
        } else {
            line
        };
        self.process_line(line, on_item)
    }

    fn line_too_long(&self) -> ParseError {
        ParseError::LineTooLong {
            limit: self.limits.max_line_len,
            line_start: self.stream.line_start,
        }
    }

    /// Refuses a block whose data and event type would reach `size` bytes.
    fn check_event_size(&self, size: usize) -> Result<(), ParseError> {
        if size <= self.limits.max_event_size {
            return Ok(());
        }
        Err(ParseError::EventTooLarge {
            limit: self.limits.max_event_size,
            size,
            line_start: self.stream.line_start,
        })
    }

    fn process_line(
        &mut self,
        line: &[u8],
        on_item: &mut impl FnMut(Item),
    ) -> Result<(), ParseError> {
        match line.first() {
            // "If the line is empty (a blank line): Dispatch the event."
            None => {
                self.dispatch(on_item);
                Ok(())
            }
            // "If the line starts with a U+003A COLON character (:): Ignore the line."
            Some(b':') => {
                if self.comments {
                    let text = strip_one_space(&line[1..]);
                    on_item(Item::Comment(String::from_utf8_lossy(text).into_owned()));
                }
                Ok(())
            }
            Some(_) => {
                // "If the line contains a U+003A COLON character: collect the
                // characters before the first colon as the field name, and after
                // it as the value; if the value starts with a U+0020 SPACE,
                // remove it. Otherwise the whole line is the field name and the
                // value is the empty string."
                let (name, value) = match memchr(b':', line) {
                    Some(colon) => (&line[..colon], strip_one_space(&line[colon + 1..])),
                    None => (line, &[][..]),
                };
                self.process_field(name, value, on_item)
            }
        }
    }

    fn process_field(
        &mut self,
        name: &[u8],
        value: &[u8],
        on_item: &mut impl FnMut(Item),
    ) -> Result<(), ParseError> {
        // Field names are compared after UTF-8 decoding; a name holding an
        // invalid sequence decodes to U+FFFD and matches none of these, so
        // comparing bytes is equivalent.
        match name {
            b"data" => self.append_data(value)?,
            b"event" => self.set_event_type(value)?,
            b"id" => self.set_id(value),
            b"retry" => {
                if let Some(retry) = parse_retry(value) {
                    self.block.retry = Some(retry);
                    self.reconnection_time = Some(retry);
                    on_item(Item::Retry(retry));
                }
            }
            // "Otherwise: The field is ignored."
            _ => {}
        }
        Ok(())
    }

    /// "Append the field value to the data buffer, then append a single U+000A
    /// LINE FEED (LF) character to the data buffer."
    fn append_data(&mut self, value: &[u8]) -> Result<(), ParseError> {
        let value = String::from_utf8_lossy(value);
        let block = &self.block;
        self.check_event_size(block.data.len() + value.len() + 1 + block.event_type.len())?;
        let data = &mut self.block.data;
        data.reserve(value.len() + 1);
        data.push_str(&value);
        data.push('\n');
        Ok(())
    }

    /// "Set the event type buffer to the field value."
    fn set_event_type(&mut self, value: &[u8]) -> Result<(), ParseError> {
        let value = String::from_utf8_lossy(value);
        self.check_event_size(self.block.data.len() + value.len())?;
        self.block.event_type.clear();
        self.block.event_type.push_str(&value);
        Ok(())
    }

    /// "If the field value does not contain U+0000 NULL, then set the last
    /// event ID buffer to the field value. Otherwise, ignore the field."
    fn set_id(&mut self, value: &[u8]) {
        if memchr(0, value).is_some() || value == self.id_buffer.as_bytes() {
            return;
        }
        self.id_buffer = Arc::from(String::from_utf8_lossy(value));
    }

    /// The spec's "dispatch the event" steps for web browsers.
    fn dispatch(&mut self, on_item: &mut impl FnMut(Item)) {
        // "Set the last event ID string of the event source to the value of
        // the last event ID buffer." This happens even when nothing is dispatched.
        if !Arc::ptr_eq(&self.last_event_id, &self.id_buffer) {
            self.last_event_id = Arc::clone(&self.id_buffer);
        }
        let retry = self.block.retry.take();
        // "If the data buffer is an empty string, set the data buffer and the
        // event type buffer to the empty string and return."
        if self.block.data.is_empty() {
            self.block.event_type.clear();
            return;
        }
        // "If the data buffer's last character is a U+000A LINE FEED (LF)
        // character, then remove the last character from the data buffer."
        self.block.data.pop();
        let event = Event {
            event_type: self.block.take_event_type(),
            data: std::mem::take(&mut self.block.data),
            id: Arc::clone(&self.last_event_id),
            retry,
        };
        on_item(Item::Event(event));
    }
}

impl Block {
    /// "Initialize event's type attribute to 'message' ... If the event type
    /// buffer has a value other than the empty string, change the type of the
    /// newly created event to equal the value of the event type buffer."
    fn take_event_type(&mut self) -> Option<Arc<str>> {
        if self.event_type.is_empty() || self.event_type == DEFAULT_EVENT_TYPE {
            self.event_type.clear();
            return None;
        }
        let reused = self
            .last_type
            .as_ref()
            .filter(|last| ***last == *self.event_type)
            .map(Arc::clone);
        let event_type = reused.unwrap_or_else(|| Arc::from(self.event_type.as_str()));
        self.last_type = Some(Arc::clone(&event_type));
        self.event_type.clear();
        Some(event_type)
    }
}

fn strip_one_space(value: &[u8]) -> &[u8] {
    value.strip_prefix(b" ").unwrap_or(value)
}

/// "If the field value consists of only ASCII digits, then interpret the
/// field value as an integer in base ten, and set the event stream's
/// reconnection time to that integer. Otherwise, ignore the field."
///
/// An empty value is ignored; a value too large for `u64` milliseconds saturates.
fn parse_retry(value: &[u8]) -> Option<Duration> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let millis = value.iter().fold(0u64, |acc, digit| {
        acc.saturating_mul(10)
            .saturating_add(u64::from(digit - b'0'))
    });
    Some(Duration::from_millis(millis))
}
