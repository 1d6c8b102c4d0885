//! One open SSE stream of a user: the client's [`EventStream`] read in the
//! user's task, its phase, and the per-event measurements (time to first
//! event, event gap, delivery latency, reconnect gap, sequence numbers).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_core::Stream as _;
use serde_json::Value;
use sseload_client::{Event, EventStream, Item, Opened};
use sseload_metrics::Metric;
use sseload_scenario::{JsonPath, SseConnect, TimeUnit, Timestamp, Unmatched};
use tokio::time::Instant;

use crate::names::NameId;
use crate::record::Store;

/// Where a stream is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Phase {
    /// The first connection is being made.
    Connecting,
    /// Connected (or reconnecting after a loss).
    Open,
    /// The stream ended without an error (end of body without reconnect, 204).
    Ended(String),
    /// The stream ended with an error, or never opened.
    Crashed(String),
}

/// What an event's data says about its delivery.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Payload {
    latency: Option<Duration>,
    number: Option<u64>,
}

/// One stream a user holds.
#[derive(Debug)]
pub(crate) struct Slot<'p> {
    pub(crate) name: &'p str,
    pub(crate) connect: NameId,
    pub(crate) spec: &'p SseConnect,
    pub(crate) events: Option<EventStream>,
    pub(crate) phase: Phase,
    /// When the first request was written (time to first event starts here).
    request_written: Option<Instant>,
    first_event: bool,
    last_event_at: Option<Instant>,
    lost_at: Option<Instant>,
    last_sequence: Option<u64>,
    /// Whether the stream counts in the open-streams gauge now.
    pub(crate) counted: bool,
    pub(crate) unmatched: VecDeque<(Event, Instant)>,
}

impl<'p> Slot<'p> {
    pub(crate) fn new(spec: &'p SseConnect, connect: NameId, events: EventStream) -> Self {
        Self {
            name: &spec.stream,
            connect,
            spec,
            events: Some(events),
            phase: Phase::Connecting,
            request_written: None,
            first_event: false,
            last_event_at: None,
            lost_at: None,
            last_sequence: None,
            counted: false,
            unmatched: VecDeque::new(),
        }
    }

