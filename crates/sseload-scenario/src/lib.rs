//! Scenarios for sseload: the YAML format, the Rust builder API, and the
//! validated [`Plan`] both produce.
//!
//! - [`from_path`] and [`from_str`] read a scenario file. Every problem is
//!   reported at once as a [`Diagnostic`] with a line, a column and a hint:
//!   unknown keys, wrong types, malformed durations, an `sse_await` on a
//!   stream no step connects, a session variable no step sets, an invalid
//!   JSON Path or regex…
//! - [`builder`] describes the same scenarios in Rust, in the spirit of
//!   Gatling's DSL, and produces the same [`Plan`].
//! - [`Plan`] is what an engine runs: durations, URLs and counts are typed,
//!   `#{…}` templates ([`Template`]) and queries are compiled once, session
//!   variables are interned ([`VarId`]), and names are resolved. A
//!   [`Template`] renders itself against a session
//!   ([`expr::Lookup`]); a feeder hands out records through a [`FeedCursor`],
//!   which says clearly when a queue runs dry ([`FeedError`]).
//! - [`check`] runs the compiled criteria on an event or a response, with
//!   Gatling's semantics, for the engine.
//! - [`json_schema`] is the JSON Schema of the format, for editors.
//! - [`Redactor`] masks secrets wherever text leaves a run: the values
//!   [`Secrets::of_plan`] finds (credential headers, URL credentials, feeder
//!   columns marked `secret`, the variables credentials read), and any
//!   credential by its shape ([`redact_url`]); [`Plan::tls_insecure`] says
//!   when certificates go unverified.
//!
//! ```
//! let plan = sseload_scenario::from_str(r#"
//! name: stock-market
//! target: embedded
//! scenarios:
//!   - name: watchers
//!     load:
//!       - ramp_users: { users: 10, during: 10s }
//!     steps:
//!       - sse_connect:
//!           name: Stocks
//!           url: /stocks/prices
//!           await:
//!             - timeout: 10s
//!               checks:
//!                 - name: snapshot
//!                   check: { event: snapshot }
//!       - pause: 15s
//!       - sse_close: { name: Close }
//! "#)?;
//! assert_eq!(plan.summary(), "stock-market: 1 scenario (watchers: 1 open load step, 3 steps), 0 assertions");
//! # Ok::<(), sseload_scenario::Error>(())
//! ```

pub use crate::{
    error::{Diagnostic, Diagnostics, Error, Pos},
    expr::{Template, VarId, Vars},
    load::{from_path, from_str, from_str_in},
    plan::*,
    schema::json_schema,
    secret::{
        MASK, MIN_SECRET_LEN, Redactor, Secrets, is_credential_header, is_credential_param,
        redact_url,
    },
};

pub mod builder;
pub mod check;
pub mod expr;
#[doc(hidden)]
pub mod fuzzing;

mod error;
mod load;
mod plan;
mod raw;
mod resolve;
mod schema;
mod secret;
mod yaml;
