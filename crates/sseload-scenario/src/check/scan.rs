//! A quick first pass for singular paths: finds where the value at the path
//! is in the text, checking on the way that the text is JSON.
//!
//! It vouches only for texts it is sure serde_json parses: anything else
//! (a syntax error, an escape in a key, a `\u` surrogate, a number that
//! might not fit an `f64`, deep nesting) makes it give up, and the caller
//! reads the text with serde_json itself ([`super::walk`]), which gives the
//! exact result or error. So it may be stricter than serde_json, never laxer.

use std::ops::Range;

use serde_json::Value;

use super::singular::Step;

/// What the scan found in a text it vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Located {
    /// The value at the path is at these bytes.
    At(Range<usize>),
    /// The path selects nothing.
    Nowhere,
}

/// Where the value at `steps` is in `text`, or `None` when the scan gives
/// up. With duplicate keys the last one counts.
pub(crate) fn locate(steps: &[Step], text: &str) -> Option<Located> {
    let mut scan = Scanner {
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let located = scan.value(steps)?;
    scan.blank();
    (scan.at == scan.bytes.len()).then_some(located)
}

/// The value of a scanned token that needs no parser: a non-negative
/// integer of up to 19 digits, a string without escapes, a literal; the
/// same `Value` serde_json builds (`-0`, say, is a float to it: left alone).
pub(crate) fn plain_value(token: &str) -> Option<Value> {
    match token.as_bytes().first()? {
        b'"' => {
            let inner = token.strip_prefix('"')?.strip_suffix('"')?;
            (!inner.contains('\\')).then(|| Value::String(inner.to_owned()))
        }
        // Nineteen digits always fit a u64.
        b'0'..=b'9' if token.len() <= 19 => token
            .bytes()
            .try_fold(0u64, |n, b| {
                b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
            })
            .map(Value::from),
        b't' => Some(Value::Bool(true)),
        b'f' => Some(Value::Bool(false)),
        b'n' => Some(Value::Null),
        _ => None,
    }
}

/// Nesting beyond this is left to serde_json (which stops at 128).
const MAX_DEPTH: usize = 100;

/// Integer digits (plus exponent) beyond which a number might not fit an `f64`.
const MAX_MAGNITUDE: i64 = 300;

struct Scanner<'t> {
    bytes: &'t [u8],
    at: usize,
    depth: usize,
}

