//! What a stream asks for: method, URL, headers, body, and the stream's own options.

use bytes::Bytes;
use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use url::Url;

use crate::error::Error;

/// The request a stream sends on every (re)connection.
///
/// `Accept: text/event-stream`, `Cache-Control: no-cache` (unless given
/// here) and `Last-Event-ID` (when the last event id is not empty) are added
/// by the client. A `Last-Event-ID` given as a header is read as the
/// starting [`last_event_id`](Self::last_event_id). An id holding control characters cannot be a header value;
/// such an id is kept for the events but not sent.
///
/// ```
/// use sseload_client::Request;
///
/// let request = Request::new(http::Method::POST, "https://api.example/v1/chat")?
///     .header(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"))
///     .body(r#"{"stream":true}"#);
/// assert_eq!(request.url().as_str(), "https://api.example/v1/chat");
/// # Ok::<(), sseload_client::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) last_event_id: String,
    pub(crate) comments: bool,
}

impl Request {
    /// A GET request for `url`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] when `url` is not an absolute `http` or `https` URL with a host.
    pub fn get(url: &str) -> Result<Self, Error> {
        Self::new(Method::GET, url)
    }

    /// A request with any method for `url`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] when `url` is not an absolute `http` or `https` URL with a host.
    pub fn new(method: Method, url: &str) -> Result<Self, Error> {
        let parsed = Url::parse(url).map_err(|err| invalid_url(url, err.to_string()))?;
        check_url(&parsed)?;
        Ok(Self {
            method,
            url: parsed,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            last_event_id: String::new(),
            comments: false,
        })
    }

    /// Adds a header (repeatable; values of the same name are all sent).
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets the body, sent with a `content-length`.
    #[must_use]
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Starts from this last event id, sent as `Last-Event-ID` on the first connection.
    #[must_use]
    pub fn last_event_id(mut self, id: &str) -> Self {
        id.clone_into(&mut self.last_event_id);
        self
    }

    /// Reports comment lines as [`Item::Comment`](crate::Item::Comment) (default off).
    #[must_use]
    pub fn comments(mut self, comments: bool) -> Self {
        self.comments = comments;
        self
    }

    /// The URL (after redirects, once the stream has followed any).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// A `Last-Event-ID` given with [`header`](Self::header) becomes the
    /// starting id (unless [`last_event_id`](Self::last_event_id) set one)
    /// and leaves the fixed headers: the header must always say the stream's
    /// current last event id, and none when the server has reset it to empty.
    pub(crate) fn adopt_last_event_id_header(&mut self) {
        let given = self.headers.remove(LAST_EVENT_ID);
        if let Some(id) = given
            .as_ref()
            .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
            && self.last_event_id.is_empty()
        {
            id.clone_into(&mut self.last_event_id);
        }
    }

    /// `host:port` of the URL, for error messages.
    pub(crate) fn authority(&self) -> String {
        authority(&self.url)
    }

    /// Follows a redirect, as the Fetch standard does: 303 (and 301/302 after
    /// a POST) turns the request into a GET without a body, and a move to
    /// another origin drops credentials.
    pub(crate) fn redirect(&mut self, status: StatusCode, location: &str) -> Result<(), Error> {
        let unusable = || Error::Redirect {
            url: self.url.to_string(),
            location: location.to_owned(),
        };
        if location.is_empty() {
            return Err(unusable());
        }
        let next = self.url.join(location).map_err(|_| unusable())?;
        check_url(&next).map_err(|_| unusable())?;
        let to_get = match status {
            StatusCode::SEE_OTHER => self.method != Method::GET && self.method != Method::HEAD,
            StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => self.method == Method::POST,
            _ => false,
        };
        if to_get {
            self.method = Method::GET;
            self.body = Bytes::new();
            for name in BODY_HEADERS {
                self.headers.remove(name);
            }
        }
        if next.origin() != self.url.origin() {
            self.headers.remove(header::AUTHORIZATION);
            self.headers.remove(header::PROXY_AUTHORIZATION);
            self.headers.remove(header::COOKIE);
        }
        self.url = next;
        Ok(())
    }
}

const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// The Fetch standard's "request-body-header names", dropped with the body.
const BODY_HEADERS: [HeaderName; 4] = [
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::CONTENT_LOCATION,
    header::CONTENT_TYPE,
];

pub(crate) fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

fn check_url(url: &Url) -> Result<(), Error> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid_url(
            url.as_str(),
            format!("scheme {:?} is not http or https", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid_url(url.as_str(), "no host".to_owned()));
    }
    Ok(())
}

fn invalid_url(url: &str, reason: String) -> Error {
    Error::InvalidUrl {
        url: url.to_owned(),
        reason,
    }
}
