//! The response body: its framing (chunked, content-length or
//! close-delimited), decoded in place, and a reader that reads into one
//! scratch buffer per thread, so an idle stream holds no read buffer.

use std::cell::RefCell;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::HeaderMap;
use http::header::{CONTENT_LENGTH, HeaderValue, TRANSFER_ENCODING};
use tokio::io::{AsyncRead, ReadBuf};

use super::{Http1Error, ends_in_chunked};

/// The scratch buffer every body read on a thread goes through.
pub(crate) const SCRATCH_LEN: usize = 16 * 1024;
/// The most bytes of chunk extensions accepted on one chunk-size line.
const MAX_EXTENSION: u32 = 4 * 1024;
/// The most bytes of trailer fields accepted.
const MAX_TRAILER: u32 = 16 * 1024;

thread_local! {
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH_LEN].into_boxed_slice());
}

/// Where the body ends.
#[derive(Debug)]
pub(crate) enum Framing {
    /// After this many more bytes.
    Length(u64),
    /// When the connection closes.
    Close,
    /// At the last chunk and its trailer section.
    Chunked(Chunked),
    /// The body is complete.
    Done,
}

impl Framing {
    /// The framing a response head announces (RFC 9112, section 6.3): a
    /// transfer coding ending in `chunked`, any other transfer coding
    /// (close-delimited), `content-length`, or close-delimited.
    pub(crate) fn of(headers: &HeaderMap) -> Result<Self, Http1Error> {
        if let Some(last) = headers.get_all(TRANSFER_ENCODING).iter().next_back() {
            return Ok(if ends_in_chunked(last) {
                Self::Chunked(Chunked::new())
            } else {
                Self::Close
            });
        }
        Ok(match content_length(headers.get_all(CONTENT_LENGTH))? {
            Some(0) => Self::Done,
            Some(len) => Self::Length(len),
            None => Self::Close,
        })
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self, Self::Done)
    }

    /// Removes the framing from `buf` in place: its body bytes end up at the
    /// front; returns how many. Bytes after the end of the body are ignored.
    pub(crate) fn decode(&mut self, buf: &mut [u8]) -> Result<usize, Http1Error> {
        match self {
            Self::Close => Ok(buf.len()),
            Self::Done => Ok(0),
            Self::Length(left) => {
                let len = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
                *left -= len as u64;
                if *left == 0 {
                    *self = Self::Done;
                }
                Ok(len)
            }
            Self::Chunked(chunked) => {
                let len = chunked.decode(buf)?;
                if chunked.state == Chunk::Done {
                    *self = Self::Done;
                }
                Ok(len)
            }
        }
    }

    /// The connection closed: the end of the body, or too early.
    fn at_eof(&self) -> Result<(), Http1Error> {
        match self {
            Self::Close | Self::Done => Ok(()),
            Self::Length(_) => Err(Http1Error::IncompleteBody("content-length")),
            Self::Chunked(_) => Err(Http1Error::IncompleteBody("chunked")),
        }
    }
}

/// Every `content-length` value (lists included) must be the same number.
fn content_length<'a>(
    values: impl IntoIterator<Item = &'a HeaderValue>,
) -> Result<Option<u64>, Http1Error> {
    let mut length = None;
    for value in values {
        let bad =
            || Http1Error::ContentLength(String::from_utf8_lossy(value.as_bytes()).into_owned());
        for part in value
            .as_bytes()
            .split(|&b| b == b',')
            .map(<[u8]>::trim_ascii)
        {
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return Err(bad());
            }
            let len: u64 = std::str::from_utf8(part)
                .ok()
                .and_then(|digits| digits.parse().ok())
                .ok_or_else(bad)?;
            if length.is_some_and(|seen| seen != len) {
                return Err(bad());
            }
            length = Some(len);
        }
    }
    Ok(length)
}

/// Where the chunked decoder is (RFC 9112, section 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Size,
    SizeSpace,
    Extension,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    TrailerStart,
    Trailer,
    TrailerLf,
    EndLf,
    Done,
}

/// An incremental chunked decoder: any split of the input across reads
/// decodes the same.
#[derive(Debug)]
pub(crate) struct Chunked {
    state: Chunk,
    /// The chunk size being read, then the chunk bytes left.
    size: u64,
    digits: u8,
    /// Extension or trailer bytes skipped so far.
    skipped: u32,
    /// Body bytes (framing included) consumed so far, for errors.
    at: u64,
}

impl Chunked {
    fn new() -> Self {
        Self {
            state: Chunk::Size,
            size: 0,
            digits: 0,
            skipped: 0,
            at: 0,
        }
    }