    /// Polls the client stream; `Ready(None)` means it is finished.
    pub(crate) fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        match &mut self.events {
            Some(events) => Pin::new(events).poll_next(cx),
            None => Poll::Pending,
        }
    }

    /// A connection opened: connect time, and response time from the
    /// request written to the response head.
    pub(crate) fn on_opened(&mut self, store: &mut Store, opened: &Opened) {
        let t = opened.timing;
        store.record(
            self.connect,
            Metric::ConnectTime,
            t.connected - t.connect_started,
        );
        store.record(
            self.connect,
            Metric::ResponseTime,
            t.headers_received - t.request_written,
        );
        if self.request_written.is_none() {
            self.request_written = Some(t.request_written);
            store.outcome(self.connect, true);
        }
        self.phase = Phase::Open;
    }

    /// A connection was lost; the client reconnects.
    pub(crate) fn on_lost(&mut self, store: &mut Store, lost_at: Instant) {
        store.counts(self.connect).reconnects += 1;
        store.tick.reconnects += 1;
        self.lost_at.get_or_insert(lost_at);
        self.last_event_at = None;
    }

    /// Reads what an event's data carries (send time, sequence number),
    /// outside any lock. A singular path (`$.ts`) reads its one value from
    /// the text without building the document; data that is not JSON gives
    /// neither.
    pub(crate) fn read_payload(&self, event: &Event, at: Instant) -> Payload {
        let read = |path: &JsonPath| path.find_first(event.data()).ok().flatten();
        let latency = self
            .spec
            .timestamp
            .as_ref()
            .and_then(|ts| latency(ts, &read(&ts.path)?, at));
        let number = match &self.spec.sequence {
            Some(path) => read(path).as_ref().and_then(number_of),
            None => event.id().parse().ok(),
        };
        Payload { latency, number }
    }

    /// Measures one event of `bytes` bytes of data (its payload read beforehand).
    pub(crate) fn on_event(
        &mut self,
        store: &mut Store,
        bytes: usize,
        at: Instant,
        payload: Payload,
    ) {
        let counts = store.counts(self.connect);
        counts.events += 1;
        counts.bytes += bytes as u64;
        store.tick.events += 1;
        if !self.first_event {
            self.first_event = true;
            if let Some(written) = self.request_written {
                store.record(self.connect, Metric::TimeToFirstEvent, at - written);
            }
        }
        if let Some(previous) = self.last_event_at.replace(at) {
            store.record(self.connect, Metric::EventGap, at - previous);
        }
        if let Some(lost) = self.lost_at.take() {
            store.record(self.connect, Metric::ReconnectGap, at - lost);
        }
        if let Some(latency) = payload.latency {
            store.record(self.connect, Metric::DeliveryLatency, latency);
        }
        if let Some(n) = payload.number {
            self.sequence(store, n, self.spec.sequence.is_some());
        }
    }

    /// Compares `n` with the sequence the stream expects.
    fn sequence(&mut self, store: &mut Store, n: u64, contiguous: bool) {
        let counts = store.counts(self.connect);
        match self.last_sequence {
            Some(last) if n <= last => {
                counts.duplicates += 1;
                return;
            }
            Some(last) if contiguous => {
                counts.missed += n - last - 1;
                store.tick.missed += n - last - 1;
            }
            _ => {}
        }
        self.last_sequence = Some(n);
    }

    /// Keeps an event no check consumed, as the stream's policy says.
    pub(crate) fn keep_unmatched(&mut self, store: &mut Store, event: Event, at: Instant) {
        store.counts(self.connect).unmatched += 1;
        self.buffer(event, at);
    }

    /// Puts an event back into the buffer (bounded, oldest dropped).
    pub(crate) fn buffer(&mut self, event: Event, at: Instant) {
        if let Unmatched::Buffer(limit) = self.spec.unmatched {
            if self.unmatched.len() >= limit.get() as usize {
                self.unmatched.pop_front();
            }
            self.unmatched.push_back((event, at));
        }
    }

    /// Whether the stream is still delivering (or will again after a reconnect).
    pub(crate) fn is_live(&self) -> bool {
        matches!(self.phase, Phase::Connecting | Phase::Open)
    }
}

fn number_of(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// From the event's timestamp to its dispatch (`at`, on the monotonic clock,
/// carried to the wall clock once).
fn latency(ts: &Timestamp, value: &Value, at: Instant) -> Option<Duration> {
    let sent = sent_at(ts, value)?;
    let dispatched = SystemTime::now().checked_sub(at.elapsed())?;
    Some(dispatched.duration_since(sent).unwrap_or_default())
}

fn sent_at(ts: &Timestamp, value: &Value) -> Option<SystemTime> {
    let number = || match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    let since_epoch = match ts.unit {
        TimeUnit::Seconds => Duration::try_from_secs_f64(number()?).ok()?,
        TimeUnit::Millis => Duration::try_from_secs_f64(number()? / 1e3).ok()?,
        TimeUnit::Micros => Duration::try_from_secs_f64(number()? / 1e6).ok()?,
        TimeUnit::Nanos => Duration::try_from_secs_f64(number()? / 1e9).ok()?,
        TimeUnit::Rfc3339 => return rfc3339(value.as_str()?),
    };
    UNIX_EPOCH.checked_add(since_epoch)
}

/// `YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)` to a time.
fn rfc3339(text: &str) -> Option<SystemTime> {
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let zone_at = rest.find(['Z', 'z', '+', '-'])?;
    let (time, zone) = rest.split_at(zone_at);
    let mut t = time.splitn(3, ':');
    let (h, min) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
    );
    let secs: f64 = t.next()?.parse().ok()?;
    let offset = match zone {
        "Z" | "z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let (oh, om) = z[1..].split_once(':')?;
            sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60)
        }
    };
    let whole = days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 - offset;
    let total = whole as f64 + secs;
    UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(total).ok()?)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_reads_utc_and_offsets() {
        let utc = rfc3339("2026-11-21T14:40:24.000Z").unwrap();
        assert_eq!(
            utc.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_795_272_024
        );
        let offset = rfc3339("2026-11-21T15:40:24+01:00").unwrap();
        assert_eq!(utc, offset);
        assert_eq!(rfc3339("yesterday"), None);
    }
}
