//! Reading the response head: a buffer that starts small, grows only while
//! the head needs it (up to [`MAX_HEAD`]) and is freed once the head is parsed.

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::Http1Error;

/// The head buffer's first size: most response heads fit in it at once.
pub(crate) const INITIAL_BUFFER: usize = 1024;
/// The largest response head accepted (status line, header lines and blank line).
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The most header fields accepted (hyper's default too).
pub(crate) const MAX_HEADERS: usize = 100;
/// How much of a bad line an error quotes.
const QUOTED: usize = 200;

/// A parsed final response head.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
}

/// Reads until a final response head is complete (interim 1xx heads other
/// than 101 are skipped, as hyper skips them); returns it with the body
/// bytes that were read along with it.
pub(crate) async fn read_head<R: AsyncRead + Unpin>(
    io: &mut R,
) -> Result<(Head, Vec<u8>), Http1Error> {
    let mut buf = Vec::with_capacity(INITIAL_BUFFER);
    loop {
        let Some((head, len)) = parse(&buf)? else {
            fill(io, &mut buf).await?;
            continue;
        };
        if head.status.is_informational() && head.status != StatusCode::SWITCHING_PROTOCOLS {
            buf.drain(..len);
            continue;
        }
        return Ok((head, buf[len..].to_vec()));
    }
}

/// Reads more of the head, first growing a full buffer (doubling, up to the limit).
async fn fill<R: AsyncRead + Unpin>(io: &mut R, buf: &mut Vec<u8>) -> Result<(), Http1Error> {
    if buf.len() >= MAX_HEAD {
        return Err(Http1Error::HeadTooLarge { limit: MAX_HEAD });
    }
    if buf.len() == buf.capacity() {
        let more = buf.capacity().clamp(INITIAL_BUFFER, MAX_HEAD - buf.len());
        buf.reserve_exact(more);
    }
    let read = io.read_buf(buf).await?;
    if read == 0 {
        return Err(Http1Error::IncompleteHead { read: buf.len() });
    }
    Ok(())
}

/// Parses a complete head at the start of `buf`, with its length; `None`
/// while it is incomplete.
pub(crate) fn parse(buf: &[u8]) -> Result<Option<(Head, usize)>, Http1Error> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut slots);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(err) => return Err(malformed(buf, err)),
    };
    let code = response.code.unwrap_or_default();
    let status =
        StatusCode::from_u16(code).map_err(|_| Http1Error::StatusLine(quote(first_line(buf))))?;
    let version = match response.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    for field in response.headers.iter() {
        let bad =
            || Http1Error::HeaderLine(quote(&[field.name.as_bytes(), b": ", field.value].concat()));
        let name = HeaderName::from_bytes(field.name.as_bytes()).map_err(|_| bad())?;
        let value = HeaderValue::from_bytes(field.value).map_err(|_| bad())?;
        headers.append(name, value);
    }
    Ok(Some((head_of(status, version, headers), len)))
}

fn head_of(status: StatusCode, version: Version, headers: HeaderMap) -> Head {
    Head {
        status,
        version,
        headers,
    }
}

/// Names the line httparse refused.
fn malformed(buf: &[u8], err: httparse::Error) -> Http1Error {
    match err {
        httparse::Error::TooManyHeaders => Http1Error::TooManyHeaders(MAX_HEADERS),
        httparse::Error::HeaderName | httparse::Error::HeaderValue | httparse::Error::NewLine => {
            match bad_header_line(buf) {
                Some(line) => Http1Error::HeaderLine(quote(line)),
                None => Http1Error::StatusLine(quote(first_line(buf))),
            }
        }
        _ => Http1Error::StatusLine(quote(first_line(buf))),
    }
}

/// The first header line that does not parse on its own, if the status line does.
fn bad_header_line(buf: &[u8]) -> Option<&[u8]> {
    let mut lines = buf
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let status = lines.next()?;
    let mut none = [];
    let alone = [status, b"\r\n\r\n"].concat();
    if httparse::Response::new(&mut none).parse(&alone).is_err() {
        return None;
    }
    lines.take_while(|line| !line.is_empty()).find(|line| {
        let mut one = [httparse::EMPTY_HEADER; 1];
        httparse::parse_headers(&[line, &b"\r\n\r\n"[..]].concat(), &mut one).is_err()
    })
}

