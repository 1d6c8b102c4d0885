//! The request bytes, framed as hyper frames them, so both paths send the
//! same bytes for the same request.

use std::fmt::Write as _;

use http::Method;
use http::header::{self, HeaderMap};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use super::{Http1Error, ends_in_chunked};

/// How the body is framed, decided from the headers as hyper decides it:
/// headers the caller set win over what the body knows about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFraming {
    /// No body: a `transfer-encoding` header is dropped.
    None,
    /// The caller's `content-length` stands.
    Given,
    /// `content-length` is added.
    Length,
    /// The caller asked for a transfer coding: the body is sent chunked
    /// (`chunked` appended when missing) and `content-length` dropped.
    Chunked { add_chunked: bool },
}

impl BodyFraming {
    fn of(headers: &HeaderMap, body_len: usize) -> Self {
        if body_len == 0 {
            return Self::None;
        }
        let codings = headers.get_all(header::TRANSFER_ENCODING);
        if let Some(last) = codings.iter().next_back() {
            return Self::Chunked {
                add_chunked: !ends_in_chunked(last),
            };
        }
        if headers.contains_key(header::CONTENT_LENGTH) {
            Self::Given
        } else {
            Self::Length
        }
    }

    /// Whether a header of the caller's is left out of the head.
    fn skips(self, name: &header::HeaderName) -> bool {
        match self {
            Self::None => name == header::TRANSFER_ENCODING,
            Self::Chunked { .. } => name == header::CONTENT_LENGTH,
            Self::Given | Self::Length => false,
        }
    }
}

/// The whole request: request line, header fields in the map's order, the
/// blank line, then the body (plain or chunked).
pub(crate) fn encode(method: &Method, target: &str, headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let framing = BodyFraming::of(headers, body.len());
    let head_len: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    let mut out =
        Vec::with_capacity(method.as_str().len() + target.len() + head_len + body.len() + 64);
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let last_coding = headers.get_all(header::TRANSFER_ENCODING).iter().count();
    let mut codings = 0;
    for (name, value) in headers {
        if framing.skips(name) {
            continue;
        }
        field(&mut out, name.as_str(), value.as_bytes());
        if name == header::TRANSFER_ENCODING {
            codings += 1;
            if codings == last_coding && framing == (BodyFraming::Chunked { add_chunked: true }) {
                // hyper repairs a coding list that does not end in chunked.
                out.truncate(out.len() - 2);
                out.extend_from_slice(b", chunked\r\n");
            }
        }
    }
    if framing == BodyFraming::Length {
        field(
            &mut out,
            "content-length",
            body.len().to_string().as_bytes(),
        );
    }
    out.extend_from_slice(b"\r\n");
    write_body(&mut out, framing, body);
    out
}

fn field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

fn write_body(out: &mut Vec<u8>, framing: BodyFraming, body: &[u8]) {
    if let BodyFraming::Chunked { .. } = framing {
        let mut size = String::new();
        let _ = write!(size, "{:X}\r\n", body.len());
        out.extend_from_slice(size.as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n0\r\n\r\n");
    } else {
        out.extend_from_slice(body);
    }
}

/// Writes the request and flushes it (past TLS, onto the socket); returns
/// when that completed: the request-written timing point.
pub(crate) async fn write_request<W: AsyncWrite + Unpin>(
    io: &mut W,
    bytes: &[u8],
) -> Result<Instant, Http1Error> {
    io.write_all(bytes).await?;
    io.flush().await?;
    Ok(Instant::now())
}

#[cfg(test)]
mod tests {
    use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
    use http::{HeaderMap, HeaderValue, Method};

    use super::encode;

    fn text(method: &Method, headers: &HeaderMap, body: &str) -> String {
        String::from_utf8(encode(method, "/p?q=1", headers, body.as_bytes())).unwrap()
    }

    #[test]
    fn a_bodiless_request_has_no_length_and_no_transfer_coding() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("h:1"));
        headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        assert_eq!(
            text(&Method::POST, &headers, ""),
            "POST /p?q=1 HTTP/1.1\r\nhost: h:1\r\n\r\n"
        );
    }

    #[test]
    fn a_body_gets_a_content_length_last_unless_one_was_given() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("h"));
        assert_eq!(
            text(&Method::POST, &headers, "{}"),
            "POST /p?q=1 HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\n\r\n{}"
        );
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("2"));
        headers.append("x-a", HeaderValue::from_static("1"));
        assert_eq!(
            text(&Method::PUT, &headers, "{}"),
            "PUT /p?q=1 HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\nx-a: 1\r\n\r\n{}"
        );
    }

    #[test]
    fn a_given_transfer_coding_sends_the_body_chunked() {
        let mut headers = HeaderMap::new();
        headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("99"));
        let body = "x".repeat(26);
        assert_eq!(
            text(&Method::POST, &headers, &body),
            format!(
                "POST /p?q=1 HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\n\r\n1A\r\n{body}\r\n0\r\n\r\n"
            )
        );
    }
}
