//! Reconnection delays: the server's reconnection time, exponential back-off
//! with jitter after repeated failures, and `Retry-After`.

use std::time::{Duration, SystemTime};

use http::HeaderMap;
use http::header::RETRY_AFTER;

use crate::client::Backoff;

/// The smallest base for the exponential part, so that `retry: 0` does not
/// turn repeated failures into a busy loop.
const MIN_BASE: Duration = Duration::from_millis(100);

/// The delay before reconnection attempt number `attempt` (1-based).
///
/// The first attempt after a loss waits the reconnection time, as the spec
/// says. Later attempts (the previous one failed) wait the reconnection time
/// doubled per failure, capped at `max_delay` but never below the
/// reconnection time, then drawn uniformly from `[(1 - jitter) * d, d]`.
pub(crate) fn delay(backoff: &Backoff, reconnection_time: Duration, attempt: u32) -> Duration {
    if attempt <= 1 {
        return reconnection_time;
    }
    let base = reconnection_time.max(MIN_BASE);
    let factor = 1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX);
    let capped = base
        .saturating_mul(factor)
        .min(backoff.max_delay)
        .max(reconnection_time);
    jittered(capped, backoff.jitter)
}

fn jittered(delay: Duration, jitter: f64) -> Duration {
    if jitter <= 0.0 {
        return delay;
    }
    let keep = 1.0 - jitter * rand::random::<f64>();
    delay.mul_f64(keep)
}

/// `Retry-After` as a delay: delta-seconds, or an HTTP date (relative to now).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, SystemTime::now())
}

fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff(jitter: f64) -> Backoff {
        Backoff {
            default_retry: Duration::from_secs(3),
            max_delay: Duration::from_secs(30),
            jitter,
        }
    }

    #[test]
    fn first_attempt_waits_the_reconnection_time() {
        assert_eq!(
            delay(&backoff(0.5), Duration::from_millis(1500), 1),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn later_attempts_double_up_to_the_cap() {
        let b = backoff(0.0);
        let secs = |attempt| delay(&b, Duration::from_secs(3), attempt).as_secs();
        assert_eq!([2, 3, 4, 5, 40].map(secs), [6, 12, 24, 30, 30]);
    }

    #[test]
    fn the_cap_never_shortens_the_server_reconnection_time() {
        assert_eq!(
            delay(&backoff(0.0), Duration::from_secs(60), 3),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn retry_zero_still_backs_off() {
        assert_eq!(
            delay(&backoff(0.0), Duration::ZERO, 3),
            Duration::from_millis(400)
        );
    }

    #[test]
    fn jitter_stays_within_its_band() {
        let b = backoff(0.5);
        for _ in 0..200 {
            let d = delay(&b, Duration::from_secs(1), 2);
            assert!(
                (Duration::from_secs(1)..=Duration::from_secs(2)).contains(&d),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
