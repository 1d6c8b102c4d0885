//! The event log behind [`ServerBuilder::data_dir`](crate::ServerBuilder::data_dir):
//! every publish and every close is appended and synced to disk before it is
//! answered, and a restart rebuilds the replay rings and the id sequence
//! from it.
//!
//! The log is one segment file at a time, `segment-<number>.log`. When the
//! segment grows past its size limit, a new one is written holding a
//! snapshot of the hub (the sequence number, each topic's state and replay
//! ring) and the old one is removed: what is kept always covers the replay
//! rings and nothing older. A new segment is written to a `.tmp` file,
//! synced and renamed, so a segment is never seen half-made.
//!
//! The framing is in [`format`]; reading a segment back is in [`recover`].

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::StorageError;
use crate::hub::State;

pub(crate) use self::format::{LoggedEvent, Record};
pub use self::recover::{RecoveryReport, TornTail};

mod format;
mod recover;

/// The default size at which a segment is compacted into a new one.
pub(crate) const DEFAULT_SEGMENT_BYTES: u64 = 16 << 20;

/// The open event log: the segment being appended to.
#[derive(Debug)]
pub(crate) struct Log {
    dir: PathBuf,
    path: PathBuf,
    file: File,
    number: u64,
    len: u64,
    rotate_at: u64,
    segment_bytes: u64,
    /// Set when a failed write could not be taken back: appending after a
    /// partial record would make the log unreadable, so nothing more is written.
    broken: bool,
    buf: Vec<u8>,
}

/// Maps an I/O error to a [`StorageError`] naming the operation and the path.
fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.to_owned();
    move |source| StorageError::Io { op, path, source }
}

fn segment_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("segment-{number:020}.log"))
}

/// The number in a segment's file name.
fn segment_number(name: &str) -> Option<u64> {
    name.strip_prefix("segment-")?
        .strip_suffix(".log")?
        .parse()
        .ok()
}

/// The segment numbers in `dir`, sorted; leftover `.tmp` files are removed.
fn list_segments(dir: &Path) -> Result<Vec<u64>, StorageError> {
    let mut numbers = Vec::new();
    for entry in fs::read_dir(dir).map_err(io("read", dir))? {
        let entry = entry.map_err(io("read", dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("segment-") && name.ends_with(".log.tmp") {
            fs::remove_file(entry.path()).map_err(io("remove", &entry.path()))?;
        } else if let Some(number) = segment_number(&name) {
            numbers.push(number);
        }
    }
    numbers.sort_unstable();
    Ok(numbers)
}

/// Writes a whole segment (header and `body`) under a temporary name, syncs
/// it, and renames it into place.
fn write_segment(dir: &Path, number: u64, body: &[u8]) -> Result<PathBuf, StorageError> {
    let path = segment_path(dir, number);
    let tmp = path.with_extension("log.tmp");
    let mut file = File::create(&tmp).map_err(io("create", &tmp))?;
    file.write_all(&format::header())
        .and_then(|()| file.write_all(body))
        .and_then(|()| file.sync_all())
        .map_err(io("write", &tmp))?;
    fs::rename(&tmp, &path).map_err(io("rename", &tmp))?;
    sync_dir(dir)?;
    Ok(path)
}

/// Makes a rename or removal in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("sync", dir))
}

fn open_append(path: &Path) -> Result<File, StorageError> {
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io("open", path))
}

/// The records that rebuild the hub as it is: the sequence number, then
/// each topic's state and ring.
fn snapshot(state: &State, out: &mut Vec<u8>) {
    format::encode(&Record::Seq(state.seq), out);
    for (name, topic) in &state.topics {
        if topic.ring.is_empty() && !topic.closed && topic.evicted_through == 0 {
            continue;
        }
        let record = Record::Topic {
            name,
            closed: topic.closed,
            evicted_through: topic.evicted_through,
        };
        format::encode(&record, out);
        if topic.ring.is_empty() {
            continue;
        }
        let events = topic.ring.iter().map(|stored| LoggedEvent {
            seq: stored.seq,
            custom_id: stored.custom_id.as_deref(),
            event_type: stored.event_type.as_deref(),
            bytes: &stored.bytes,
        });
        let record = Record::Events {
            topic: name,
            events: events.collect(),
        };
        format::encode(&record, out);
    }
}