    fn decode(&mut self, buf: &mut [u8]) -> Result<usize, Http1Error> {
        let (mut read, mut written) = (0, 0);
        while read < buf.len() && self.state != Chunk::Done {
            if self.state == Chunk::Data {
                let run = (buf.len() - read).min(usize::try_from(self.size).unwrap_or(usize::MAX));
                buf.copy_within(read..read + run, written);
                (read, written) = (read + run, written + run);
                self.at += run as u64;
                self.size -= run as u64;
                if self.size == 0 {
                    self.state = Chunk::DataCr;
                }
                continue;
            }
            self.step(buf[read])
                .map_err(|problem| Http1Error::Chunked {
                    problem,
                    at: self.at,
                })?;
            read += 1;
            self.at += 1;
        }
        Ok(written)
    }

    /// One framing byte.
    fn step(&mut self, byte: u8) -> Result<(), &'static str> {
        self.state = match (self.state, byte) {
            (Chunk::Size, b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F') => self.digit(byte)?,
            (Chunk::Size, _) if self.digits == 0 => {
                return Err("a chunk size must start with a hex digit");
            }
            (Chunk::Size | Chunk::SizeSpace, b' ' | b'\t') => Chunk::SizeSpace,
            (Chunk::Size | Chunk::SizeSpace, b';') => Chunk::Extension,
            (Chunk::Size | Chunk::SizeSpace | Chunk::Extension, b'\r') => Chunk::SizeLf,
            (Chunk::Size | Chunk::SizeSpace, _) => return Err("invalid byte in a chunk size"),
            (Chunk::Extension, b'\n') => return Err("bare LF in a chunk extension"),
            (Chunk::Extension, _) => {
                self.skip(MAX_EXTENSION, Chunk::Extension, "chunk extensions too long")?
            }
            (Chunk::SizeLf, b'\n') if self.size == 0 => Chunk::TrailerStart,
            (Chunk::SizeLf, b'\n') => Chunk::Data,
            (Chunk::DataCr, b'\r') => Chunk::DataLf,
            (Chunk::DataLf, b'\n') => self.next_chunk(),
            (Chunk::DataCr | Chunk::DataLf, _) => return Err("chunk data not followed by CRLF"),
            (Chunk::TrailerStart, b'\r') => Chunk::EndLf,
            (Chunk::Trailer, b'\r') => Chunk::TrailerLf,
            (Chunk::TrailerStart | Chunk::Trailer, b'\n') => {
                return Err("bare LF in the trailer section");
            }
            (Chunk::TrailerStart | Chunk::Trailer, _) => {
                self.skip(MAX_TRAILER, Chunk::Trailer, "trailer section too long")?
            }
            (Chunk::TrailerLf, b'\n') => Chunk::TrailerStart,
            (Chunk::EndLf, b'\n') => Chunk::Done,
            (Chunk::SizeLf | Chunk::TrailerLf | Chunk::EndLf, _) => {
                return Err("CR not followed by LF");
            }
            (Chunk::Data | Chunk::Done, _) => self.state,
        };
        Ok(())
    }

    fn digit(&mut self, byte: u8) -> Result<Chunk, &'static str> {
        let value = char::from(byte).to_digit(16).unwrap_or_default();
        self.digits += 1;
        self.size = self
            .size
            .checked_mul(16)
            .filter(|_| self.digits <= 16)
            .map(|size| size + u64::from(value))
            .ok_or("chunk size too large")?;
        Ok(Chunk::Size)
    }

    fn skip(
        &mut self,
        limit: u32,
        then: Chunk,
        problem: &'static str,
    ) -> Result<Chunk, &'static str> {
        self.skipped += 1;
        if self.skipped > limit {
            return Err(problem);
        }
        Ok(then)
    }

    fn next_chunk(&mut self) -> Chunk {
        self.size = 0;
        self.digits = 0;
        self.skipped = 0;
        Chunk::Size
    }
}

/// An open response body on its connection.
#[derive(Debug)]
pub(crate) struct BodyReader<T> {
    io: T,
    framing: Framing,
}

impl<T: AsyncRead + Unpin> BodyReader<T> {
    /// The body on `io`, with the bytes read along with the head: they are
    /// decoded at once and handed back.
    pub(crate) fn open(
        io: T,
        mut framing: Framing,
        mut read: Vec<u8>,
    ) -> Result<(Self, Vec<u8>), Http1Error> {
        let len = framing.decode(&mut read)?;
        read.truncate(len);
        Ok((Self { io, framing }, read))
    }

    /// Reads once and hands the body bytes it carried to `on_data`:
    /// `Some(Some(its result))`, or `Some(None)` when the read held only
    /// framing; `None` at the end of the body.
    pub(crate) fn poll_data<R>(
        &mut self,
        cx: &mut Context<'_>,
        on_data: impl FnOnce(&[u8]) -> R,
    ) -> Poll<Result<Option<Option<R>>, Http1Error>> {
        if self.framing.is_done() {
            return Poll::Ready(Ok(None));
        }
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.poll_into(cx, &mut scratch, on_data),
            Err(_) => self.poll_into(cx, &mut vec![0; SCRATCH_LEN], on_data),
        })
    }

    fn poll_into<R>(
        &mut self,
        cx: &mut Context<'_>,
        scratch: &mut [u8],
        on_data: impl FnOnce(&[u8]) -> R,
    ) -> Poll<Result<Option<Option<R>>, Http1Error>> {
        let mut buf = ReadBuf::new(scratch);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
        let read = buf.filled().len();
        if read == 0 {
            self.framing.at_eof()?;
            return Poll::Ready(Ok(None));
        }
        let len = self.framing.decode(&mut scratch[..read])?;
        Poll::Ready(Ok(Some((len > 0).then(|| on_data(&scratch[..len])))))
    }
}

