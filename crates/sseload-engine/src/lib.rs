//! The sseload engine: runs a validated [`Plan`](sseload_scenario::Plan)
//! with virtual users and measures every stream.
//!
//! - [`Engine::start`] builds the SSE clients and the TLS configuration of
//!   `http` steps (both from the plan's TLS options: extra CA file, invalid
//!   certificates accepted) and, for `target: embedded`, starts the demo
//!   server on `127.0.0.1:0`.
//! - [`Engine::run`] injects users per scenario — open model from the clock
//!   alone (no coordinated omission), closed model keeping N users — runs
//!   their steps as lightweight tasks, reads their streams as events arrive,
//!   and sends a [`Snapshot`] each second; a [`Stopper`] ends it early.
//!   Request-rate caps (`throttle`) hold requests back; names inside `group`
//!   steps carry the group's path. [`Engine::live`] gives a [`Live`] handle
//!   whose [`LiveSnapshot`] merges the cumulative figures on demand (for a
//!   metrics endpoint).
//! - The [`Report`] holds exact counts and merged HDR histograms per name,
//!   per scenario and for the run, the errors table ([`ErrorKind`]), the
//!   per-second time series ([`Point`]) and the assertion [`Outcome`]s; it
//!   serializes to the results file, whose JSON Schema [`results_schema`]
//!   gives. The engine never prints. [`Live::report`] takes the same report
//!   while the run goes on (for periodic results snapshots).
//! - Distributed runs: a [`Shard`] in the [`Options`] runs its stripe of
//!   every load profile (with `start_at` to start with the others), and
//!   [`merge`] combines the shards' reports exactly ([`Part`],
//!   [`MergeError`]); the [`Meta`] keeps every shard's [`ShardRun`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let plan = sseload_scenario::from_path("examples/stock-market.yaml")?;
//! let options = sseload_engine::Options { duration: Some(std::time::Duration::from_secs(5)), ..Default::default() };
//! let engine = sseload_engine::Engine::start(plan, options).await?;
//! let report = engine.run(None).await;
//! assert!(report.assertions.iter().all(|a| a.passed));
//! # Ok(())
//! # }
//! ```

pub use crate::{
    assert::Outcome,
    engine::{Engine, Options, Stopper},
    error::Error,
    live::{Buckets, Live, LiveName, LiveSnapshot},
    merge::{MergeError, Part, merge},
    meta::{Meta, ShardRun, Shards, fingerprint},
    names::{Name, NameKind},
    record::{Counts, ErrorKind},
    report::{ErrorLine, Line, Report, SerializedHistogram, Stats},
    rule::{Rule, RuleBound},
    schema::results_schema,
    series::{Percentiles, Point, Snapshot},
    shard::{Shard, ShardError},
};

mod assert;
mod awaits;
mod context;
mod drive;
mod engine;
mod error;
mod http;
mod inject;
mod live;
mod merge;
mod meta;
mod names;
mod record;
mod render;
mod report;
mod rule;
mod schema;
mod series;
mod session;
mod shard;
mod sse;
mod stream;
mod throttle;
mod user;
