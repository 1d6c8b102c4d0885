//! "Interpreting an event stream": what each complete line does to the
//! buffers of the block being read, and the dispatch of an event.
//!
//! Values are decoded from UTF-8 as they are appended (U+FFFD for invalid
//! sequences). A line end is ASCII and never part of a multi-byte sequence, so
//! decoding line by line is decoding the stream, as the spec asks.

use std::sync::Arc;
use std::time::Duration;

use memchr::memchr;

use crate::event::{DEFAULT_EVENT_TYPE, Event};
use crate::parse::Item;
use crate::utf8::{Line, Pieces};

const DATA_PREFIX: &[u8] = b"data:";

/// Spare capacity an event's data may keep when handed out: this many bytes
/// plus a quarter of its length. More than that is given back first.
const MAX_SPARE: usize = 64;

/// The block being read would hold `size` bytes, more than the event size limit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Oversize {
    pub(crate) size: usize,
}

/// The spec's buffers and the event source's state that outlives a block.
#[derive(Debug)]
pub(crate) struct Interpreter {
    pub(crate) comments: bool,
    pub(crate) max_event_size: usize,
    /// "data buffer": each `data` value followed by LF.
    data: String,
    /// Decoder state of a data line arriving over several chunks.
    pieces: Pieces,
    /// "event type buffer".
    event_type: String,
    /// The block's own valid `retry`, handed out with its event.
    retry: Option<Duration>,
    /// The `Arc` handed out for the previous event type, reused while the type repeats.
    last_type: Option<Arc<str>>,
    /// The previous event's data length: a capacity hint for the next one.
    data_hint: usize,
    /// "last event ID buffer" (`None` is the empty string).
    id_buffer: Option<Arc<str>>,
    /// The event source's "last event ID string", set from the buffer at each dispatch.
    last_event_id: Option<Arc<str>>,
    /// The event source's reconnection time, set by valid `retry` fields.
    pub(crate) reconnection_time: Option<Duration>,
}

impl Interpreter {
    pub(crate) fn new(comments: bool, max_event_size: usize) -> Self {
        Self {
            comments,
            max_event_size,
            data: String::new(),
            pieces: Pieces::default(),
            event_type: String::new(),
            retry: None,
            last_type: None,
            data_hint: 0,
            id_buffer: None,
            last_event_id: None,
            reconnection_time: None,
        }
    }

    pub(crate) fn last_event_id(&self) -> &str {
        self.last_event_id.as_deref().unwrap_or("")
    }

    pub(crate) fn set_last_event_id(&mut self, id: &str) {
        self.last_event_id = (!id.is_empty()).then(|| Arc::from(id));
        self.id_buffer.clone_from(&self.last_event_id);
    }

    /// Discards the pending block; the last event id and reconnection time stay.
    pub(crate) fn end_of_stream(&mut self) {
        self.data.clear();
        self.pieces.clear();
        self.event_type.clear();
        self.retry = None;
        self.id_buffer.clone_from(&self.last_event_id);
    }

    /// Processes one complete, non-blank line (its BOM already stripped).
    pub(crate) fn line(
        &mut self,
        line: Line<'_>,
        on_item: &mut impl FnMut(Item),
    ) -> Result<(), Oversize> {
        // The usual fields first: a known name and its colon need no search.
        if let Some(value) = line.strip_prefix(DATA_PREFIX) {
            return self.append_data(value.strip_one_space());
        }
        if let Some(value) = line.strip_prefix(b"id:") {
            self.set_id(value.strip_one_space());
            return Ok(());
        }
        if let Some(value) = line.strip_prefix(b"event:") {
            return self.set_event_type(value.strip_one_space());
        }
        // "If the line starts with a U+003A COLON character (:): Ignore the line."
        if let Some(comment) = line.strip_prefix(b":") {
            if self.comments {
                on_item(Item::Comment(
                    comment.strip_one_space().decode().into_owned(),
                ));
            }
            return Ok(());
        }
        // "If the line contains a U+003A COLON character: collect the characters
        // before the first colon as the field name, and after it as the value;
        // if the value starts with a U+0020 SPACE, remove it. Otherwise the
        // whole line is the field name and the value is the empty string."
        let (name, value) = match memchr(b':', line.bytes()) {
            Some(colon) => (
                &line.bytes()[..colon],
                line.skip(colon + 1).strip_one_space(),
            ),
            None => (line.bytes(), line.skip(line.len())),
        };
        self.field(name, value, on_item)
    }

    fn field(
        &mut self,
        name: &[u8],
        value: Line<'_>,
        on_item: &mut impl FnMut(Item),
    ) -> Result<(), Oversize> {
        // Field names are compared after UTF-8 decoding; a name holding an
        // invalid sequence decodes to U+FFFD and matches none of these, so
        // comparing bytes is equivalent.
        match name {
            b"data" => self.append_data(value)?,
            b"event" => self.set_event_type(value)?,
            b"id" => self.set_id(value),
            b"retry" => self.set_retry(value.bytes(), on_item),
            // "Otherwise: The field is ignored."
            _ => {}
        }
        Ok(())
    }