impl Log {
    /// Opens the log in `dir` (creating it if needed) and rebuilds `state`
    /// from it; `replay` is the ring size of each topic.
    pub(crate) fn open(
        dir: &Path,
        segment_bytes: u64,
        state: &mut State,
        replay: usize,
    ) -> Result<(Self, RecoveryReport), StorageError> {
        fs::create_dir_all(dir).map_err(io("create", dir))?;
        let numbers = list_segments(dir)?;
        let (number, torn_tail) = match numbers.last() {
            Some(&number) => {
                let path = segment_path(dir, number);
                (number, recover::segment(&path, state, replay)?)
            }
            None => {
                let mut body = Vec::new();
                snapshot(state, &mut body);
                write_segment(dir, 1, &body)?;
                (1, None)
            }
        };
        let mut removed = Vec::new();
        for old in numbers.iter().filter(|n| **n < number) {
            let path = segment_path(dir, *old);
            fs::remove_file(&path).map_err(io("remove", &path))?;
            removed.push(path);
        }
        let path = segment_path(dir, number);
        let file = open_append(&path)?;
        let len = file.metadata().map_err(io("read", &path))?.len();
        let report = RecoveryReport::new(path.clone(), state, torn_tail, removed);
        let log = Self {
            dir: dir.to_owned(),
            path,
            file,
            number,
            len,
            rotate_at: segment_bytes.max(len.saturating_mul(2)),
            segment_bytes,
            broken: false,
            buf: Vec::new(),
        };
        Ok((log, report))
    }

    /// Appends one record and syncs it to disk.
    pub(crate) fn append(&mut self, record: &Record<'_>) -> Result<(), StorageError> {
        if self.broken {
            return Err(StorageError::Broken(self.path.clone()));
        }
        self.buf.clear();
        format::encode(record, &mut self.buf);
        let written = self
            .file
            .write_all(&self.buf)
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            // Take back whatever part of the record reached the file, so that
            // the next record follows a whole one.
            self.broken = self
                .file
                .set_len(self.len)
                .and_then(|()| self.file.sync_data())
                .is_err();
            return Err(io("write", &self.path)(source));
        }
        self.len += self.buf.len() as u64;
        Ok(())
    }

    /// Starts a new segment from a snapshot of `state` once the current one
    /// has grown past its limit, and removes the old one.
    pub(crate) fn compact_if_due(&mut self, state: &State) -> Result<(), StorageError> {
        if self.len < self.rotate_at || self.broken {
            return Ok(());
        }
        let mut body = Vec::new();
        snapshot(state, &mut body);
        let number = self.number + 1;
        let path = write_segment(&self.dir, number, &body)?;
        let file = open_append(&path)?;
        let old = std::mem::replace(&mut self.path, path);
        self.file = file;
        self.number = number;
        self.len = (format::HEADER_LEN + body.len()) as u64;
        // A snapshot bigger than the limit would otherwise be rewritten at every publish.
        self.rotate_at = self.segment_bytes.max(self.len.saturating_mul(2));
        // A segment left behind by a failure here is removed at the next start.
        let _ = fs::remove_file(old);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::sync::Arc;

    use super::{DEFAULT_SEGMENT_BYTES, Log};
    use crate::hub::{Hub, Limits, State};
    use crate::metrics::Counters;
    use crate::{NewEvent, PublishError};

    #[test]
    fn a_failed_write_publishes_nothing_and_one_that_cannot_be_undone_stops_the_log() {
        let dir = std::env::temp_dir().join(format!("sseload-durable-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut state = State::default();
        let (mut log, _) = Log::open(&dir, DEFAULT_SEGMENT_BYTES, &mut state, 8).unwrap();
        // A read-only handle: the write fails, and so does taking it back.
        log.file = File::open(&log.path).unwrap();
        let limits = Limits {
            replay: 8,
            queue: 4,
            max_topics: 8,
            fanout_threads: 1,
        };
        let hub = Hub::restored(limits, Arc::new(Counters::default()), state, Some(log));
        let Err(PublishError::Storage(message)) = hub.publish("t", &[NewEvent::new("x")]) else {
            panic!("the publish must be refused");
        };
        assert!(message.starts_with("cannot write "), "{message}");
        let state = hub.lock();
        assert_eq!((state.seq, state.topics["t"].ring.len()), (0, 0));
        drop(state);
        let Err(PublishError::Storage(message)) = hub.close_topic("t") else {
            panic!("the close must be refused");
        };
        assert!(
            message.ends_with("an earlier failed write could not be undone; restart the server"),
            "{message}"
        );
        assert!(!hub.lock().topics["t"].closed, "the topic stays open");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
