//! One connection attempt: connect, send the request, follow redirects, and
//! decide from the status what the stream does next.

use std::time::Duration;

use http::header::{self, HeaderValue};
use http::{HeaderMap, StatusCode, Version};
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::time::Instant;

use crate::backoff;
use crate::client::{Client, Policy};
use crate::connect::{self, Connection, Sender, Transport};
use crate::error::{BoxError, Error};
use crate::h1::{self, BodyReader, Framing};
use crate::request::Request;
use crate::stream::{Opened, Timing};

/// An open event-stream body, on either HTTP/1.1 path or HTTP/2.
#[derive(Debug)]
pub(crate) enum Body {
    /// hyper's body (HTTP/2, or HTTP/1.1 with [`Http1Engine::Hyper`](crate::Http1Engine::Hyper)).
    Hyper(Incoming),
    /// The client's own HTTP/1.1 body reader.
    Builtin(BodyReader<Transport>),
}

/// A response head and what carries its body.
struct Response {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    body: RawBody,
}

enum RawBody {
    Hyper(Incoming),
    /// The connection, and the body bytes read along with the head.
    Builtin {
        io: Transport,
        read: Vec<u8>,
    },
}

impl From<hyper::Response<Incoming>> for Response {
    fn from(response: hyper::Response<Incoming>) -> Self {
        let (parts, body) = response.into_parts();
        Self {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body: RawBody::Hyper(body),
        }
    }
}

/// How an attempt ended.
pub(crate) enum Attempt {
    /// 200 with `text/event-stream`: the body is the stream, and these body
    /// bytes (already unframed) arrived with the head.
    Opened(Box<Opened>, Body, Vec<u8>),
    /// 204: stop for good.
    NoContent,
    /// A network error or a retryable status: reconnect after a delay.
    Retry(Error, Option<Duration>),
    /// Anything else: end the stream with this error.
    Fatal(Error),
}

/// What a status means under the client's policy.
enum Verdict {
    Open,
    NoContent,
    Redirect(String),
    Retry(Option<Duration>),
    Fatal,
}

/// Makes one attempt, following redirects; hands the (possibly redirected)
/// request back with the outcome.
pub(crate) async fn attempt(
    client: Client,
    mut request: Request,
    last_id: Option<HeaderValue>,
) -> (Request, Attempt) {
    let mut redirects = 0;
    loop {
        let (timing, response) = match exchange(&client, &request, last_id.as_ref()).await {
            Ok(done) => done,
            Err(err) => return (request, Attempt::Retry(err, None)),
        };
        let outcome = match verdict(client.inner.policy, response.status, &response.headers) {
            Verdict::Redirect(location) if redirects < client.inner.max_redirects => {
                redirects += 1;
                match request.redirect(response.status, &location) {
                    Ok(()) => continue,
                    Err(err) => Attempt::Fatal(err),
                }
            }
            Verdict::Redirect(_) => Attempt::Fatal(Error::TooManyRedirects {
                limit: client.inner.max_redirects,
                url: request.url.to_string(),
            }),
            Verdict::Open => opened(&request, timing, response),
            Verdict::NoContent => Attempt::NoContent,
            Verdict::Retry(after) => Attempt::Retry(status_error(&request, response.status), after),
            Verdict::Fatal => Attempt::Fatal(status_error(&request, response.status)),
        };
        return (request, outcome);
    }
}

fn verdict(policy: Policy, status: StatusCode, headers: &HeaderMap) -> Verdict {
    match status.as_u16() {
        200 => Verdict::Open,
        204 => Verdict::NoContent,
        301 | 302 | 303 | 307 | 308 => {
            let location = headers
                .get(header::LOCATION)
                .map(HeaderValue::as_bytes)
                .unwrap_or_default();
            Verdict::Redirect(String::from_utf8_lossy(location).into_owned())
        }
        429 | 500..=599 if policy == Policy::Default => {
            Verdict::Retry(backoff::retry_after(headers))
        }
        _ => Verdict::Fatal,
    }
}

fn status_error(request: &Request, status: StatusCode) -> Error {
    Error::Status {
        url: request.url.to_string(),
        status: status.as_u16(),
    }
}

