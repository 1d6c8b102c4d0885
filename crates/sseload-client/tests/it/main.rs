//! Integration tests of the reconnecting client against real peers on loopback.
//!
//! Reconnect delays run on paused Tokio time: the runtime jumps to the next
//! timer only when every task waits, and loopback I/O between tasks of the
//! one-thread test runtime is ready at once, so no timer fires early.

/// Shared helpers: the client under test, expected request bytes, item waiting.
mod support;

/// The builtin HTTP/1.1 path: framing split across reads, long lines, typed errors.
mod builtin;
/// Opening a stream: exact request bytes, events, comments, timing points.
mod open;
/// Reconnects: drops mid-event, `retry`, Last-Event-ID, back-off, attempts.
mod reconnect;
/// Redirects: each status, method changes, bounds, later reconnects.
mod redirect;
/// Statuses and content types under both policies.
mod status;
/// Connect and idle timeouts.
mod timeout;
/// Timing points against a peer that answers after a known delay.
mod timing;
/// TLS and HTTP/2.
mod tls;