#[cfg(test)]
mod tests {
    use super::{Chunked, Framing, Http1Error};

    /// Decodes `input` split into reads of `size` bytes.
    fn chunked(input: &[u8], size: usize) -> Result<(Vec<u8>, bool), Http1Error> {
        let mut framing = Framing::Chunked(Chunked::new());
        let mut out = Vec::new();
        for part in input.chunks(size) {
            let mut part = part.to_vec();
            let len = framing.decode(&mut part)?;
            out.extend_from_slice(&part[..len]);
        }
        Ok((out, framing.is_done()))
    }

    const BODY: &[u8] = b"5\r\nhello\r\n1a;ext=\"x\"\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nx-trailer: 1\r\n\r\nafter";

    #[test]
    fn chunked_bodies_decode_the_same_however_split() {
        for size in 1..=BODY.len() {
            let (data, done) = chunked(BODY, size).unwrap();
            assert_eq!(data, b"hello abcdefghijklmnopqrstuvwxy", "reads of {size}");
            assert!(done, "reads of {size}");
        }
    }

    #[test]
    fn a_chunked_body_without_its_last_chunk_is_not_done() {
        let (data, done) = chunked(b"3\r\nabc\r\n0\r\nx: 1\r\n", 4).unwrap();
        assert_eq!((data.as_slice(), done), (&b"abc"[..], false));
        assert!(Framing::Chunked(Chunked::new()).at_eof().is_err());
    }

    #[test]
    fn chunked_framing_errors_name_the_problem_and_offset() {
        for (input, message) in [
            (
                &b"zz\r\n"[..],
                "malformed chunked body at byte 0: a chunk size must start with a hex digit",
            ),
            (
                b"3\r\nabcX",
                "malformed chunked body at byte 6: chunk data not followed by CRLF",
            ),
            (
                b"3x\r\n",
                "malformed chunked body at byte 1: invalid byte in a chunk size",
            ),
            (
                b"3\n",
                "malformed chunked body at byte 1: invalid byte in a chunk size",
            ),
            (
                b"3\rX",
                "malformed chunked body at byte 2: CR not followed by LF",
            ),
            (
                b"11111111111111111\r\n",
                "malformed chunked body at byte 16: chunk size too large",
            ),
        ] {
            let err = chunked(input, 1).unwrap_err().to_string();
            assert_eq!(err, message, "{:?}", String::from_utf8_lossy(input));
        }
        let long_trailer = [&b"0\r\nx: "[..], &[b'a'; 20 * 1024]].concat();
        assert!(
            chunked(&long_trailer, 4096)
                .unwrap_err()
                .to_string()
                .contains("trailer section too long")
        );
        let long_extension = [&b"1;"[..], &[b'a'; 5 * 1024]].concat();
        assert!(
            chunked(&long_extension, 4096)
                .unwrap_err()
                .to_string()
                .contains("chunk extensions too long")
        );
    }

    #[test]
    fn content_length_bodies_stop_at_their_length() {
        let mut framing = Framing::Length(5);
        let mut read = *b"abcdefgh";
        assert_eq!(framing.decode(&mut read[..3]).unwrap(), 3);
        assert_eq!(framing.decode(&mut read[3..]).unwrap(), 2);
        assert!(framing.is_done());
        let mut short = Framing::Length(5);
        short.decode(&mut read[..2]).unwrap();
        assert_eq!(
            short.at_eof().unwrap_err().to_string(),
            "connection closed before the end of the content-length body"
        );
        assert!(Framing::Close.at_eof().is_ok());
    }

    #[test]
    fn content_length_values_must_agree() {
        use http::HeaderValue;
        let parse = |values: &[&'static str]| {
            super::content_length(
                values
                    .iter()
                    .map(|v| HeaderValue::from_static(v))
                    .collect::<Vec<_>>()
                    .iter(),
            )
        };
        assert_eq!(parse(&["12"]).unwrap(), Some(12));
        assert_eq!(parse(&["12, 12", "12"]).unwrap(), Some(12));
        assert_eq!(parse(&[]).unwrap(), None);
        for bad in [
            &["12, 13"][..],
            &["-1"],
            &["1e3"],
            &[""],
            &["12", "13"],
            &["99999999999999999999999"],
        ] {
            assert!(
                matches!(parse(bad), Err(Http1Error::ContentLength(_))),
                "{bad:?}"
            );
        }
    }
}
