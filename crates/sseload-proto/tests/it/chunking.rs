//! The parser's output does not depend on how the input is chunked.
//!
//! Named cases for the tricky boundaries, then a proptest over random
//! SSE-shaped streams (with BOMs, CR, LF, CRLF, invalid UTF-8, NUL, comments)
//! cut at random offsets, under default and under tiny limits.

use proptest::prelude::*;
use sseload_proto::{Limits, Parser};

use crate::support::{events, message, parse, run_chunks};

#[test]
fn every_split_of_crlf_stream_gives_the_same_events() {
    let got = events(b"data: a\r\ndata: b\r\n\r\nevent: e\r\ndata: c\r\n\r\n");
    assert_eq!(got.len(), 2);
}

#[test]
fn bom_split_across_chunks_is_stripped() {
    let outcome = run_chunks(&Parser::new, [&b"\xEF"[..], b"\xBB", b"\xBFdata: a\n\n"]);
    assert_eq!(outcome.events(), [message("a")]);
}

#[test]
fn partial_bom_is_not_stripped() {
    // EF BB followed by "d" is an invalid sequence, not a BOM: the field name
    // becomes "\u{FFFD}data" and is ignored.
    assert_eq!(events(b"\xEF\xBBdata: a\n\ndata: b\n\n"), [message("b")]);
}

#[test]
fn byte_by_byte_equals_one_chunk_for_a_mixed_stream() {
    let input =
        b"\xEF\xBB\xBF: hi\r\nretry: 10\rid: 1\nevent: e\ndata: \xE2\x82\xAC\r\ndata:\xFF\r\r";
    let whole = run_chunks(&Parser::new, [&input[..]]);
    assert_eq!(run_chunks(&Parser::new, input.chunks(1)), whole);
    assert_eq!(whole.events().len(), 1);
}

#[test]
fn many_empty_chunks_change_nothing() {
    let input = b"data: a\r\n\r\n";
    let mut chunks: Vec<&[u8]> = Vec::new();
    for piece in input.chunks(1) {
        chunks.extend([&b""[..], piece, b""]);
    }
    assert_eq!(run_chunks(&Parser::new, chunks).events(), [message("a")]);
}

/// Pieces that exercise every rule; random streams are sequences of these.
const PIECES: &[&[u8]] = &[
    b"data",
    b"event",
    b"id",
    b"retry",
    b"foo",
    b":",
    b": ",
    b" ",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\xEF\xBB\xBF",
    b"\xEF\xBB",
    b"\xFF",
    b"\xE2\x82",
    b"\xAC",
    b"\xF0\x9F\x98\x80",
    b"\0",
    b"x",
    b"12",
    b"message",
    b"data: ",
    b"id: 1",
    b"retry: 100",
];

fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(PIECES), 0..60).prop_map(|pieces| pieces.concat())
}

fn cuts() -> impl Strategy<Value = Vec<prop::sample::Index>> {
    prop::collection::vec(any::<prop::sample::Index>(), 0..10)
}

/// Cuts `input` at the positions picked by `cuts`.
fn chunked<'a>(input: &'a [u8], cuts: &[prop::sample::Index]) -> Vec<&'a [u8]> {
    let mut offsets: Vec<usize> = cuts.iter().map(|cut| cut.index(input.len() + 1)).collect();
    offsets.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for offset in offsets {
        chunks.push(&input[start..offset]);
        start = offset;
    }
    chunks.push(&input[start..]);
    chunks
}

fn tiny_limits() -> Parser {
    Parser::new().with_comments(true).with_limits(Limits {
        max_line_len: 16,
        max_event_size: 24,
    })
}

proptest! {
    #[test]
    fn random_splits_give_the_one_chunk_items(input in stream(), cuts in cuts()) {
        let make = || Parser::new().with_comments(true);
        let whole = run_chunks(&make, [&input[..]]);
        prop_assert_eq!(run_chunks(&make, chunked(&input, &cuts)), whole);
    }

    #[test]
    fn random_splits_give_the_one_chunk_error_under_tiny_limits(input in stream(), cuts in cuts()) {
        let whole = run_chunks(&tiny_limits, [&input[..]]);
        prop_assert_eq!(run_chunks(&tiny_limits, chunked(&input, &cuts)), whole);
    }

    #[test]
    fn byte_by_byte_gives_the_one_chunk_items(input in stream()) {
        let make = || Parser::new().with_comments(true);
        prop_assert_eq!(run_chunks(&make, input.chunks(1)), run_chunks(&make, [&input[..]]));
    }
}

#[test]
fn all_splits_of_a_stream_with_every_rule_agree() {
    let input = b"\xEF\xBB\xBF:c\r\nid: 1\0\nid: 2\rretry: 5\r\nretry: x\nevent: t\ndata: \xE2\x82\ndata\n\nid\n\n";
    let outcome = parse(input);
    assert_eq!(outcome.events().len(), 1);
    assert_eq!(outcome.events()[0].data(), "\u{FFFD}\n");
}

#[test]
fn data_line_cut_inside_multibyte_and_invalid_sequences_decodes_the_same() {
    // Valid 2-, 3- and 4-byte chars, a truncated sequence, a bad continuation,
    // an overlong form and a surrogate, cut at every offset (and in three).
    let input = b"data: a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xE2\x82z\xF0\x9F\x98\xE2\xC0\xAF\xED\xA0\x80\xF4\x90b\n\n";
    let got = events(input);
    let expected = String::from_utf8_lossy(&input[6..input.len() - 2]).into_owned();
    assert_eq!(got, [message(&expected)]);
}

#[test]
fn data_line_ending_inside_a_multibyte_char_gets_one_replacement_char() {
    assert_eq!(
        events(b"data: ab\xF0\x9F\x98\r\n\r\n"),
        [message("ab\u{FFFD}")]
    );
}