impl<'t> Scanner<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn blank(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Consumes `byte` (after blank space), or gives up.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.blank();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Reads a value, following `steps` into it.
    fn value(&mut self, steps: &[Step]) -> Option<Located> {
        self.blank();
        let start = self.at;
        match (self.peek()?, steps.split_first()) {
            (_, None) => {
                self.skip()?;
                Some(Located::At(start..self.at))
            }
            (b'{', Some((Step::Name(name), rest))) => self.member(name, rest),
            (b'[', Some((Step::Index(index), rest))) => self.element(*index, rest),
            (_, Some(_)) => self.skip().map(|()| Located::Nowhere),
        }
    }

    /// Reads an object, following `rest` into its last member `name`.
    fn member(&mut self, name: &str, rest: &[Step]) -> Option<Located> {
        let mut found = Located::Nowhere;
        self.container(b'}', |scan| {
            let key = scan.key()?;
            scan.expect(b':')?;
            if key == name.as_bytes() {
                found = scan.value(rest)?;
            } else {
                scan.skip()?;
            }
            Some(())
        })?;
        Some(found)
    }

    /// Reads an array, following `rest` into its element `index`.
    fn element(&mut self, index: usize, rest: &[Step]) -> Option<Located> {
        let mut found = Located::Nowhere;
        let mut at = 0;
        self.container(b']', |scan| {
            if at == index {
                found = scan.value(rest)?;
            } else {
                scan.skip()?;
            }
            at += 1;
            Some(())
        })?;
        Some(found)
    }

    /// Reads a value and drops it.
    fn skip(&mut self) -> Option<()> {
        self.blank();
        match self.peek()? {
            b'{' => self.container(b'}', |scan| {
                scan.key()?;
                scan.expect(b':')?;
                scan.skip()
            }),
            b'[' => self.container(b']', Self::skip),
            b'"' => self.string().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// Reads an object or an array (at its opening byte), `item` reading
    /// each member or element, until `close`.
    fn container(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        self.blank();
        if self.peek()? == close {
            self.at += 1;
        } else {
            loop {
                item(self)?;
                self.blank();
                match self.peek()? {
                    b',' => self.at += 1,
                    b if b == close => break self.at += 1,
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// A key's bytes, between its quotes; gives up on escapes (the key
    /// would have to be decoded to be compared).
    fn key(&mut self) -> Option<&'t [u8]> {
        self.blank();
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at + 1;
        let escaped = self.string()?;
        let bytes = self.bytes;
        (!escaped).then(|| &bytes[start..self.at - 1])
    }

    /// Reads a string (at its opening quote); says whether it had escapes.
    fn string(&mut self) -> Option<bool> {
        self.at += 1;
        let mut escaped = false;
        loop {
            self.at += plain_run(&self.bytes[self.at..]);
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    self.escape()?;
                }
                _ => return None,
            }
        }
    }

    /// Reads an escape (at its backslash); gives up on `\u` surrogates,
    /// whose pairing serde_json checks.
    fn escape(&mut self) -> Option<()> {
        let kind = *self.bytes.get(self.at + 1)?;
        self.at += 2;
        match kind {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(()),
            b'u' => {
                let hex = self.bytes.get(self.at..self.at + 4)?;
                let hex = std::str::from_utf8(hex).ok()?;
                let unit = u16::from_str_radix(hex, 16).ok()?;
                self.at += 4;
                (!hex.starts_with(['+', '-']) && !(0xD800..0xE000).contains(&unit)).then_some(())
            }
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// Reads a number as JSON writes it, giving up on one whose magnitude
    /// might overflow an `f64` (serde_json rejects those).
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let integer = self.digits();
        let leading_zero = integer > 1 && self.bytes[self.at - integer] == b'0';
        if integer == 0 || leading_zero {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        let mut exponent = 0;
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            exponent = self.exponent()?;
        }
        (i64::try_from(integer).ok()? + exponent <= MAX_MAGNITUDE).then_some(())
    }

    /// Reads an exponent's sign and digits (after the `e`); small ones only.
    fn exponent(&mut self) -> Option<i64> {
        let negative = match self.peek()? {
            b'-' => true,
            b'+' => false,
            _ => return self.exponent_digits(),
        };
        self.at += 1;
        let value = self.exponent_digits()?;
        Some(if negative { -value } else { value })
    }

    fn exponent_digits(&mut self) -> Option<i64> {
        let start = self.at;
        let count = self.digits();
        if count == 0 || count > 4 {
            return None;
        }
        std::str::from_utf8(&self.bytes[start..self.at])
            .ok()?
            .parse()
            .ok()
    }

    /// Reads ASCII digits; says how many.
    fn digits(&mut self) -> usize {
        let count = self.bytes[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        self.at += count;
        count
    }
}

/// How many bytes at the start of `bytes` need no attention in a string
/// (no quote, backslash or control character): eight at a time while eight
/// remain, then one at a time.
fn plain_run(bytes: &[u8]) -> usize {
    let mut run = 0;
    while let Some(chunk) = bytes.get(run..run + 8) {
        let special = special_bytes(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        if special != 0 {
            // The lowest flagged byte is always a true one.
            return run + special.trailing_zeros() as usize / 8;
        }
        run += 8;
    }
    run + bytes[run..]
        .iter()
        .take_while(|&&b| b != b'"' && b != b'\\' && b >= 0x20)
        .count()
}

/// The high bit of each byte of `v` that may be a quote, a backslash or a
/// control character; bits above the lowest true one may be false alarms.
fn special_bytes(v: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGHS: u64 = ONES << 7;
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    zero_bytes(v ^ (ONES * u64::from(b'"')))
        | zero_bytes(v ^ (ONES * u64::from(b'\\')))
        | (v.wrapping_sub(ONES * 0x20) & !v & HIGHS)
}

#[cfg(test)]
mod tests {
    use super::plain_run;

    /// The run, one byte at a time.
    fn naive(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .take_while(|&&b| b != b'"' && b != b'\\' && b >= 0x20)
            .count()
    }

    #[test]
    fn plain_runs_end_at_the_first_special_byte_wherever_it_is() {
        let fillers: [&[u8]; 4] = [b"x", "é".as_bytes(), "😀".as_bytes(), b"\x7f"];
        for special in [b'"', b'\\', 0, 0x1f, b'\n'] {
            for filler in fillers {
                for len in 0..40 {
                    let mut bytes: Vec<u8> = filler.iter().copied().cycle().take(len).collect();
                    let plain = naive(&bytes);
                    assert_eq!(plain_run(&bytes), plain, "{bytes:?}");
                    bytes.push(special);
                    bytes.extend_from_slice(b"\"\\\x01tail");
                    assert_eq!(plain_run(&bytes), len, "{bytes:?}");
                }
            }
        }
    }
}
