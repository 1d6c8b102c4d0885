//! A duration histogram with a fixed range, exact merge and a text wire form.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};

use crate::summary::Summary;

/// Precision of every histogram: values are kept to three significant digits.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// The largest duration a histogram tells apart; longer ones are recorded as this.
pub const MAX_TRACKABLE: Duration = Duration::from_secs(3600);

const LOWEST_MICROS: u64 = 1;

/// Why a histogram could not be read back or merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistogramError {
    /// The text is not base64.
    #[error("histogram is not valid base64: {0}")]
    Base64(#[source] base64::DecodeError),
    /// The bytes are not an HdrHistogram V2 (+ DEFLATE) encoding.
    #[error("histogram bytes are not HdrHistogram V2: {0}")]
    Decode(#[source] hdrhistogram::serialization::DeserializeError),
    /// The histogram was recorded with other bounds or precision than sseload's.
    #[error(
        "histogram has range {low}..={high} µs at {digits} significant digits; expected 1..={expected_high} µs at 3"
    )]
    Bounds {
        /// Its lowest discernible value, in µs.
        low: u64,
        /// Its highest trackable value, in µs.
        high: u64,
        /// Its significant digits.
        digits: u8,
        /// The highest trackable value sseload uses, in µs.
        expected_high: u64,
    },
}

/// Durations recorded at microsecond resolution from 1 µs to [`MAX_TRACKABLE`].
///
/// Recording never allocates and never fails: a value above the range is
/// recorded as the maximum and counted in [`Summary::clipped`].
#[derive(Debug, Clone)]
pub struct Histogram {
    inner: hdrhistogram::Histogram<u64>,
    clipped: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for Histogram {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner && self.clipped == other.clipped
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        let inner = hdrhistogram::Histogram::new_with_bounds(
            LOWEST_MICROS,
            max_micros(),
            SIGNIFICANT_DIGITS,
        )
        .expect("the fixed bounds are valid");
        Self { inner, clipped: 0 }
    }

    /// Records one duration.
    pub fn record(&mut self, value: Duration) {
        let micros = u64::try_from(value.as_micros()).unwrap_or(u64::MAX);
        if micros > max_micros() {
            self.clipped += 1;
        }
        self.inner
            .saturating_record(micros.clamp(LOWEST_MICROS, max_micros()));
    }

    /// Adds every value of `other` to this histogram. Exact: counts add.
    pub fn merge(&mut self, other: &Self) {
        self.inner
            .add(&other.inner)
            .expect("histograms with the same bounds always add");
        self.clipped += other.clipped;
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.inner.len()
    }

    /// Returns true if and only if nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// The value at quantile `q` (0.0 to 1.0); zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        Duration::from_micros(self.inner.value_at_quantile(q))
    }

    /// How many recorded values are at or below `bound` (within the
    /// histogram's precision): one cumulative bucket of an OpenMetrics histogram.
    pub fn count_at_or_below(&self, bound: Duration) -> u64 {
        let micros = u64::try_from(bound.as_micros()).unwrap_or(u64::MAX);
        if micros < LOWEST_MICROS {
            return 0;
        }
        self.inner.count_between(0, micros.min(max_micros()))
    }

    /// The sum of the recorded values (their mean times their count).
    pub fn sum(&self) -> Duration {
        Duration::from_secs_f64(self.inner.mean() * self.count() as f64 / 1e6)
    }

    /// The statistics a report shows.
    pub fn summary(&self) -> Summary {
        if self.is_empty() {
            return Summary::default();
        }
        Summary {
            count: self.count(),
            clipped: self.clipped,
            min: Duration::from_micros(self.inner.min()),
            max: Duration::from_micros(self.inner.max()),
            mean: Duration::from_micros(self.inner.mean().round() as u64),
            p50: self.quantile(0.50),
            p75: self.quantile(0.75),
            p95: self.quantile(0.95),
            p99: self.quantile(0.99),
            p999: self.quantile(0.999),
        }
    }

    /// Encodes as HdrHistogram V2 + DEFLATE, base64: the results-file form.
    ///
    /// The clipped count is not part of the HdrHistogram format; results files
    /// carry it next to the histogram.
    pub fn to_base64(&self) -> String {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.inner, &mut bytes)
            .expect("serializing into memory does not fail");
        BASE64.encode(bytes)
    }

    /// Reads the form [`to_base64`](Self::to_base64) writes (also from other HdrHistogram ports).
    ///
    /// # Errors
    ///
    /// [`HistogramError`] when the text is not base64, not HdrHistogram V2, or
    /// was recorded with other bounds than sseload's.
    pub fn from_base64(text: &str) -> Result<Self, HistogramError> {
        let bytes = BASE64.decode(text.trim()).map_err(HistogramError::Base64)?;
        let inner: hdrhistogram::Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(HistogramError::Decode)?;
        let bounds = (inner.low(), inner.high(), inner.sigfig());
        if bounds != (LOWEST_MICROS, max_micros(), SIGNIFICANT_DIGITS) {
            return Err(HistogramError::Bounds {
                low: bounds.0,
                high: bounds.1,
                digits: bounds.2,
                expected_high: max_micros(),
            });
        }
        Ok(Self { inner, clipped: 0 })
    }

    /// The standard deviation; zero when empty.
    pub fn stdev(&self) -> Duration {
        if self.is_empty() {
            return Duration::ZERO;
        }
        Duration::from_micros(self.inner.stdev().round() as u64)
    }

    /// Forgets every value, keeping the memory (for windows reused each second).
    pub fn clear(&mut self) {
        self.inner.reset();
        self.clipped = 0;
    }

    /// Sets the clipped count read from a results file next to the histogram.
    pub fn set_clipped(&mut self, clipped: u64) {
        self.clipped = clipped;
    }
}

