//! Integration tests of sseload-scenario.
//!
//! - `examples`: every file in `examples/` validates, and the stock-market
//!   sample written with the builder gives the same plan.
//! - `checks`: criteria run on events and responses, with Gatling semantics.
//! - `equivalence`: every construct, written in YAML and with the builder,
//!   gives the same plan.
//! - `errors`: each kind of invalid input, with its exact message, position and hint.
//! - `robustness`: broken variants of the examples never panic.
//! - `schema`: the committed JSON Schema is up to date (`UPDATE_SCHEMA=1` rewrites it).
//! - `secrets`: what a plan marks or implies secret, and how the redactor masks it.
//! - `vars`: variables declared under `vars:` with defaults, in YAML and the builder.

mod checks;
mod equivalence;
mod errors;
mod examples;
mod robustness;
mod schema;
mod secrets;
mod support;
mod vars;
