//! What the built-in HTTP/1.1 path puts on the wire: response heads and
//! chunked transfer coding (RFC 9112 §4, §7.1).

use std::io::Write as _;

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderMap, StatusCode};

use crate::hub::Msg;

/// The last chunk, ending a chunked body.
pub(crate) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// `data` as one chunk: its size in hex, CRLF, the data, CRLF.
pub(crate) fn chunk(data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 12);
    let _ = write!((&mut out).writer(), "{:x}\r\n", data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out.freeze()
}

/// What a message puts on the wire: one chunk of its bytes (a batch as one
/// chunk), or, for bytes already framed, those bytes.
pub(crate) fn chunk_of(msg: &Msg) -> Bytes {
    match msg {
        Msg::Event(bytes) | Msg::Control(bytes) => chunk(bytes),
        Msg::Batch(events) => chunk(&events.concat()),
        Msg::Heartbeat => chunk(sseload_proto::KEEP_ALIVE),
        Msg::Raw(bytes) => bytes.clone(),
    }
}

/// How the body after a response head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `transfer-encoding: chunked`.
    Chunked,
    /// `content-length: n`.
    Length(usize),
}

/// A response head: status line, `headers`, the framing header, and
/// `connection: close` when the connection ends after this response.
pub(crate) fn response_head(
    status: StatusCode,
    headers: &HeaderMap,
    framing: Framing,
    close: bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let reason = status.canonical_reason().unwrap_or("");
    let _ = write!(out, "HTTP/1.1 {} {reason}\r\n", status.as_u16());
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let _ = match framing {
        Framing::Chunked => write!(out, "transfer-encoding: chunked\r\n"),
        Framing::Length(n) => write!(out, "content-length: {n}\r\n"),
    };
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::{HeaderMap, HeaderValue, StatusCode, header};

    use super::{Framing, chunk, chunk_of, response_head};
    use crate::hub::Msg;

    #[test]
    fn chunks_carry_their_size_in_hex() {
        assert_eq!(&chunk(b"data: x\n\n")[..], b"9\r\ndata: x\n\n\r\n");
        assert_eq!(&chunk(&[b'a'; 26])[..2], b"1a");
        let batch = Msg::Batch(vec![
            Bytes::from_static(b"a\n\n"),
            Bytes::from_static(b"b\n\n"),
        ]);
        assert_eq!(&chunk_of(&batch)[..], b"6\r\na\n\nb\n\n\r\n");
    }

    #[test]
    fn a_head_lists_the_headers_then_the_framing() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let head = response_head(StatusCode::NOT_FOUND, &headers, Framing::Length(3), true);
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 3\r\nconnection: close\r\n\r\n"
        );
    }
}
