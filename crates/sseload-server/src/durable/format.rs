//! The on-disk format of the event log.
//!
//! A segment file starts with an 8-byte header: the magic `SSELOG` and the
//! format version as a little-endian `u16`. Records follow, each framed as
//!
//! ```text
//! len: u32 LE | !len: u32 LE | crc32(payload): u32 LE | payload: len bytes
//! ```
//!
//! The length is written twice (the second time inverted) so that a damaged
//! length is recognised as damage rather than followed. The payload starts
//! with a kind byte:
//!
//! - `1` events: topic, count, then per event its sequence number, optional
//!   custom id, optional event type, and its encoded SSE bytes;
//! - `2` topic: name, closed flag, the newest sequence number evicted from its ring;
//! - `3` sequence: the hub-wide sequence number.
//!
//! Strings and byte strings are a `u32 LE` length and the bytes; optional
//! strings are a `0`/`1` byte and then the string. One publish is one record,
//! so a batch is on disk whole or not at all.

/// The first bytes of every segment.
pub(crate) const MAGIC: &[u8; 6] = b"SSELOG";
/// The format version this code reads and writes.
pub(crate) const VERSION: u16 = 1;
/// The header's length: the magic and the version.
pub(crate) const HEADER_LEN: usize = 8;
/// The framing before each payload: length, inverted length, checksum.
const FRAME_LEN: usize = 12;

const KIND_EVENTS: u8 = 1;
const KIND_TOPIC: u8 = 2;
const KIND_SEQ: u8 = 3;

/// One event as the log stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoggedEvent<'a> {
    pub(crate) seq: u64,
    pub(crate) custom_id: Option<&'a str>,
    pub(crate) event_type: Option<&'a str>,
    pub(crate) bytes: &'a [u8],
}

/// One record of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record<'a> {
    /// A published batch (or, in a snapshot, a topic's replay ring).
    Events {
        topic: &'a str,
        events: Vec<LoggedEvent<'a>>,
    },
    /// A topic's state: closed or not, and how far its ring has evicted.
    Topic {
        name: &'a str,
        closed: bool,
        evicted_through: u64,
    },
    /// The hub-wide sequence number (the last id assigned).
    Seq(u64),
}

/// The header of a new segment.
pub(crate) fn header() -> [u8; HEADER_LEN] {
    let mut out = [0; HEADER_LEN];
    out[..6].copy_from_slice(MAGIC);
    out[6..].copy_from_slice(&VERSION.to_le_bytes());
    out
}

/// Checks a segment's header; the reason when it is not one this code reads.
pub(crate) fn check_header(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < HEADER_LEN || &bytes[..6] != MAGIC {
        return Err("no SSELOG header".to_owned());
    }
    let version = u16::from_le_bytes([bytes[6], bytes[7]]);
    if version != VERSION {
        return Err(format!(
            "format version {version}, this build reads {VERSION}"
        ));
    }
    Ok(())
}

/// Appends `record`, framed, to `out`.
pub(crate) fn encode(record: &Record<'_>, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; FRAME_LEN]);
    match record {
        Record::Events { topic, events } => {
            out.push(KIND_EVENTS);
            put_bytes(out, topic.as_bytes());
            put_u32(out, events.len());
            for event in events {
                out.extend_from_slice(&event.seq.to_le_bytes());
                put_optional(out, event.custom_id);
                put_optional(out, event.event_type);
                put_bytes(out, event.bytes);
            }
        }
        Record::Topic {
            name,
            closed,
            evicted_through,
        } => {
            out.push(KIND_TOPIC);
            put_bytes(out, name.as_bytes());
            out.push(u8::from(*closed));
            out.extend_from_slice(&evicted_through.to_le_bytes());
        }
        Record::Seq(seq) => {
            out.push(KIND_SEQ);
            out.extend_from_slice(&seq.to_le_bytes());
        }
    }
    let payload_len = u32::try_from(out.len() - start - FRAME_LEN).unwrap_or(u32::MAX);
    let crc = crc32(&out[start + FRAME_LEN..]);
    out[start..start + 4].copy_from_slice(&payload_len.to_le_bytes());
    out[start + 4..start + 8].copy_from_slice(&(!payload_len).to_le_bytes());
    out[start + 8..start + 12].copy_from_slice(&crc.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, bytes.len());
    out.extend_from_slice(bytes);
}

fn put_optional(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => out.push(0),
        Some(text) => {
            out.push(1);
            put_bytes(out, text.as_bytes());
        }
    }
}

