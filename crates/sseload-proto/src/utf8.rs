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
