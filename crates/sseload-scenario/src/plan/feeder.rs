//! Feeders: records loaded once, handed to users by a strategy.

use std::sync::Arc;

use crate::expr::VarId;

/// A feeder's index in [`Plan::feeders`](super::Plan::feeders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FeederId(pub(crate) u32);

impl FeederId {
    /// The index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Records, loaded when the plan was built.
#[derive(Debug, Clone, PartialEq)]
pub struct Feeder {
    /// Its name.
    pub name: String,
    /// The session variables each record sets, in column order.
    pub columns: Vec<VarId>,
    /// The records: one value per column (`Null` where a record lacks it).
    pub records: Arc<[Vec<serde_json::Value>]>,
    /// How records are handed out.
    pub strategy: FeedStrategy,
    /// The columns marked `secret`: their values are masked wherever text
    /// leaves a run.
    pub secret: Vec<VarId>,
}

/// How records are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedStrategy {
    /// In order, once each; running dry is an error naming the feeder.
    Queue,
    /// A random record each time.
    Random,
    /// Shuffled once, then as a queue.
    Shuffle,
    /// In order, wrapping around.
    Circular,
}

/// Why a feeder gave no record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// A `queue` or `shuffle` feeder has handed out every record.
    #[error(
        "feeder `{feeder}` ran dry after {records} records; use `strategy: circular` or `random`, or give it more records"
    )]
    Exhausted {
        /// The feeder's name.
        feeder: String,
        /// How many records it had.
        records: usize,
    },
}

/// Where a feeder is in its records; one per feeder per run, shared by the
/// users (the engine guards it with a lock).
#[derive(Debug, Clone)]
pub struct FeedCursor {
    next: usize,
    order: Option<Vec<usize>>,
}

impl FeedCursor {
    /// A cursor at the start of `feeder`, shuffling its records once if asked.
    pub fn new(feeder: &Feeder, rng: &mut impl rand::Rng) -> Self {
        let order = (feeder.strategy == FeedStrategy::Shuffle).then(|| {
            let mut order: Vec<usize> = (0..feeder.records.len()).collect();
            rand::seq::SliceRandom::shuffle(order.as_mut_slice(), rng);
            order
        });
        Self { next: 0, order }
    }

    /// The next record of `feeder`: one value per column.
    pub fn next<'f>(
        &mut self,
        feeder: &'f Feeder,
        rng: &mut impl rand::Rng,
    ) -> Result<&'f [serde_json::Value], FeedError> {
        let len = feeder.records.len();
        let index = match feeder.strategy {
            FeedStrategy::Random => rng.random_range(0..len.max(1)),
            FeedStrategy::Circular => self.next % len.max(1),
            FeedStrategy::Queue | FeedStrategy::Shuffle => self.next,
        };
        let index = self
            .order
            .as_ref()
            .map_or(Some(index), |order| order.get(index).copied());
        let record = index.and_then(|i| feeder.records.get(i));
        let record = record.ok_or_else(|| FeedError::Exhausted {
            feeder: feeder.name.clone(),
            records: len,
        })?;
        self.next += 1;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::{Value, json};

    use super::*;

    fn feeder(strategy: FeedStrategy) -> Feeder {
        let records: Vec<Vec<Value>> = (0..3).map(|i| vec![json!(i)]).collect();
        Feeder {
            name: "ids".into(),
            columns: vec![],
            records: Arc::from(records),
            strategy,
            secret: vec![],
        }
    }

    fn take(strategy: FeedStrategy, n: usize) -> Vec<Result<Value, FeedError>> {
        let feeder = feeder(strategy);
        let mut rng = StdRng::seed_from_u64(7);
        let mut cursor = FeedCursor::new(&feeder, &mut rng);
        (0..n)
            .map(|_| cursor.next(&feeder, &mut rng).map(|r| r[0].clone()))
            .collect()
    }

    #[test]
    fn a_queue_runs_dry_with_a_clear_error() {
        let got = take(FeedStrategy::Queue, 4);
        assert_eq!(got[..3], [Ok(json!(0)), Ok(json!(1)), Ok(json!(2))]);
        let err = got[3].clone().unwrap_err();
        assert_eq!(
            err.to_string(),
            "feeder `ids` ran dry after 3 records; use `strategy: circular` or `random`, or give it more records"
        );
    }

    #[test]
    fn circular_wraps_around() {
        let got: Vec<Value> = take(FeedStrategy::Circular, 5)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, [json!(0), json!(1), json!(2), json!(0), json!(1)]);
    }

    #[test]
    fn shuffle_hands_each_record_once_then_runs_dry() {
        let got = take(FeedStrategy::Shuffle, 4);
        let mut seen: Vec<i64> = got[..3]
            .iter()
            .map(|r| r.clone().unwrap().as_i64().unwrap())
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2]);
        assert!(got[3].is_err());
    }

    #[test]
    fn random_never_runs_dry() {
        assert!(take(FeedStrategy::Random, 50).iter().all(|r| {
            r.as_ref()
                .is_ok_and(|v| v.as_i64().is_some_and(|i| (0..3).contains(&i)))
        }));
    }
}