    /// "Append the field value to the data buffer, then append a single U+000A
    /// LINE FEED (LF) character to the data buffer."
    #[inline]
    fn append_data(&mut self, value: Line<'_>) -> Result<(), Oversize> {
        let value = value.decode();
        self.check_size(self.data.len() + value.len() + 1 + self.event_type.len())?;
        self.reserve_data(value.len() + 1);
        self.data.push_str(&value);
        self.data.push('\n');
        Ok(())
    }

    /// Starts a data line whose value arrives over several chunks: `value` is
    /// its first part. Limits are checked when the line ends, by [`Self::end_data_line`].
    pub(crate) fn begin_data_line(&mut self, value: Line<'_>) {
        self.reserve_data(value.len());
        match value.text() {
            // Valid text: no sequence can be cut at its end.
            Some(text) => self.data.push_str(text),
            None => self.pieces.push(&mut self.data, value.bytes()),
        }
    }

    /// Appends more of the value of a data line begun by [`Self::begin_data_line`].
    pub(crate) fn continue_data_line(&mut self, more: &[u8]) {
        self.pieces.push(&mut self.data, more);
    }

    /// Ends a data line begun by [`Self::begin_data_line`] with its LF.
    pub(crate) fn end_data_line(&mut self) -> Result<(), Oversize> {
        self.pieces.finish(&mut self.data);
        self.check_size(self.data.len() + 1 + self.event_type.len())?;
        self.data.push('\n');
        Ok(())
    }

    #[inline]
    fn reserve_data(&mut self, additional: usize) {
        if self.data.capacity() == 0 {
            // Repeated event shapes then need a single allocation per event.
            // An eighth more than last time, so a slightly bigger event fits too.
            self.data
                .reserve(additional.max(self.data_hint + self.data_hint / 8));
        } else {
            self.data.reserve(additional);
        }
    }

    /// "Set the event type buffer to the field value."
    #[inline]
    fn set_event_type(&mut self, value: Line<'_>) -> Result<(), Oversize> {
        let value = value.decode();
        self.check_size(self.data.len() + value.len())?;
        self.event_type.clear();
        self.event_type.push_str(&value);
        Ok(())
    }

    /// "If the field value does not contain U+0000 NULL, then set the last
    /// event ID buffer to the field value. Otherwise, ignore the field."
    #[inline]
    fn set_id(&mut self, value: Line<'_>) {
        let bytes = value.bytes();
        if memchr(0, bytes).is_some() || bytes == self.id_buffer.as_deref().unwrap_or("").as_bytes()
        {
            return;
        }
        self.id_buffer = (!bytes.is_empty()).then(|| Arc::from(value.decode()));
    }

    /// "If the field value consists of only ASCII digits, then interpret the
    /// field value as an integer in base ten, and set the event stream's
    /// reconnection time to that integer. Otherwise, ignore the field."
    fn set_retry(&mut self, value: &[u8], on_item: &mut impl FnMut(Item)) {
        if let Some(retry) = parse_retry(value) {
            self.retry = Some(retry);
            self.reconnection_time = Some(retry);
            on_item(Item::Retry(retry));
        }
    }

    #[inline]
    fn check_size(&self, size: usize) -> Result<(), Oversize> {
        if size > self.max_event_size {
            return Err(Oversize { size });
        }
        Ok(())
    }

    /// The spec's "dispatch the event" steps for web browsers.
    pub(crate) fn dispatch(&mut self, on_item: &mut impl FnMut(Item)) {
        // "Set the last event ID string of the event source to the value of
        // the last event ID buffer." This happens even when nothing is dispatched.
        if !same_id(&self.last_event_id, &self.id_buffer) {
            self.last_event_id.clone_from(&self.id_buffer);
        }
        let retry = self.retry.take();
        // "If the data buffer is an empty string, set the data buffer and the
        // event type buffer to the empty string and return."
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        // "If the data buffer's last character is a U+000A LINE FEED (LF)
        // character, then remove the last character from the data buffer."
        self.data.pop();
        self.data_hint = self.data.len() + 1;
        if self.data.capacity() - self.data.len() > MAX_SPARE + self.data.len() / 4 {
            self.data.shrink_to_fit();
        }
        let event = Event {
            event_type: self.take_event_type(),
            data: std::mem::take(&mut self.data),
            id: self.last_event_id.clone(),
            retry,
        };
        on_item(Item::Event(event));
    }

    /// "Initialize event's type attribute to 'message' ... If the event type
    /// buffer has a value other than the empty string, change the type of the
    /// newly created event to equal the value of the event type buffer."
    #[inline]
    fn take_event_type(&mut self) -> Option<Arc<str>> {
        let name = self.event_type.as_str();
        let event_type = if name.is_empty() || name == DEFAULT_EVENT_TYPE {
            None
        } else if let Some(last) = self.last_type.as_ref().filter(|last| ***last == *name) {
            Some(Arc::clone(last))
        } else {
            let fresh: Arc<str> = Arc::from(name);
            self.last_type = Some(Arc::clone(&fresh));
            Some(fresh)
        };
        self.event_type.clear();
        event_type
    }
}

#[inline]
fn same_id(a: &Option<Arc<str>>, b: &Option<Arc<str>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Arc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// The value of a `retry` field, if it consists of ASCII digits only.
///
/// An empty value is ignored; a value too large for `u64` milliseconds saturates.
#[inline]
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