/// A 200: the content type decides.
fn opened(request: &Request, timing: Timing, response: Response) -> Attempt {
    let content_type = response.headers.get(header::CONTENT_TYPE);
    if !content_type.is_some_and(is_event_stream) {
        let content_type = content_type.map(HeaderValue::as_bytes).unwrap_or_default();
        return Attempt::Fatal(Error::ContentType {
            url: request.url.to_string(),
            content_type: String::from_utf8_lossy(content_type).into_owned(),
        });
    }
    let (body, first, headers) = match response.body {
        RawBody::Hyper(body) => (
            Body::Hyper(body),
            Vec::new(),
            owned_headers(&response.headers),
        ),
        RawBody::Builtin { io, read } => {
            let framing = match request.method {
                // A response to HEAD has no body, whatever its headers say.
                http::Method::HEAD => Ok(Framing::Done),
                _ => Framing::of(&response.headers),
            };
            let opened = framing.and_then(|framing| BodyReader::open(io, framing, read));
            match opened {
                Ok((reader, first)) => (Body::Builtin(reader), first, response.headers),
                Err(err) => return Attempt::Retry(http_error(request, err.into()), None),
            }
        }
    };
    let opened = Opened {
        status: response.status,
        version: response.version,
        headers,
        url: request.url.clone(),
        timing,
    };
    Attempt::Opened(Box::new(opened), body, first)
}

fn http_error(request: &Request, source: BoxError) -> Error {
    Error::Http {
        authority: request.authority(),
        source,
    }
}

/// The response headers, copied out of the connection's read buffer.
///
/// hyper's header values are slices of the buffer the response head was read
/// into, so keeping them (as a caller keeps [`Opened`]) would keep that whole
/// buffer, and the body bytes read with it, alive for as long.
fn owned_headers(headers: &HeaderMap) -> HeaderMap {
    let mut owned = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        // `from_bytes` copies; a value hyper accepted is always valid here.
        if let Ok(mut copy) = HeaderValue::from_bytes(value.as_bytes()) {
            copy.set_sensitive(value.is_sensitive());
            owned.append(name.clone(), copy);
        }
    }
    owned
}

/// `text/event-stream`, in any case, with or without parameters.
fn is_event_stream(value: &HeaderValue) -> bool {
    let essence = value
        .as_bytes()
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default();
    essence
        .trim_ascii()
        .eq_ignore_ascii_case(b"text/event-stream")
}

/// Connects, sends the request and waits for the response head.
async fn exchange(
    client: &Client,
    request: &Request,
    last_id: Option<&HeaderValue>,
) -> Result<(Timing, Response), Error> {
    let connect_started = Instant::now();
    let Connection {
        sender,
        connected,
        clock,
    } = connect::connect(&client.inner, &request.url).await?;
    let sent_at = Instant::now();
    let sending = send(sender, request, last_id);
    let sent = match head_deadline(&client.inner) {
        None => sending.await,
        Some((after, idle)) => {
            let authority = || request.authority();
            tokio::time::timeout(after, sending).await.map_err(|_| {
                if idle {
                    Error::IdleTimeout {
                        authority: authority(),
                        after,
                    }
                } else {
                    Error::ResponseTimeout {
                        authority: authority(),
                        after,
                    }
                }
            })?
        }
    };
    let headers_received = Instant::now();
    let (response, written) = sent.map_err(|source| http_error(request, source))?;
    let timing = Timing {
        connect_started,
        connected,
        request_written: written.or_else(|| clock.written()).unwrap_or(sent_at),
        headers_received,
    };
    Ok((timing, response))
}

/// How long the response head may take, and whether that limit is the
/// idle timeout (the shorter of the two wins).
fn head_deadline(inner: &crate::client::Inner) -> Option<(Duration, bool)> {
    match (inner.response_timeout, inner.idle_timeout) {
        (Some(r), Some(i)) if i < r => Some((i, true)),
        (Some(r), _) => Some((r, false)),
        (None, Some(i)) => Some((i, true)),
        (None, None) => None,
    }
}

