//! The Server-Sent Events wire format, exactly as the WHATWG HTML standard
//! defines it: an incremental [`Parser`] and an [`EventBuilder`] encoder.
//!
//! This crate does no I/O, runs no async runtime and reads no clock, so the
//! same code serves the reconnecting client, the broadcast server, the load
//! engine and the fuzzer.
//!
//! - [`Parser`] takes byte chunks as they arrive and hands back [`Item`]s:
//!   dispatched [`Event`]s, comments (when asked for) and `retry` changes.
//!   Its output does not depend on how the bytes are split into chunks.
//!   [`Limits`] bound the memory a hostile stream can make it hold.
//! - [`EventBuilder`] writes an event block and refuses what cannot be encoded
//!   ([`EncodeError`]); what it writes parses back to the same event.
//!
//! ```
//! use sseload_proto::{EventBuilder, Item, Parser};
//!
//! let bytes = EventBuilder::new().event("tick").id("1").data("line one\nline two").encode()?;
//! let mut parser = Parser::new();
//! let mut items = Vec::new();
//! parser.feed(&bytes, |item| items.push(item))?;
//! let [Item::Event(event)] = items.as_slice() else { panic!("one event expected") };
//! assert_eq!(event.event_type(), "tick");
//! assert_eq!(event.data(), "line one\nline two");
//! assert_eq!(event.id(), "1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::{
    encode::{EventBuilder, KEEP_ALIVE, comment},
    error::{EncodeError, ParseError},
    event::{DEFAULT_EVENT_TYPE, Event},
    parse::{DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_LEN, Item, Limits, Parser},
};

mod encode;
mod error;
mod event;
mod interpret;
mod parse;
mod utf8;