/// What the bytes at one offset of a segment hold.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// A record, and the offset of the next one.
    Record(Record<'a>, usize),
    /// The end of the segment.
    End,
    /// An incomplete last record: a write cut short by a crash.
    Torn(&'static str),
    /// Damage that is not at the end: the rest cannot be trusted.
    Corrupt(String),
}

/// Reads the record at `at`.
pub(crate) fn next(bytes: &[u8], at: usize) -> Step<'_> {
    let rest = &bytes[at..];
    if rest.is_empty() {
        return Step::End;
    }
    if rest.iter().all(|b| *b == 0) {
        return Step::Torn("zero bytes after the last record");
    }
    if rest.len() < FRAME_LEN {
        return Step::Torn("a record's frame is cut short");
    }
    let word = |i: usize| u32::from_le_bytes([rest[i], rest[i + 1], rest[i + 2], rest[i + 3]]);
    let (len, check, crc) = (word(0), word(4), word(8));
    if check != !len {
        return Step::Corrupt(format!("damaged record length {len}"));
    }
    let end = FRAME_LEN + len as usize;
    if end > rest.len() {
        return Step::Torn("the last record is cut short");
    }
    let payload = &rest[FRAME_LEN..end];
    if crc32(payload) != crc {
        if end == rest.len() {
            return Step::Torn("the last record's checksum does not match");
        }
        return Step::Corrupt("checksum mismatch".to_owned());
    }
    match decode(payload) {
        Some(record) => Step::Record(record, at + end),
        None => Step::Corrupt("a record with a valid checksum does not decode".to_owned()),
    }
}

/// Reads a payload; `None` when it is malformed.
fn decode(payload: &[u8]) -> Option<Record<'_>> {
    let mut r = Reader(payload);
    let record = match r.u8()? {
        KIND_EVENTS => {
            let topic = r.str()?;
            let count = r.u32()?;
            let events = (0..count).map(|_| r.event()).collect::<Option<Vec<_>>>()?;
            Record::Events { topic, events }
        }
        KIND_TOPIC => Record::Topic {
            name: r.str()?,
            closed: r.u8()? != 0,
            evicted_through: r.u64()?,
        },
        KIND_SEQ => Record::Seq(r.u64()?),
        _ => return None,
    };
    r.0.is_empty().then_some(record)
}

/// A cursor over a payload.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)?.try_into().ok().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8)?.try_into().ok().map(u64::from_le_bytes)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    fn optional(&mut self) -> Option<Option<&'a str>> {
        match self.u8()? {
            0 => Some(None),
            1 => self.str().map(Some),
            _ => None,
        }
    }

    fn event(&mut self) -> Option<LoggedEvent<'a>> {
        Some(LoggedEvent {
            seq: self.u64()?,
            custom_id: self.optional()?,
            event_type: self.optional()?,
            bytes: self.bytes()?,
        })
    }
}

/// CRC-32 (IEEE, as zlib and PNG use it).
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = crc_table();
    let crc = bytes.iter().fold(!0u32, |crc, b| {
        TABLE[((crc ^ u32::from(*b)) & 0xFF) as usize] ^ (crc >> 8)
    });
    !crc
}

const fn crc_table() -> [u32; 256] {
    let mut table = [0; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::{LoggedEvent, Record, Step, crc32, encode, next};

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    fn sample() -> Vec<Record<'static>> {
        let event = LoggedEvent {
            seq: 7,
            custom_id: Some("a"),
            event_type: None,
            bytes: b"id: a\ndata: x\n\n",
        };
        vec![
            Record::Seq(6),
            Record::Events {
                topic: "t",
                events: vec![event],
            },
            Record::Topic {
                name: "t",
                closed: true,
                evicted_through: 3,
            },
        ]
    }

    #[test]
    fn records_read_back() {
        let mut bytes = Vec::new();
        for record in sample() {
            encode(&record, &mut bytes);
        }
        let mut at = 0;
        let mut read = Vec::new();
        while let Step::Record(record, after) = next(&bytes, at) {
            read.push(record);
            at = after;
        }
        assert_eq!(read, sample());
        assert_eq!(next(&bytes, at), Step::End);
    }

    #[test]
    fn damage_is_torn_at_the_end_and_corrupt_before_it() {
        let mut bytes = Vec::new();
        for record in sample() {
            encode(&record, &mut bytes);
        }
        let cut = &bytes[..bytes.len() - 1];
        let Step::Record(_, second) = next(cut, 0) else {
            panic!("the first record is whole");
        };
        let Step::Record(_, third) = next(cut, second) else {
            panic!("the second record is whole");
        };
        assert!(matches!(next(cut, third), Step::Torn(_)));
        let mut flipped = bytes.clone();
        flipped[second + 14] ^= 1;
        assert_eq!(
            next(&flipped, second),
            Step::Corrupt("checksum mismatch".to_owned())
        );
        let mut zeros = bytes[..third].to_vec();
        zeros.extend_from_slice(&[0; 40]);
        assert!(matches!(next(&zeros, third), Step::Torn(_)));
    }
}