fn first_line(buf: &[u8]) -> &[u8] {
    let line = buf.split(|&b| b == b'\n').next().unwrap_or_default();
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The line as text, cut to [`QUOTED`] bytes.
fn quote(line: &[u8]) -> String {
    String::from_utf8_lossy(&line[..line.len().min(QUOTED)]).into_owned()
}

#[cfg(test)]
mod tests {
    use http::{StatusCode, Version};

    use super::{Http1Error, parse};

    fn error(head: &str) -> String {
        match parse(head.as_bytes()) {
            Err(err) => err.to_string(),
            Ok(parsed) => panic!("{head:?} parsed: {parsed:?}"),
        }
    }

    #[test]
    fn a_head_parses_only_once_complete() {
        let head =
            "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\nx-a: 1\r\nX-A: 2\r\n\r\ndata";
        for end in 0..head.len() - 4 {
            assert!(parse(&head.as_bytes()[..end]).unwrap().is_none(), "{end}");
        }
        let (parsed, len) = parse(head.as_bytes()).unwrap().unwrap();
        assert_eq!(len, head.len() - 4);
        assert_eq!(
            (parsed.status, parsed.version),
            (StatusCode::OK, Version::HTTP_10)
        );
        assert_eq!(parsed.headers["content-type"], "text/event-stream");
        let both: Vec<_> = parsed.headers.get_all("x-a").iter().collect();
        assert_eq!(both, ["1", "2"]);
    }

    #[test]
    fn bad_status_lines_are_named() {
        assert_eq!(
            error("HTTP/1.1 2OO OK\r\n\r\n"),
            r#"malformed status line "HTTP/1.1 2OO OK""#
        );
        assert_eq!(
            error("HTTP/2 200 OK\r\n\r\n"),
            r#"malformed status line "HTTP/2 200 OK""#
        );
        assert_eq!(
            error("ICY 200 OK\r\n\r\n"),
            r#"malformed status line "ICY 200 OK""#
        );
        assert_eq!(
            error("HTTP/1.1 099 Low\r\n\r\n"),
            r#"malformed status line "HTTP/1.1 099 Low""#
        );
    }

    #[test]
    fn bad_header_lines_are_named() {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nbad header: x\r\n\r\n";
        assert_eq!(error(head), r#"malformed header line "bad header: x""#);
        let head = "HTTP/1.1 200 OK\r\nx-a: 1\r\nno colon\r\n\r\n";
        assert_eq!(error(head), r#"malformed header line "no colon""#);
        let head = "HTTP/1.1 200 OK\r\nx-a: a\x01b\r\n\r\n";
        assert_eq!(error(head), "malformed header line \"x-a: a\\u{1}b\"");
    }

    #[test]
    fn too_many_header_fields_are_refused() {
        let mut head = "HTTP/1.1 200 OK\r\n".to_owned();
        for n in 0..=super::MAX_HEADERS {
            head.push_str(&format!("x-{n}: {n}\r\n"));
        }
        head.push_str("\r\n");
        assert!(matches!(
            parse(head.as_bytes()),
            Err(Http1Error::TooManyHeaders(100))
        ));
    }

    /// A head longer than the first buffer makes it grow; what the body
    /// keeps afterwards is only the body bytes read with the head.
    #[tokio::test]
    async fn the_head_buffer_grows_for_a_long_head_and_is_not_kept() {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cookie = "c".repeat(5 * super::INITIAL_BUFFER);
        let response = format!("HTTP/1.1 200 OK\r\nset-cookie: {cookie}\r\n\r\ndata: 1\n\n");
        let server = tokio::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            tcp.write_all(response.as_bytes()).await.unwrap();
            tcp
        });
        let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();

        let (head, rest) = super::read_head(&mut tcp).await.unwrap();
        assert_eq!(head.headers["set-cookie"], cookie.as_str());
        assert_eq!(rest, b"data: 1\n\n");
        assert_eq!(rest.capacity(), rest.len(), "the head buffer was kept");
        drop(server.await.unwrap());
    }
}
