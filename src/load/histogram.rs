//! Latency histograms in a mergeable form: HdrHistogram (microseconds, 3 significant digits)
//! serialized as V2 + DEFLATE in base64, so `load.json` files from several machines can be
//! merged before thresholds are judged (a percentile of merged histograms is exact to the
//! histogram's precision; an average of percentiles is not).

use super::error::LoadError;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use serde::{Deserialize, Serialize};

/// Significant decimal digits kept (values within 0.1%).
const SIGFIG: u8 = 3;
/// Highest value tracked before the histogram grows: 100 ms, in microseconds. Small, because
/// a run keeps one histogram per endpoint and per second; a longer latency grows it.
const HIGHEST_US: u64 = 100_000;

/// Latencies of one endpoint (or of a whole run), in microseconds.
#[derive(Debug, Clone)]
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        let mut h =
            Histogram::new_with_bounds(1, HIGHEST_US, SIGFIG).expect("constant bounds are valid");
        // A longer latency grows the histogram instead of being lost.
        h.auto(true);
        Latency(h)
    }
}

impl Latency {
    /// Records one latency (at least 1 µs).
    pub fn record(&mut self, latency: Duration) {
        let us = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        // Auto-resizing histograms only refuse values beyond u64 range.
        let _ = self.0.record(us);
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Latency) -> Result<(), LoadError> {
        self.0
            .add(&other.0)
            .map_err(|e| LoadError::Histogram(format!("cannot merge: {e:?}")))
    }

    /// How many latencies were recorded.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The latency at quantile `q` (0.0 to 1.0); zero when empty.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        Duration::from_micros(self.0.value_at_quantile(q))
    }

    /// The largest latency; zero when empty.
    pub fn max(&self) -> Duration {
        Duration::from_micros(if self.0.is_empty() { 0 } else { self.0.max() })
    }

    /// Mean latency; zero when empty.
    pub fn mean(&self) -> Duration {
        Duration::from_secs_f64(self.0.mean() / 1e6)
    }

    /// `(upper bound, count)` of buckets whose bounds grow by `factor` from `first` (for
    /// the report's histogram chart); the last bucket holds everything above.
    pub fn buckets(&self, first: Duration, factor: f64, n: usize) -> Vec<(Duration, u64)> {
        let mut out = Vec::with_capacity(n);
        let mut low = 0u64;
        let mut high = u64::try_from(first.as_micros()).unwrap_or(u64::MAX).max(1) as f64;
        for i in 0..n {
            let upper = if i + 1 == n { u64::MAX } else { high as u64 };
            let count = if self.0.is_empty() {
                0
            } else {
                self.0
                    .iter_recorded()
                    .filter(|v| (low..upper).contains(&v.value_iterated_to()))
                    .map(|v| v.count_at_value())
                    .sum()
            };
            // The open last bucket is labelled with the largest value it holds.
            let label = if i + 1 == n {
                (high as u64).max(self.0.max())
            } else {
                upper
            };
            out.push((Duration::from_micros(label), count));
            low = upper;
            high *= factor;
        }
        out
    }

    /// The V2 + DEFLATE serialization, base64.
    pub fn to_base64(&self) -> Result<String, LoadError> {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.0, &mut bytes)
            .map_err(|e| LoadError::Histogram(format!("cannot serialize: {e:?}")))?;
        Ok(STANDARD.encode(bytes))
    }

    /// Reads what [`Latency::to_base64`] wrote (or any V2 histogram, e.g. from another tool).
    pub fn from_base64(text: &str) -> Result<Latency, LoadError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| LoadError::Histogram(format!("not base64: {e}")))?;
        let mut h: Histogram<u64> = Deserializer::new()
            .deserialize(&mut std::io::Cursor::new(bytes))
            .map_err(|e| LoadError::Histogram(format!("not a V2 histogram: {e:?}")))?;
        h.auto(true);
        Ok(Latency(h))
    }
}

impl Serialize for Latency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64().map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for Latency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Latency, D::Error> {
        let text = String::deserialize(d)?;
        Latency::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn of(values: &[u64]) -> Latency {
        let mut l = Latency::default();
        for v in values {
            l.record(Duration::from_micros(*v));
        }
        l
    }

    #[test]
    fn quantiles_of_a_known_set() {
        let l = of(&(1..=1000).map(|v| v * 1000).collect::<Vec<_>>());
        assert_eq!(l.count(), 1000);
        let p50 = l.quantile(0.5).as_micros() as f64;
        assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.002, "{p50}");
        let max = l.max().as_micros() as f64;
        assert!((max - 1_000_000.0).abs() / 1_000_000.0 < 0.002, "{max}");
        assert_eq!(Latency::default().quantile(0.99), Duration::ZERO);
    }

    #[test]
    fn garbage_is_refused_with_a_message() {
        assert!(
            Latency::from_base64("%%%")
                .unwrap_err()
                .to_string()
                .contains("base64")
        );
        assert!(
            Latency::from_base64("AAAA")
                .unwrap_err()
                .to_string()
                .contains("V2")
        );
    }

    #[test]
    fn buckets_hold_every_value() {
        let l = of(&[500, 1500, 15_000, 150_000, 5_000_000]);
        let b = l.buckets(Duration::from_millis(1), 10.0, 4);
        let counts: Vec<u64> = b.iter().map(|(_, c)| *c).collect();
        assert_eq!(counts, [1, 1, 1, 2]);
    }

    proptest! {
        #[test]
        fn merged_equals_recorded_together_and_survives_json(
            a in prop::collection::vec(1u64..50_000_000, 0..200),
            b in prop::collection::vec(1u64..50_000_000, 0..200),
        ) {
            let mut merged = of(&a);
            merged.merge(&of(&b)).unwrap();
            let together = of(&[a.clone(), b.clone()].concat());
            prop_assert_eq!(merged.count(), together.count());
            let json = serde_json::to_string(&merged).unwrap();
            let back: Latency = serde_json::from_str(&json).unwrap();
            let mut last = Duration::ZERO;
            for q in [0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
                prop_assert_eq!(merged.quantile(q), together.quantile(q));
                prop_assert_eq!(back.quantile(q), together.quantile(q));
                prop_assert!(merged.quantile(q) >= last, "quantiles are monotonic");
                last = merged.quantile(q);
            }
        }
    }
}
