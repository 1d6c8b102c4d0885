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
