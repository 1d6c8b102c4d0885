//! Reading one request head on the built-in HTTP/1.1 path: bytes in until
//! the blank line that ends the head, parsed with `httparse`, bounded in
//! size ([`MAX_HEAD`], [`MAX_HEADERS`]) and in time (the header timeout).
//!
//! The buffer grows only as the head does and belongs to the caller, which
//! keeps whatever follows the head (a pipelined request) and frees the rest.

use http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri, Version};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

/// The largest request head read, in bytes.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The most header fields in one request head.
pub(crate) const MAX_HEADERS: usize = 100;

/// A request head, parsed.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) request: Request<()>,
    /// Its length in the buffer, blank line included.
    pub(crate) len: usize,
}

impl Head {
    /// Whether the request has a body (a non-zero length, or a transfer coding).
    pub(crate) fn has_body(&self) -> bool {
        let headers = self.request.headers();
        headers.contains_key(TRANSFER_ENCODING)
            || headers
                .get_all(CONTENT_LENGTH)
                .iter()
                .any(|len| len.as_bytes() != b"0")
    }

    /// Whether the client asked to close the connection after this request.
    pub(crate) fn wants_close(&self) -> bool {
        self.request
            .headers()
            .get_all(CONNECTION)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|token| token.trim().eq_ignore_ascii_case("close"))
    }
}

/// Why no request head could be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HeadError {
    /// The peer closed the connection (or it failed) partway through a head.
    #[error("the connection ended after {0} bytes of a request head")]
    Cut(usize),
    /// The bytes are not an HTTP/1.x request head.
    #[error("bad request head: {0}")]
    Malformed(String),
    /// The head is larger than [`MAX_HEAD`] or has more than [`MAX_HEADERS`] fields.
    #[error(
        "request head too large (the limits are {MAX_HEAD} bytes and {MAX_HEADERS} header fields)"
    )]
    TooLarge,
    /// The head did not arrive within the header timeout.
    #[error("request head not received within {0:?}")]
    TimedOut(std::time::Duration),
}

impl HeadError {
    /// The status to answer with, `None` when there is no one to answer.
    pub(crate) fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Cut(_) => None,
            Self::Malformed(_) => Some(StatusCode::BAD_REQUEST),
            Self::TooLarge => Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE),
            Self::TimedOut(_) => Some(StatusCode::REQUEST_TIMEOUT),
        }
    }
}

/// Reads until `buf` starts with a complete head; `Ok(None)` when the peer
/// closes the connection between requests.
pub(crate) async fn read<T: AsyncRead + Unpin>(
    io: &mut T,
    buf: &mut Vec<u8>,
    timeout: Option<std::time::Duration>,
) -> Result<Option<Head>, HeadError> {
    let deadline = timeout.map(|timeout| Instant::now() + timeout);
    loop {
        if let Some(head) = parse(buf)? {
            return Ok(Some(head));
        }
        if buf.len() >= MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
        buf.reserve(1024.min(MAX_HEAD - buf.len()));
        let read = io.read_buf(buf);
        let read = match deadline {
            Some(at) => tokio::time::timeout_at(at, read)
                .await
                .map_err(|_| HeadError::TimedOut(timeout.unwrap_or_default()))?,
            None => read.await,
        };
        match read {
            Ok(0) if buf.is_empty() => return Ok(None),
            Ok(0) | Err(_) => return Err(HeadError::Cut(buf.len())),
            Ok(_) => {}
        }
    }
}

/// A complete head at the start of `buf`, if there is one.
fn parse(buf: &[u8]) -> Result<Option<Head>, HeadError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut fields);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(err) => return Err(malformed(&err)),
    };
    let request = build(&parsed)?;
    Ok(Some(Head { request, len }))
}

/// The owned request of a parsed head.
fn build(parsed: &httparse::Request<'_, '_>) -> Result<Request<()>, HeadError> {
    let method = parsed.method.unwrap_or_default();
    let method = Method::from_bytes(method.as_bytes()).map_err(|err| malformed(&err))?;
    let target = parsed.path.unwrap_or_default();
    let uri = target
        .parse::<Uri>()
        .map_err(|err| HeadError::Malformed(format!("request target {target:?}: {err}")))?;
    let version = match parsed.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    *request.headers_mut() = headers(parsed.headers)?;
    Ok(request)
}

fn headers(fields: &[httparse::Header<'_>]) -> Result<HeaderMap, HeadError> {
    let mut map = HeaderMap::with_capacity(fields.len());
    for field in fields {
        let name = HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| HeadError::Malformed(format!("header name {:?}", field.name)))?;
        let value = HeaderValue::from_bytes(field.value)
            .map_err(|_| HeadError::Malformed(format!("the value of header {:?}", field.name)))?;
        map.append(name, value);
    }
    Ok(map)
}

fn malformed(err: &dyn std::fmt::Display) -> HeadError {
    HeadError::Malformed(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::{HeadError, parse};

    fn parsed(text: &str) -> super::Head {
        parse(text.as_bytes()).unwrap().expect("a complete head")
    }

    #[test]
    fn a_complete_head_is_parsed_and_measured() {
        let text =
            "GET /topics/a?x=1 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\nnext";
        let head = parsed(text);
        assert_eq!(head.len, text.len() - 4);
        assert_eq!(head.request.uri().path(), "/topics/a");
        assert!(head.wants_close());
        assert!(!head.has_body());
        assert!(parsed("POST / HTTP/1.1\r\ncontent-length: 2\r\n\r\n").has_body());
        assert!(parse(b"GET / HTTP/1.1\r\nhost: h\r\n").unwrap().is_none());
    }

    #[test]
    fn bad_heads_say_what_is_wrong() {
        let bad = |text: &str| match parse(text.as_bytes()) {
            Err(HeadError::Malformed(reason)) => reason,
            other => panic!("{text:?}: {other:?}"),
        };
        assert_eq!(bad("\x01\x02 garbage\r\n\r\n"), "invalid token");
        assert_eq!(bad("GET / HTTP/2.0\r\n\r\n"), "invalid HTTP version");
        assert!(
            bad("GET /a\x7f HTTP/1.1\r\n\r\n").contains("token"),
            "a DEL in the target"
        );
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "a: b\r\n".repeat(101));
        assert!(matches!(parse(many.as_bytes()), Err(HeadError::TooLarge)));
    }
}
