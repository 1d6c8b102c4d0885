//! A reconnecting Server-Sent Events (EventSource) client on hyper, with the
//! timing points a load tester needs.
//!
//! - [`Client`] holds what many streams share (TLS configuration, timeouts,
//!   status [`Policy`], [`Reconnect`] limit, back-off); it is cheap to clone.
//!   [`Builder`] makes one; [`Builder::tls_config`] hands the same TLS trust
//!   to connections made beside the streams.
//! - [`Request`] is what a stream asks for: any method, headers and body (a
//!   POST with a JSON body is as easy as a GET), and a starting last event id.
//! - [`EventStream`] is a [`futures_core::Stream`] of [`Item`]s: the stream
//!   [`Opened`] (status, headers, [`Timing`]), each event with the instant its
//!   chunk arrived, comments, each [`Reconnecting`] with its attempt, delay and
//!   cause, and a last [`Item::Closed`] or [`Item::Error`].
//! - HTTP/1.1 is spoken by the client's own response path by default
//!   ([`Http1Engine::Builtin`]: no task per connection, and an idle stream
//!   keeps no read or write buffer; about 1.3 KiB per idle stream against
//!   16 KiB on hyper's, see the `idle_streams` example); its malformed
//!   responses are an [`Http1Error`]. [`Http1Engine::Hyper`] selects hyper's
//!   HTTP/1.1 client instead. HTTP/2 is always hyper's.
//!
//! The stream follows the WHATWG rules: it reconnects on a network error and
//! at the end of the body after the reconnection time (the server's `retry`,
//! default 3 s), sending `Last-Event-ID`; repeated failures back off
//! exponentially with jitter. 204 stops it; redirects are followed; 5xx and
//! 429 are retried (honouring `Retry-After`) unless [`Policy::Browser`] is
//! asked for; any other status or a wrong content type ends it with an [`Error`].
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use sseload_client::{Client, Item, Request};
//!
//! # async fn run() -> Result<(), sseload_client::Error> {
//! let client = Client::builder().build()?;
//! let mut stream = client.stream(Request::get("https://example.com/events")?);
//! while let Some(item) = stream.next().await {
//!     match item {
//!         Item::Event { event, .. } => println!("{}: {}", event.event_type(), event.data()),
//!         Item::Error(err) => return Err(err),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```

pub use crate::{
    client::{Builder, Client, DEFAULT_RETRY, Http1Engine, HttpVersion, Policy, Reconnect},
    error::{BoxError, Error},
    h1::Http1Error,
    request::Request,
    stream::{Closed, EventStream, Item, Opened, Reconnecting, Timing},
};
pub use sseload_proto::{Event, Limits};

mod backoff;
mod client;
mod connect;
mod error;
mod h1;
mod open;
mod request;
mod stream;
mod tls;
