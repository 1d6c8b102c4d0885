//! The clock feed: one `timestamp` event per tick on topic `clock`, as in the
//! Hertz SSE example, with the time in RFC 3339 and as `ts`.

use std::sync::Arc;

use http::Request;
use tokio::time::{Instant, MissedTickBehavior};

use crate::NewEvent;
use crate::respond::Reply;
use crate::server::Shared;
use crate::subscribe::{self, HubStream, bad_request};

/// The topic the clock publishes to.
pub(crate) const TOPIC: &str = "clock";

/// Publishes one event per tick until shutdown.
pub(crate) async fn publish(shared: Arc<Shared>) {
    let interval = shared.config.demo.clock_interval;
    let mut ticker = tokio::time::interval_at(Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut phase = shared.phase.clone();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = crate::server::stopping(&mut phase) => return,
        }
        let ts = super::now_ms();
        let data = format!("{{\"time\":\"{}\",\"ts\":{ts}}}", rfc3339(ts));
        let _ = shared
            .hub
            .publish(TOPIC, &[NewEvent::new(data).event("timestamp")]);
    }
}

/// `GET /clock`.
pub(crate) fn subscribe<B>(shared: &Shared, request: &Request<B>) -> Reply {
    let opened = subscribe::admit(shared, request).and_then(|(query, faults)| {
        query.finish().map_err(bad_request)?;
        subscribe::inject(shared, &faults)?;
        let stream = HubStream {
            topics: vec![Arc::from(TOPIC)],
            types: None,
            faults,
        };
        subscribe::open(shared, request.headers(), stream, |_| None)
    });
    opened.unwrap_or_else(|reply| reply)
}

/// Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn rfc3339(ms: u64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms);
    humantime::format_rfc3339_millis(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(1_795_184_424_000), "2026-11-20T14:20:24.000Z");
    }
}
