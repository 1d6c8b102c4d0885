//! Integration tests of the server, with real connections on 127.0.0.1.

/// The bad-input matrix of the HTTP API: each class of bad request and its status.
mod bad_input;
/// Headless Chromium's EventSource against the server.
mod browser;
/// Cross-origin access: the allowed origin, preflights.
mod cors;
/// The stock, clock and LLM feeds, and the demo page.
mod demo;
/// The data directory: the event log, restarts, torn and damaged logs, compaction.
mod durable;
/// The fault knobs.
mod faults;
/// The firehose feed: sizes, counts, refusals.
mod firehose;
/// A publisher flood with stalled and vanished subscribers: exact drops, bounded ring.
mod flood;
/// Fan-out, resume with Last-Event-ID, slow subscribers, closed topics, filters.
mod hub;
/// Heartbeats, stream lifetime and shutdown, under paused time where timing matters.
mod lifecycle;
/// Bearer tokens, the body limit, the connection limit, publish errors.
mod limits;
/// Starting servers, reading streams.
mod support;
/// The built-in HTTP/1.1 path byte for byte: chunks, keep-alive, hand-off, bad heads.
mod wire;
