//! Shards: one process's slice of a run split over several.
//!
//! Arrival `j` of a profile (counting from 0 over the whole profile) goes to
//! shard `j mod n + 1`, as k6's execution segments stripe iterations, so the
//! shards together start exactly the users one process would, at the same
//! instants, and each shard's users are spread through time rather than
//! clumped. Targets of the closed model and feeder records split the same
//! way; request-rate caps are divided by `n`.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sseload_scenario::{Plan, ThrottleStep};

use crate::error::Error;

/// Shard `index` of `count` (1-based: `1/3`, `2/3`, `3/3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Shard {
    /// Which shard, from 1 to `count`.
    pub index: u32,
    /// How many shards the run is split into.
    pub count: u32,
}

/// Why a shard could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// Not `I/N`.
    #[error("shard `{0}` is not I/N (for example 2/3)")]
    Syntax(String),
    /// `I` outside `1..=N`, or `N` is zero.
    #[error("shard {index}/{count} is out of range: I must be from 1 to N, and N at least 1")]
    Range {
        /// The index given.
        index: u64,
        /// The count given.
        count: u64,
    },
}

impl Shard {
    /// The whole run, unsplit.
    pub const WHOLE: Self = Self { index: 1, count: 1 };

    /// Shard `index` of `count`, checked.
    ///
    /// # Errors
    ///
    /// [`ShardError::Range`] unless `1 <= index <= count`.
    pub fn new(index: u64, count: u64) -> Result<Self, ShardError> {
        let range = || ShardError::Range { index, count };
        if index == 0 || index > count {
            return Err(range());
        }
        Ok(Self {
            index: u32::try_from(index).map_err(|_| range())?,
            count: u32::try_from(count).map_err(|_| range())?,
        })
    }

    /// Whether this shard takes item `j` (0-based) of a sequence striped over the shards.
    pub fn takes(self, j: u64) -> bool {
        j % u64::from(self.count) == u64::from(self.index - 1)
    }

    /// How many of the items `0..total` this shard takes.
    pub fn share(self, total: u64) -> u64 {
        (total + u64::from(self.count - self.index)) / u64::from(self.count)
    }

    /// The global number of this shard's `local`-th item (both 0-based).
    pub fn global(self, local: u64) -> u64 {
        local * u64::from(self.count) + u64::from(self.index - 1)
    }

    /// Whether the run is split at all.
    pub fn is_whole(self) -> bool {
        self.count == 1
    }
}

impl Default for Shard {
    fn default() -> Self {
        Self::WHOLE
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || ShardError::Syntax(text.to_owned());
        let (index, count) = text.trim().split_once('/').ok_or_else(syntax)?;
        let number = |s: &str| s.trim().parse::<u64>().map_err(|_| syntax());
        Self::new(number(index)?, number(count)?)
    }
}

/// Cuts `plan` down to `shard`'s part: its stripe of every feeder's records
/// and `1/n` of every request-rate cap (arrivals are striped as they are
/// injected).
///
/// # Errors
///
/// [`Error::Option`] when a feeder has fewer records than there are shards
/// (a shard would have none).
pub(crate) fn slice_plan(plan: &mut Plan, shard: Shard) -> Result<(), Error> {
    if shard.is_whole() {
        return Ok(());
    }
    for feeder in &mut plan.feeders {
        if feeder.records.len() < shard.count as usize {
            return Err(Error::Option {
                option: "shard",
                reason: format!(
                    "feeder `{}` has {} records, fewer than the {} shards; each shard takes its own records",
                    feeder.name,
                    feeder.records.len(),
                    shard.count
                ),
            });
        }
        let mine: Vec<_> = (feeder.records.iter().enumerate())
            .filter(|(j, _)| shard.takes(*j as u64))
            .map(|(_, record)| record.clone())
            .collect();
        feeder.records = mine.into();
    }
    divide_throttle(&mut plan.throttle, shard.count);
    for scenario in &mut plan.scenarios {
        divide_throttle(&mut scenario.throttle, shard.count);
    }
    Ok(())
}

/// Divides every rate of a request-rate cap by `n`.
fn divide_throttle(steps: &mut [ThrottleStep], n: u32) {
    for step in steps {
        match step {
            ThrottleStep::Reach { rps, .. } | ThrottleStep::Jump { rps } => *rps /= f64::from(n),
            ThrottleStep::Hold(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_take_disjoint_stripes_that_cover_everything() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard::new(i, 3).unwrap()).collect();
        for j in 0..100 {
            assert_eq!(shards.iter().filter(|s| s.takes(j)).count(), 1, "{j}");
        }
        for total in 0..50 {
            let shares: u64 = shards.iter().map(|s| s.share(total)).sum();
            assert_eq!(shares, total);
            for s in &shards {
                assert_eq!(
                    s.share(total),
                    (0..total).filter(|j| s.takes(*j)).count() as u64
                );
            }
        }
        assert_eq!(shards[1].global(4), 13);
        assert!(shards[1].takes(13));
    }

    #[test]
    fn bad_shards_are_named() {
        assert_eq!("2/3".parse(), Ok(Shard { index: 2, count: 3 }));
        assert_eq!(
            "0/3".parse::<Shard>().unwrap_err().to_string(),
            "shard 0/3 is out of range: I must be from 1 to N, and N at least 1"
        );
        assert_eq!(
            "4/3".parse::<Shard>().unwrap_err(),
            ShardError::Range { index: 4, count: 3 }
        );
        assert_eq!(
            "two/3".parse::<Shard>().unwrap_err().to_string(),
            "shard `two/3` is not I/N (for example 2/3)"
        );
        assert!("3".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
    }

    fn plan(records: usize) -> Plan {
        let rows: String = (0..records)
            .map(|i| format!("      - {{ id: {i} }}\n"))
            .collect();
        let yaml = format!(
            "name: p\ntarget: embedded\nthrottle:\n  - jump_to_rps: 30\n  - hold_for: 1s\nfeeders:\n  ids:\n    strategy: queue\n    inline:\n{rows}scenarios:\n  - name: s\n    load: [ {{ at_once_users: 1 }} ]\n    steps:\n      - feed: ids\n"
        );
        sseload_scenario::from_str(&yaml).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn feeders_split_so_no_two_shards_take_the_same_record() {
        let mut taken = Vec::new();
        for i in 1..=3 {
            let mut p = plan(10);
            slice_plan(&mut p, Shard::new(i, 3).unwrap()).unwrap();
            let ids: Vec<i64> = p.feeders[0]
                .records
                .iter()
                .map(|r| r[0].as_i64().unwrap())
                .collect();
            assert_eq!(
                ids,
                (0..10)
                    .filter(|j| j % 3 == i as i64 - 1)
                    .collect::<Vec<_>>()
            );
            assert_eq!(p.throttle[0], ThrottleStep::Jump { rps: 10.0 });
            taken.extend(ids);
        }
        taken.sort_unstable();
        assert_eq!(taken, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn a_feeder_smaller_than_the_shard_count_is_refused() {
        let mut p = plan(2);
        let err = slice_plan(&mut p, Shard::new(1, 3).unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid option shard: feeder `ids` has 2 records, fewer than the 3 shards; each shard takes its own records"
        );
    }
}
