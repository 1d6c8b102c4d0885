//! UTF-8 decoding with U+FFFD for invalid sequences, of whole values or of a
//! value that arrives in pieces.
//!
//! Replacement follows the WHATWG "UTF-8 decode" (one U+FFFD per maximal
//! subpart of an invalid sequence), which is what `String::from_utf8_lossy`
//! does. Decoding in pieces gives the same text as decoding the joined pieces,
//! wherever they were cut.

use std::borrow::Cow;

/// Below this length, the standard library's validation is faster than SIMD dispatch.
const SIMD_MIN_LEN: usize = 256;

/// Decodes `bytes`, borrowing them when they are valid UTF-8.
#[inline]
pub(crate) fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match validate(bytes) {
        Some(text) => Cow::Borrowed(text),
        None => String::from_utf8_lossy(bytes),
    }
}

/// Appends the decoded `bytes` to `out`.
#[inline]
pub(crate) fn push_decoded(out: &mut String, bytes: &[u8]) {
    match validate(bytes) {
        Some(text) => out.push_str(text),
        None => push_lossy(out, bytes),
    }
}

#[inline]
fn validate(bytes: &[u8]) -> Option<&str> {
    if bytes.len() >= SIMD_MIN_LEN {
        simdutf8::basic::from_utf8(bytes).ok()
    } else {
        std::str::from_utf8(bytes).ok()
    }
}

fn push_lossy(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

/// A value decoded piece by piece: holds the start of a multi-byte sequence
/// cut by the end of a piece until the next piece completes (or spoils) it.
#[derive(Debug, Default)]
pub(crate) struct Pieces {
    carry: [u8; 4],
    carried: usize,
}

impl Pieces {
    /// Appends the decoded `piece` to `out`, keeping an incomplete trailing sequence.
    pub(crate) fn push(&mut self, out: &mut String, piece: &[u8]) {
        let piece = self.resolve_carry(out, piece);
        if self.carried > 0 {
            return; // The piece ended before the carried sequence did.
        }
        let keep = incomplete_suffix_len(piece);
        let (whole, tail) = piece.split_at(piece.len() - keep);
        push_decoded(out, whole);
        self.carry[..keep].copy_from_slice(tail);
        self.carried = keep;
    }

    /// Ends the value: a sequence still incomplete becomes one U+FFFD.
    pub(crate) fn finish(&mut self, out: &mut String) {
        if self.carried > 0 {
            out.push(char::REPLACEMENT_CHARACTER);
            self.carried = 0;
        }
    }

    /// Drops a carried sequence without decoding it.
    pub(crate) fn clear(&mut self) {
        self.carried = 0;
    }

    /// Completes the carried sequence with the first bytes of `piece`; returns the rest.
    fn resolve_carry<'a>(&mut self, out: &mut String, piece: &'a [u8]) -> &'a [u8] {
        if self.carried == 0 {
            return piece;
        }
        for (i, &byte) in piece.iter().enumerate() {
            self.carry[self.carried] = byte;
            self.carried += 1;
            match std::str::from_utf8(&self.carry[..self.carried]) {
                Ok(text) => {
                    out.push_str(text);
                    self.carried = 0;
                    return &piece[i + 1..];
                }
                Err(err) if err.error_len().is_none() => {}
                Err(_) => {
                    // The carried bytes were a maximal subpart: this byte starts anew.
                    out.push(char::REPLACEMENT_CHARACTER);
                    self.carried = 0;
                    return &piece[i..];
                }
            }
        }
        &[]
    }
}

/// How many bytes at the end of `bytes` are the valid start of a multi-byte
/// sequence that the next piece may complete (0 to 3).
fn incomplete_suffix_len(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(3) {
        let start = bytes.len() - back;
        if bytes[start] & 0xC0 != 0x80 {
            // The last byte that is not a continuation byte: is it an unfinished lead?
            let unfinished =
                std::str::from_utf8(&bytes[start..]).is_err_and(|err| err.error_len().is_none());
            return if unfinished { back } else { 0 };
        }
    }
    0
}

/// The longest prefix of `bytes` that is valid UTF-8, as text.
///
/// The parser validates each chunk once with this, so that the lines inside
/// the valid part need no validation of their own.
pub(crate) fn valid_prefix(bytes: &[u8]) -> &str {
    match simdutf8::compat::from_utf8(bytes) {
        Ok(text) => text,
        // Validating the valid part again cannot fail; "" would only cost speed.
        Err(err) => simdutf8::basic::from_utf8(&bytes[..err.valid_up_to()]).unwrap_or_default(),
    }
}

/// A line, or the part of one after a field name: its bytes, and the same
/// bytes as text when they are already known to be valid UTF-8.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> Line<'a> {
    /// A line whose bytes are not known to be valid.
    pub(crate) fn from_bytes(bytes: &'a [u8]) -> Self {
        Self { bytes, text: None }
    }

    /// A line cut from a chunk, with `text` the same bytes if they were validated.
    pub(crate) fn new(bytes: &'a [u8], text: Option<&'a str>) -> Self {
        debug_assert!(
            text.is_none_or(|text| text.as_bytes() == bytes),
            "text must be the same bytes"
        );
        Self { bytes, text }
    }

    pub(crate) fn bytes(self) -> &'a [u8] {
        self.bytes
    }

    /// The same bytes as text, if they are known to be valid UTF-8.
    pub(crate) fn text(self) -> Option<&'a str> {
        self.text
    }

    pub(crate) fn len(self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn is_empty(self) -> bool {
        self.bytes.is_empty()
    }

    /// The line after `count` bytes (which end on a character boundary when they are ASCII).
    #[inline]
    pub(crate) fn skip(self, count: usize) -> Self {
        Self {
            bytes: &self.bytes[count..],
            text: self.text.and_then(|text| text.get(count..)),
        }
    }

    /// The line without `prefix`, if it starts with it.
    #[inline]
    pub(crate) fn strip_prefix(self, prefix: &[u8]) -> Option<Self> {
        self.bytes
            .starts_with(prefix)
            .then(|| self.skip(prefix.len()))
    }

    /// The value without its one leading space, if any.
    #[inline]
    pub(crate) fn strip_one_space(self) -> Self {
        self.strip_prefix(b" ").unwrap_or(self)
    }

    /// The decoded text, borrowed when it needs no replacement.
    #[inline]
    pub(crate) fn decode(self) -> Cow<'a, str> {
        match self.text {
            Some(text) => Cow::Borrowed(text),
            None => decode(self.bytes),
        }
    }
}
