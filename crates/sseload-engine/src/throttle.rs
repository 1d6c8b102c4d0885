//! Request-rate caps (`throttle`): the k-th request of a cap may leave once
//! the cap's allowance, the integral of its rate since the run started,
//! reaches k. Requests are HTTP steps and SSE connects (reconnects are not).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sseload_scenario::ThrottleStep;
use tokio::time::Instant;

/// One cap, shared by the users it applies to.
#[derive(Debug)]
pub(crate) struct Throttle {
    steps: Vec<ThrottleStep>,
    issued: AtomicU64,
    start: OnceLock<Instant>,
}

impl Throttle {
    pub(crate) fn new(steps: &[ThrottleStep]) -> Option<Self> {
        (!steps.is_empty()).then(|| Self {
            steps: steps.to_vec(),
            issued: AtomicU64::new(0),
            start: OnceLock::new(),
        })
    }

    /// The run started at `start`.
    pub(crate) fn start(&self, start: Instant) {
        let _ = self.start.set(start);
    }

    /// When the next request may leave (`None`: never, the cap stays at 0).
    pub(crate) fn next_slot(&self) -> Option<Instant> {
        let k = self.issued.fetch_add(1, Ordering::Relaxed);
        let start = *self.start.get_or_init(Instant::now);
        time_of(&self.steps, k as f64).map(|offset| start + offset)
    }
}

/// The time at which the allowance of `steps` reaches `count`.
fn time_of(steps: &[ThrottleStep], count: f64) -> Option<Duration> {
    let (mut at, mut rate, mut allowed) = (0.0_f64, 0.0_f64, 0.0_f64);
    for step in steps {
        let (to, during) = match *step {
            ThrottleStep::Jump { rps } => {
                rate = rps;
                continue;
            }
            ThrottleStep::Reach { rps, within } => (rps, within.as_secs_f64()),
            ThrottleStep::Hold(d) => (rate, d.as_secs_f64()),
        };
        let piece = (rate + to) / 2.0 * during;
        if allowed + piece >= count && piece > 0.0 {
            let within = crate::inject::time_of_count(rate, to, during, count - allowed);
            return Duration::try_from_secs_f64(at + within).ok();
        }
        (at, rate, allowed) = (at + during, to, allowed + piece);
    }
    (rate > 0.0).then(|| Duration::from_secs_f64(at + (count - allowed) / rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn a_jump_then_hold_spaces_requests_evenly_and_the_last_rate_stays() {
        let steps = [
            ThrottleStep::Jump { rps: 10.0 },
            ThrottleStep::Hold(secs(1.0)),
        ];
        assert_eq!(time_of(&steps, 0.0), Some(secs(0.0)));
        assert_eq!(time_of(&steps, 5.0), Some(secs(0.5)));
        assert_eq!(time_of(&steps, 20.0), Some(secs(2.0)));
    }

    #[test]
    fn a_reach_from_zero_integrates_the_rising_rate() {
        let steps = [ThrottleStep::Reach {
            rps: 20.0,
            within: secs(10.0),
        }];
        // 100 requests are allowed by the end of the ramp (the area of the triangle).
        let t = time_of(&steps, 100.0).unwrap();
        assert!((t.as_secs_f64() - 10.0).abs() < 1e-6, "{t:?}");
        assert_eq!(time_of(&[ThrottleStep::Hold(secs(1.0))], 1.0), None);
    }
}
