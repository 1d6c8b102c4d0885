//! Response bodies and the responses every route builds from them.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body::{Body, Frame};

use crate::error::StreamError;
use crate::stream::EventStream;

/// The body of every response: a complete buffer or an event stream.
#[derive(Debug)]
pub(crate) enum ServerBody {
    /// A complete body, sent as one frame.
    Full(Option<Bytes>),
    /// An event stream.
    Stream(Box<EventStream>),
}

impl Body for ServerBody {
    type Data = Bytes;
    type Error = StreamError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, StreamError>>> {
        match self.get_mut() {
            Self::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Self::Stream(stream) => Pin::new(&mut **stream).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Self::Full(None))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Self::Full(bytes) => {
                http_body::SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Self::Stream(_) => http_body::SizeHint::default(),
        }
    }
}

pub(crate) type Reply = Response<ServerBody>;

/// A response with a complete body and a content type.
pub(crate) fn full(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Reply {
    let mut response = Response::new(ServerBody::Full(Some(body.into())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Reply {
    full(status, "application/json", value.to_string())
}

/// A JSON error: `{"error": message}`.
pub(crate) fn error(status: StatusCode, message: impl std::fmt::Display) -> Reply {
    json(status, &serde_json::json!({ "error": message.to_string() }))
}

/// An empty response.
pub(crate) fn empty(status: StatusCode) -> Reply {
    let mut response = Response::new(ServerBody::Full(None));
    *response.status_mut() = status;
    response
}

/// A `200` event stream with the headers SSE needs through proxies.
pub(crate) fn event_stream(stream: EventStream) -> Reply {
    let mut response = Response::new(ServerBody::Stream(Box::new(stream)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // nginx buffers proxied responses, event streams included, unless told not to.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