fn max_micros() -> u64 {
    MAX_TRACKABLE.as_secs() * 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn summary_of_known_values_is_within_precision() {
        let mut h = Histogram::new();
        for n in 1..=100 {
            h.record(ms(n));
        }
        let s = h.summary();
        assert_eq!(s.count, 100);
        assert_eq!(s.min, ms(1));
        assert!(s.max >= ms(100) && s.max <= ms(100) + ms(100) / 1000);
        assert!(s.p50 >= ms(50) && s.p50 <= ms(50) + ms(50) / 1000);
        assert!(s.p99 >= ms(99) && s.p99 <= ms(99) + ms(99) / 1000);
    }

    #[test]
    fn clear_forgets_values_and_stdev_reads_the_spread() {
        let mut h = Histogram::new();
        h.record(ms(10));
        h.record(ms(30));
        assert!(h.stdev() >= ms(9) && h.stdev() <= ms(11));
        h.clear();
        assert!(h.is_empty());
        assert_eq!(h.stdev(), Duration::ZERO);
    }

    #[test]
    fn empty_histogram_summarises_to_zeroes() {
        assert_eq!(Histogram::new().summary(), Summary::default());
    }

    #[test]
    fn values_above_the_range_are_clipped_and_counted() {
        let mut h = Histogram::new();
        h.record(Duration::from_secs(7200));
        h.record(ms(5));
        let s = h.summary();
        assert_eq!((s.count, s.clipped), (2, 1));
        assert!(s.max >= MAX_TRACKABLE - Duration::from_secs(4));
    }

    #[test]
    fn sub_microsecond_values_count_as_one_microsecond() {
        let mut h = Histogram::new();
        h.record(Duration::from_nanos(10));
        assert_eq!(h.summary().min, Duration::from_micros(1));
    }

    #[test]
    fn base64_round_trip_keeps_every_count() {
        let mut h = Histogram::new();
        for n in [1, 7, 7, 250, 90_000] {
            h.record(ms(n));
        }
        let back = Histogram::from_base64(&h.to_base64()).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn merge_adds_counts_exactly() {
        let (mut a, mut b, mut both) = (Histogram::new(), Histogram::new(), Histogram::new());
        for n in 1..=50 {
            a.record(ms(n));
            both.record(ms(n));
        }
        for n in 51..=120 {
            b.record(ms(n));
            both.record(ms(n));
        }
        a.merge(&b);
        assert_eq!(a, both);
    }

    #[test]
    fn cumulative_counts_and_sum_follow_the_recorded_values() {
        let mut h = Histogram::new();
        for n in [1, 2, 2, 40, 900] {
            h.record(ms(n));
        }
        let counts = [0, 1, 5, 50, 1000].map(|n| h.count_at_or_below(ms(n)));
        assert_eq!(counts, [0, 1, 3, 4, 5]);
        assert_eq!(h.count_at_or_below(Duration::from_secs(7200)), 5);
        let sum = h.sum().as_secs_f64();
        assert!((sum - 0.945).abs() < 0.945e-3, "{sum}");
        assert_eq!(Histogram::new().sum(), Duration::ZERO);
    }

    #[test]
    fn text_that_is_not_base64_is_refused() {
        let err = Histogram::from_base64("not base64!").unwrap_err();
        assert!(matches!(err, HistogramError::Base64(_)), "{err}");
    }

    #[test]
    fn bytes_that_are_not_a_histogram_are_refused() {
        let err = Histogram::from_base64(&BASE64.encode(b"hello world, no histogram")).unwrap_err();
        assert!(matches!(err, HistogramError::Decode(_)), "{err}");
    }

    #[test]
    fn a_histogram_with_other_bounds_is_refused() {
        let other = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 1000, 2).unwrap();
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&other, &mut bytes)
            .unwrap();
        let err = Histogram::from_base64(&BASE64.encode(bytes)).unwrap_err();
        assert!(
            matches!(
                err,
                HistogramError::Bounds {
                    high: 1000,
                    digits: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("1..=1000"));
    }

    proptest::proptest! {
        #[test]
        fn merge_of_splits_equals_recording_everything(values in proptest::collection::vec(0u64..10_000_000_000, 0..200), split in 0usize..200) {
            let split = split.min(values.len());
            let (mut left, mut right, mut all) = (Histogram::new(), Histogram::new(), Histogram::new());
            for (i, v) in values.iter().enumerate() {
                let d = Duration::from_micros(*v);
                all.record(d);
                if i < split { left.record(d) } else { right.record(d) }
            }
            let right = Histogram::from_base64(&right.to_base64()).unwrap();
            left.merge(&right);
            proptest::prop_assert_eq!(left.summary().count, all.summary().count);
            proptest::prop_assert!(left.inner == all.inner);
        }
    }
}
