//! The clock feed: one `timestamp` event per tick on topic `clock`, as in the
//! Hertz SSE example, with the time in RFC 3339 and as `ts`.

use std::sync::Arc;

use http::Request;
use hyper::body::Incoming;
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
pub(crate) fn subscribe(shared: &Shared, request: &Request<Incoming>) -> Reply {
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
    let secs = ms / 1000;
    let (year, month, day) = civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z",
        ms % 1000
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
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
