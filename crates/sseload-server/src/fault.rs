//! Fault knobs per request: the server's defaults, overridden by query parameters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::config::{ErrorStatus, Faults};
use crate::query::Query;
use crate::stream::StreamFaults;

/// The faults in force for one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestFaults {
    pub(crate) stream: StreamFaults,
    pub(crate) error_rate: f64,
    pub(crate) error_status: ErrorStatus,
}

/// Reads `delay_ms`, `drop_after`, `stall_after`, `stall_ms`, `error_rate`
/// and `error_status` over the server's defaults.
pub(crate) fn from_query(query: &mut Query, defaults: &Faults) -> Result<RequestFaults, String> {
    let millis = |ms: u64| Duration::from_millis(ms);
    let delay = query.parsed::<u64>("delay_ms", "milliseconds")?.map(millis);
    let stall_for = query.parsed::<u64>("stall_ms", "milliseconds")?.map(millis);
    let stream = StreamFaults {
        delay: delay.or(defaults.delay).filter(|d| !d.is_zero()),
        drop_after: query
            .parsed("drop_after", "a whole number")?
            .or(defaults.drop_after),
        stall_after: query
            .parsed("stall_after", "a whole number")?
            .or(defaults.stall_after),
        stall_for: stall_for.unwrap_or(defaults.stall_for),
    };
    let error_rate = match query.parsed::<f64>("error_rate", "a fraction from 0 to 1")? {
        Some(rate) if !(0.0..=1.0).contains(&rate) => {
            return Err(format!(
                "query parameter `error_rate`: {rate} is not between 0 and 1"
            ));
        }
        Some(rate) => rate,
        None => defaults.error_rate,
    };
    let error_status = match query.parsed::<u16>("error_status", "500 or 503")? {
        Some(code) => ErrorStatus::from_code(code)
            .ok_or_else(|| format!("query parameter `error_status`: {code} is not 500 or 503"))?,
        None => defaults.error_status,
    };
    Ok(RequestFaults {
        stream,
        error_rate,
        error_status,
    })
}

/// A seeded source of uniform numbers in `[0, 1)`, shared by all requests
/// (SplitMix64 over an atomic counter: repeatable for a given request order).
#[derive(Debug)]
pub(crate) struct Dice {
    state: AtomicU64,
}

impl Dice {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            state: AtomicU64::new(seed),
        }
    }

    pub(crate) fn next_u64(&self) -> u64 {
        let x = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
        let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn roll(&self) -> f64 {
        // 53 random bits make every double in [0, 1) with this spacing equally likely.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::from_query;
    use crate::config::Faults;
    use crate::query::Query;

    #[test]
    fn the_defaults_leave_a_stream_without_faults() {
        // `stall_for` has a default; alone it must not take a stream off the
        // hub's direct-write path (every stream would then wake its task per event).
        let faults = from_query(&mut Query::parse(None), &Faults::default()).unwrap();
        assert!(!faults.stream.any());
        let faults =
            from_query(&mut Query::parse(Some("stall_ms=10")), &Faults::default()).unwrap();
        assert!(!faults.stream.any(), "a stall's length without a stall");
        let faults =
            from_query(&mut Query::parse(Some("stall_after=3")), &Faults::default()).unwrap();
        assert!(faults.stream.any());
        let faults = from_query(&mut Query::parse(Some("delay_ms=5")), &Faults::default()).unwrap();
        assert!(faults.stream.any());
    }
}
