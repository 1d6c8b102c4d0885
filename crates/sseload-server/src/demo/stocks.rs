//! The stock feed of Gatling's stock-market sample: `GET /stocks/prices`
//! sends a `snapshot` event holding every price as a JSON array, then a
//! `price` event `{symbol, price, ts}` for each change.
//!
//! Each symbol is its own topic (`stocks.AAPL`, ...), so `?symbols=` is a
//! subscription to several topics and resumes exactly like one.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use http::Request;
use sseload_proto::EventBuilder;
use tokio::time::{Instant, MissedTickBehavior};

use crate::NewEvent;
use crate::respond::Reply;
use crate::server::Shared;
use crate::subscribe::{self, HubStream, bad_request};

/// The symbols and their opening prices, in cents.
pub(crate) const SYMBOLS: [(&str, i64); 8] = [
    ("AAPL", 18_912),
    ("AMZN", 17_845),
    ("GOOG", 14_130),
    ("META", 48_866),
    ("MSFT", 41_571),
    ("NFLX", 61_820),
    ("NVDA", 87_563),
    ("TSLA", 24_310),
];

fn topic(symbol: &str) -> String {
    format!("stocks.{symbol}")
}

fn price_event(symbol: &str, cents: i64) -> NewEvent {
    let ts = super::now_ms();
    let data = format!(
        "{{\"symbol\":\"{symbol}\",\"price\":{}.{:02},\"ts\":{ts}}}",
        cents / 100,
        cents % 100
    );
    NewEvent::new(data).event("price")
}

/// Publishes the opening prices at once (so the first snapshot is complete),
/// then returns the task that publishes one price change per tick until shutdown.
pub(crate) fn publish(shared: Arc<Shared>) -> impl Future<Output = ()> + Send {
    for (symbol, cents) in SYMBOLS {
        let _ = shared
            .hub
            .publish(&topic(symbol), &[price_event(symbol, cents)]);
    }
    ticks(shared)
}

async fn ticks(shared: Arc<Shared>) {
    let mut prices: Vec<i64> = SYMBOLS.iter().map(|(_, cents)| *cents).collect();
    let interval = shared.config.demo.stock_interval;
    let mut ticker = tokio::time::interval_at(Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut phase = shared.phase.clone();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = crate::server::stopping(&mut phase) => return,
        }
        let roll = shared.dice.next_u64();
        let index = (roll % SYMBOLS.len() as u64) as usize;
        prices[index] = step(prices[index], roll >> 32);
        let symbol = SYMBOLS[index].0;
        let _ = shared
            .hub
            .publish(&topic(symbol), &[price_event(symbol, prices[index])]);
    }
}

/// Moves a price by up to ±1%, never below one cent.
fn step(cents: i64, roll: u64) -> i64 {
    let permille = (roll % 21) as i64 - 10;
    (cents + cents * permille / 1000).max(1)
}

/// `GET /stocks/prices?symbols=AAPL,MSFT`.
pub(crate) fn subscribe<B>(shared: &Shared, request: &Request<B>) -> Reply {
    let opened = subscribe::admit(shared, request).and_then(|(mut query, faults)| {
        let symbols = query.list("symbols").map_err(bad_request)?;
        query.finish().map_err(bad_request)?;
        let topics = topics(symbols).map_err(bad_request)?;
        subscribe::inject(shared, &faults)?;
        let stream = HubStream {
            topics,
            types: None,
            faults,
        };
        subscribe::open(shared, request.headers(), stream, snapshot)
    });
    opened.unwrap_or_else(|reply| reply)
}

fn topics(symbols: Option<Vec<String>>) -> Result<Vec<Arc<str>>, String> {
    let Some(symbols) = symbols else {
        return Ok(SYMBOLS.iter().map(|(s, _)| Arc::from(topic(s))).collect());
    };
    let mut topics: Vec<Arc<str>> = Vec::new();
    for symbol in symbols {
        let upper = symbol.to_ascii_uppercase();
        if !SYMBOLS.iter().any(|(s, _)| *s == upper) {
            let known: Vec<&str> = SYMBOLS.iter().map(|(s, _)| *s).collect();
            return Err(format!(
                "unknown symbol {symbol:?} (known: {})",
                known.join(",")
            ));
        }
        let name: Arc<str> = Arc::from(topic(&upper));
        if !topics.contains(&name) {
            topics.push(name);
        }
    }
    Ok(topics)
}

/// The `snapshot` event: the newest price of every subscribed symbol, as a JSON array.
fn snapshot(latest: &[Option<Arc<str>>]) -> Option<Bytes> {
    let items: Vec<&str> = latest.iter().flatten().map(|data| &**data).collect();
    let data = format!("[{}]", items.join(","));
    EventBuilder::new()
        .event("snapshot")
        .data(data)
        .encode()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::step;

    #[test]
    fn prices_move_at_most_one_percent_and_stay_positive() {
        for roll in 0..21 {
            let next = step(10_000, roll);
            assert!((9_900..=10_100).contains(&next), "{next}");
        }
        assert_eq!(step(1, 0), 1);
    }
}
