//! Integration tests of `sseload-proto`, one module per area.
//!
//! Every parser test goes through [`support::parse`], which feeds the input in
//! one chunk, split at every offset, byte by byte and at random splits, and
//! asserts that all of them give the same items and the same error.

/// Helpers: the all-splits runner and small constructors.
mod support;

/// Chunk-boundary invariance: named cases and a proptest over random streams.
mod chunking;
/// The `EventBuilder` encoder: exact bytes and refusals.
mod encode;
/// Maximum line length and maximum event size, in one chunk and across chunks.
mod limits;
/// Encode then parse gives the same event back (proptest).
mod roundtrip;
/// One named test per rule of the WHATWG "Parsing" and "Interpreting" sections.
mod rules;
/// The examples given in the WHATWG text itself.
mod spec_examples;
