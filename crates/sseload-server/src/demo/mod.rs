//! Demo feeds, so that a newcomer has something real to hit: stock prices,
//! a clock, and OpenAI-style completions and chat completions, plus a browser page;
//! and a firehose of pre-encoded events for measuring a client's throughput.
//!
//! Every demo event carries the server's wall-clock time as `ts`
//! (milliseconds since the Unix epoch) so that a client can measure delivery
//! latency. The stock and clock feeds are hub topics, so they replay after
//! `Last-Event-ID` like any other topic.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::server::Shared;

pub(crate) mod chat;
pub(crate) mod clock;
pub(crate) mod firehose;
pub(crate) mod llm;
pub(crate) mod page;
pub(crate) mod stocks;

/// The background publishers of the enabled demo feeds.
pub(crate) fn feeds(shared: &Arc<Shared>) -> Vec<Pin<Box<dyn Future<Output = ()> + Send>>> {
    let demo = &shared.config.demo;
    let mut feeds: Vec<Pin<Box<dyn Future<Output = ()> + Send>>> = Vec::new();
    if demo.stocks {
        feeds.push(Box::pin(stocks::publish(Arc::clone(shared))));
    }
    if demo.clock {
        feeds.push(Box::pin(clock::publish(Arc::clone(shared))));
    }
    feeds
}

/// Milliseconds since the Unix epoch, by the wall clock.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
