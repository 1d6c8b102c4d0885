//! The limits that keep a hostile stream from growing memory without bound.
//!
//! Every input goes through every split, so each limit is also checked across
//! chunk boundaries: the error (with its offsets) must not depend on them.

use sseload_proto::{
    DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_LEN, Item, Limits, ParseError, Parser,
};

use crate::support::{message, parse_with, run_chunks};

fn limited(max_line_len: usize, max_event_size: usize) -> impl Fn() -> Parser {
    move || {
        Parser::new().with_limits(Limits {
            max_line_len,
            max_event_size,
        })
    }
}

fn line_too_long(limit: usize, line_start: u64) -> Option<ParseError> {
    Some(ParseError::LineTooLong { limit, line_start })
}

fn event_too_large(limit: usize, size: usize, line_start: u64) -> Option<ParseError> {
    Some(ParseError::EventTooLarge {
        limit,
        size,
        line_start,
    })
}

#[test]
fn default_limits_are_the_documented_constants() {
    let limits = Parser::new().limits();
    assert_eq!(limits, Limits::default());
    assert_eq!(limits.max_line_len, DEFAULT_MAX_LINE_LEN);
    assert_eq!(limits.max_event_size, DEFAULT_MAX_EVENT_SIZE);
    assert_eq!(
        (DEFAULT_MAX_LINE_LEN, DEFAULT_MAX_EVENT_SIZE),
        (1 << 20, 16 << 20)
    );
}

// --- maximum line length ---

#[test]
fn line_at_the_line_limit_is_accepted() {
    let outcome = parse_with(&limited(8, 100), b"data: ab\r\n\r\n");
    assert_eq!(
        (outcome.events(), outcome.error),
        (vec![message("ab")], None)
    );
}

#[test]
fn line_over_the_line_limit_is_refused() {
    let outcome = parse_with(&limited(8, 100), b"data: abc\n\n");
    assert_eq!(
        (outcome.items, outcome.error),
        (vec![], line_too_long(8, 0))
    );
}

#[test]
fn line_too_long_error_gives_the_stream_offset_of_the_line() {
    let outcome = parse_with(&limited(8, 100), b"data: a\r\n\r\ndata: abcdef\n\n");
    assert_eq!(outcome.items, [Item::Event(message("a"))]);
    assert_eq!(outcome.error, line_too_long(8, 11));
}

#[test]
fn unterminated_line_is_refused_as_soon_as_it_crosses_the_line_limit() {
    // No line end ever comes: the parser must not buffer past the limit.
    let mut parser = limited(8, 100)();
    assert_eq!(parser.feed(b"data: ab", |_| {}), Ok(()));
    assert_eq!(parser.feed(b"c", |_| {}).err(), line_too_long(8, 0));
}

#[test]
fn long_line_split_over_many_chunks_is_refused() {
    let input = [b"data: ".as_slice(), &[b'x'; 100], b"\n\n"].concat();
    let outcome = run_chunks(&limited(64, 1000), input.chunks(7));
    assert_eq!(outcome.error, line_too_long(64, 0));
    assert_eq!(
        parse_with(&limited(64, 1000), &input).error,
        line_too_long(64, 0)
    );
}

#[test]
fn comment_line_counts_toward_the_line_limit() {
    let outcome = parse_with(&limited(4, 100), b": abcd\n");
    assert_eq!(outcome.error, line_too_long(4, 0));
}

#[test]
fn leading_bom_counts_toward_the_first_line_length() {
    assert_eq!(
        parse_with(&limited(8, 100), b"\xEF\xBB\xBFdata: a\n").error,
        line_too_long(8, 0)
    );
    assert_eq!(
        parse_with(&limited(10, 100), b"\xEF\xBB\xBFdata: a\n").error,
        None
    );
}

// --- maximum event size ---

#[test]
fn event_at_the_event_limit_is_accepted() {
    // "12345\n" and "123\n" fill the data buffer with exactly 10 bytes.
    let outcome = parse_with(&limited(100, 10), b"data: 12345\ndata: 123\n\n");
    assert_eq!(
        (outcome.events(), outcome.error),
        (vec![message("12345\n123")], None)
    );
}

#[test]
fn event_over_the_event_limit_is_refused() {
    let outcome = parse_with(&limited(100, 10), b"data: 12345\ndata: 1234\n\n");
    assert_eq!(
        (outcome.items, outcome.error),
        (vec![], event_too_large(10, 11, 12))
    );
}

#[test]
fn event_type_counts_toward_the_event_size() {
    let input = b"data: 12345\nevent: abcde\n\n";
    assert_eq!(
        parse_with(&limited(100, 10), input).error,
        event_too_large(10, 11, 12)
    );
    let input = b"event: abcde\ndata: 12345\n\n";
    assert_eq!(
        parse_with(&limited(100, 10), input).error,
        event_too_large(10, 11, 13)
    );
}

#[test]
fn replacement_chars_count_with_their_decoded_size() {
    // Three invalid bytes decode to three U+FFFD, nine bytes; with the LF, ten.
    let input = b"data: \xFF\xFF\xFF\n\n";
    let outcome = parse_with(&limited(100, 10), input);
    assert_eq!(outcome.events(), [message("\u{FFFD}\u{FFFD}\u{FFFD}")]);
    assert_eq!(
        parse_with(&limited(100, 9), input).error,
        event_too_large(9, 10, 0)
    );
}

#[test]
fn event_size_is_counted_per_event() {
    let outcome = parse_with(&limited(100, 10), b"data: 123456789\n\ndata: 123456789\n\n");
    assert_eq!((outcome.events().len(), outcome.error), (2, None));
}

#[test]
fn many_short_data_lines_cannot_grow_an_event_past_the_limit() {
    let input = b"data: ab\n".repeat(1000);
    let outcome = run_chunks(&limited(100, 64), input.chunks(16 << 10));
    assert_eq!(outcome.error, event_too_large(64, 66, 189));
}

// --- after an error ---

#[test]
fn items_before_the_error_are_delivered() {
    let outcome = parse_with(&limited(8, 100), b"data: a\n\ndata: b\n\nid: 123456\n\n");
    assert_eq!(outcome.events(), [message("a"), message("b")]);
    assert_eq!(outcome.error, line_too_long(8, 18));
}

#[test]
fn error_is_sticky_until_end_of_stream() {
    let mut parser = limited(8, 100)();
    let err = parser.feed(b"data: abcdef\n\n", |_| {}).unwrap_err();
    let mut items = Vec::new();
    assert_eq!(
        parser.feed(b"data: a\n\n", |item| items.push(item)),
        Err(err)
    );
    assert_eq!(items, []);
    parser.end_of_stream();
    parser
        .feed(b"data: a\n\n", |item| items.push(item))
        .unwrap();
    assert_eq!(items, [Item::Event(message("a"))]);
}

#[test]
fn error_messages_name_the_limit_and_where_the_line_starts() {
    let err = ParseError::LineTooLong {
        limit: 8,
        line_start: 11,
    };
    assert_eq!(
        err.to_string(),
        "line starting at byte 11 of the stream is longer than the limit of 8 bytes"
    );
    let err = ParseError::EventTooLarge {
        limit: 10,
        size: 11,
        line_start: 12,
    };
    assert_eq!(
        err.to_string(),
        "event reaches 11 bytes at the line starting at byte 12 of the stream, over the limit of 10 bytes"
    );
}
