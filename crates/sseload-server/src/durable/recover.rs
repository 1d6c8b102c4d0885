//! Reading a segment back into the hub at start-up, and the report of what was found.

use std::fmt;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use sseload_proto::{Item, Limits, Parser};

use super::format::{self, LoggedEvent, Record, Step};
use super::io;
use crate::error::StorageError;
use crate::hub::{State, Stored, Topic, push_ring};

/// What a server found in its data directory when it started.
///
/// Get it from [`RunningServer::recovery`](crate::RunningServer::recovery).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoveryReport {
    /// The segment file the log now appends to.
    pub segment: PathBuf,
    /// The events back in the replay rings.
    pub events: usize,
    /// The topics known again (open or closed).
    pub topics: usize,
    /// How many of them are closed.
    pub closed_topics: usize,
    /// The last id the hub assigned; the next publish gets a higher one.
    pub last_id: u64,
    /// An incomplete last record that was cut off, if there was one.
    pub torn_tail: Option<TornTail>,
    /// Older segment files removed (left over from a compaction cut short).
    pub removed: Vec<PathBuf>,
}

/// An incomplete last record, cut off at start-up. Its publish was never
/// answered (records are synced before the answer), so nothing acknowledged is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TornTail {
    /// The segment file.
    pub file: PathBuf,
    /// Where the incomplete record started; the file now ends there.
    pub offset: u64,
    /// How many bytes were cut off.
    pub bytes: u64,
    /// What was wrong with them.
    pub reason: &'static str,
}

impl fmt::Display for TornTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: cut off an incomplete last record at byte {} ({} bytes, {}); it was never acknowledged",
            self.file.display(),
            self.offset,
            self.bytes,
            self.reason
        )
    }
}

impl RecoveryReport {
    pub(crate) fn new(
        segment: PathBuf,
        state: &State,
        torn_tail: Option<TornTail>,
        removed: Vec<PathBuf>,
    ) -> Self {
        Self {
            segment,
            events: state.topics.values().map(|t| t.ring.len()).sum(),
            topics: state.topics.len(),
            closed_topics: state.topics.values().filter(|t| t.closed).count(),
            last_id: state.seq,
            torn_tail,
            removed,
        }
    }
}

/// Rebuilds `state` from the segment at `path`; cuts off a torn last record.
pub(crate) fn segment(
    path: &Path,
    state: &mut State,
    replay: usize,
) -> Result<Option<TornTail>, StorageError> {
    let bytes = std::fs::read(path).map_err(io("read", path))?;
    format::check_header(&bytes).map_err(|reason| StorageError::Header {
        file: path.to_owned(),
        reason,
    })?;
    let mut at = format::HEADER_LEN;
    let torn = loop {
        match format::next(&bytes, at) {
            Step::Record(record, after) => {
                apply(state, record, replay);
                at = after;
            }
            Step::End => break None,
            Step::Torn(reason) => break Some(reason),
            Step::Corrupt(reason) => {
                return Err(StorageError::Corrupt {
                    file: path.to_owned(),
                    offset: at as u64,
                    reason,
                });
            }
        }
    };
    for topic in state.topics.values_mut() {
        topic.last_data = topic.ring.back().and_then(|s| data_of(&s.bytes));
    }
    let Some(reason) = torn else {
        return Ok(None);
    };
    truncate(path, at as u64)?;
    Ok(Some(TornTail {
        file: path.to_owned(),
        offset: at as u64,
        bytes: (bytes.len() - at) as u64,
        reason,
    }))
}

fn truncate(path: &Path, len: u64) -> Result<(), StorageError> {
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|file| file.set_len(len).and_then(|()| file.sync_all()))
        .map_err(io("truncate", path))
}

fn topic<'s>(state: &'s mut State, name: &str) -> &'s mut Topic {
    state.topics.entry(name.into()).or_default()
}

fn apply(state: &mut State, record: Record<'_>, replay: usize) {
    match record {
        Record::Seq(seq) => state.seq = state.seq.max(seq),
        Record::Topic {
            name,
            closed,
            evicted_through,
        } => {
            let topic = topic(state, name);
            topic.closed |= closed;
            topic.evicted_through = topic.evicted_through.max(evicted_through);
            if topic.closed {
                topic.ring.clear();
            }
        }
        Record::Events {
            topic: name,
            events,
        } => {
            for event in events {
                state.seq = state.seq.max(event.seq);
                let topic = topic(state, name);
                if !topic.closed {
                    push_ring(topic, stored(&event), replay);
                }
            }
        }
    }
}

fn stored(event: &LoggedEvent<'_>) -> Stored {
    Stored {
        seq: event.seq,
        custom_id: event.custom_id.map(Box::from),
        event_type: event.event_type.map(Box::from),
        bytes: Bytes::copy_from_slice(event.bytes),
    }
}

/// The data of an encoded event (what the stock feed's snapshot needs).
fn data_of(bytes: &[u8]) -> Option<std::sync::Arc<str>> {
    let limits = Limits {
        max_line_len: bytes.len(),
        max_event_size: bytes.len(),
    };
    let mut data = None;
    Parser::new()
        .with_limits(limits)
        .feed(bytes, |item| {
            if let Item::Event(event) = item {
                data = Some(event.data().into());
            }
        })
        .ok()?;
    data
}