/// Sends the request and reads the response head; the builtin path also
/// says when the request was written.
async fn send(
    sender: Sender,
    request: &Request,
    last_id: Option<&HeaderValue>,
) -> Result<(Response, Option<Instant>), BoxError> {
    match sender {
        Sender::Builtin(mut io) => {
            let (target, headers) = parts(request, last_id, false);
            let bytes = h1::encode(&request.method, &target, &headers, &request.body);
            let written = h1::write_request(&mut io, &bytes).await?;
            drop(bytes);
            let (head, read) = h1::read_head(&mut io).await?;
            let response = Response {
                status: head.status,
                version: head.version,
                headers: head.headers,
                body: RawBody::Builtin { io, read },
            };
            Ok((response, Some(written)))
        }
        Sender::Http1(mut sender) => {
            sender.ready().await?;
            let response = sender.send_request(build(request, last_id, false)).await?;
            Ok((response.into(), None))
        }
        Sender::Http2(mut sender) => {
            sender.ready().await?;
            let response = sender.send_request(build(request, last_id, true)).await?;
            Ok((response.into(), None))
        }
    }
}

/// The request target and header fields for one attempt: origin-form with
/// `host` for HTTP/1.1, the absolute URL for HTTP/2 (which carries it in
/// pseudo-headers).
fn parts(request: &Request, last_id: Option<&HeaderValue>, h2: bool) -> (String, HeaderMap) {
    let url = &request.url;
    let mut headers = HeaderMap::with_capacity(request.headers.len() + 4);
    let uri = if h2 {
        let mut absolute = url.clone();
        absolute.set_fragment(None);
        absolute.to_string()
    } else {
        if let Ok(host) = HeaderValue::from_str(&host_header(url)) {
            headers.insert(header::HOST, host);
        }
        origin_form(url)
    };
    if !request.headers.contains_key(header::ACCEPT) {
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
    }
    if !request.headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    for (name, value) in &request.headers {
        headers.append(name, value.clone());
    }
    if let Some(id) = last_id {
        headers.insert("last-event-id", id.clone());
    }
    (uri, headers)
}

/// The hyper request for one attempt.
fn build(
    request: &Request,
    last_id: Option<&HeaderValue>,
    h2: bool,
) -> hyper::Request<Full<bytes::Bytes>> {
    let (uri, headers) = parts(request, last_id, h2);
    let mut http_request = hyper::Request::new(Full::new(request.body.clone()));
    *http_request.method_mut() = request.method.clone();
    *http_request.version_mut() = if h2 {
        Version::HTTP_2
    } else {
        Version::HTTP_11
    };
    *http_request.headers_mut() = headers;
    if let Ok(uri) = uri.parse() {
        *http_request.uri_mut() = uri;
    }
    http_request
}

fn host_header(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

fn origin_form(url: &url::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::HeaderMap;
    use http::header::{CONTENT_TYPE, HeaderValue, SET_COOKIE};

    use super::{is_event_stream, owned_headers};

    #[test]
    fn kept_headers_do_not_share_the_read_buffer() {
        // Like hyper's: values sliced out of one large read buffer.
        let mut buffer = b"text/event-stream; charset=utf-8\0a=1\0".to_vec();
        buffer.resize(64 * 1024, b'x');
        let buffer = Bytes::from(buffer);
        let mut headers = HeaderMap::new();
        let slice = |range| HeaderValue::from_maybe_shared(buffer.slice(range)).unwrap();
        headers.insert(CONTENT_TYPE, slice(0..32));
        headers.append(SET_COOKIE, slice(33..36));
        headers.append(SET_COOKIE, slice(37..41));

        let owned = owned_headers(&headers);

        let inside = buffer.as_ptr_range();
        for (name, value) in &owned {
            assert!(
                !inside.contains(&value.as_bytes().as_ptr()),
                "{name} is shared"
            );
        }
        assert_eq!(owned, headers);
        let cookies: Vec<_> = owned.get_all(SET_COOKIE).iter().collect();
        assert_eq!(cookies, ["a=1", "xxxx"]);
    }

    #[test]
    fn event_stream_content_types() {
        for yes in [
            "text/event-stream",
            "text/event-stream;charset=utf-8",
            "Text/Event-Stream ; charset=UTF-8",
        ] {
            assert!(is_event_stream(&HeaderValue::from_static(yes)), "{yes}");
        }
        for no in [
            "text/event-streams",
            "text/plain",
            "",
            "text/event-stream, text/html",
        ] {
            assert!(!is_event_stream(&HeaderValue::from_static(no)), "{no}");
        }
    }
}
