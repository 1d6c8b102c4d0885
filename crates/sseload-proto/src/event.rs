//! The decoded event a parser dispatches.

use std::sync::Arc;
use std::time::Duration;

/// The event type used when a block carries no `event` field (or an empty one).
pub const DEFAULT_EVENT_TYPE: &str = "message";

/// One dispatched event, as the WHATWG "Interpreting an event stream" rules define it.
///
/// The event type and the last event id are reference-counted so that a stream
/// repeating the same type or id does not allocate per event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub(crate) event_type: Option<Arc<str>>,
    pub(crate) data: String,
    /// The last event id; `None` is the empty string (no allocation, no refcount).
    pub(crate) id: Option<Arc<str>>,
    pub(crate) retry: Option<Duration>,
}

impl Event {
    /// Makes an event by hand, as a parser would dispatch it (useful in tests).
    ///
    /// An empty `event_type` means [`DEFAULT_EVENT_TYPE`].
    pub fn new(event_type: &str, data: impl Into<String>, id: &str) -> Self {
        let event_type = (!event_type.is_empty() && event_type != DEFAULT_EVENT_TYPE)
            .then(|| Arc::from(event_type));
        Self {
            event_type,
            data: data.into(),
            id: (!id.is_empty()).then(|| Arc::from(id)),
            retry: None,
        }
    }

    /// Returns the same event with the retry field of its block set.
    #[must_use]
    pub fn with_retry(mut self, retry: Duration) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The event type: the last `event` field of the block, or `"message"`.
    pub fn event_type(&self) -> &str {
        self.event_type.as_deref().unwrap_or(DEFAULT_EVENT_TYPE)
    }

    /// The data: every `data` field of the block joined by LF.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// Takes the data out of the event without copying it.
    pub fn into_data(self) -> String {
        self.data
    }

    /// The last event id at dispatch (`""` when the stream never set one).
    ///
    /// Per the spec this persists across events: a block without an `id` field
    /// carries the id set by an earlier block.
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or("")
    }

    /// The reconnection time, if this event's own block carried a valid `retry` field.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }
}
