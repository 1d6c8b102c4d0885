//! One test per rule of "Parsing an event stream" and "Interpreting an event
//! stream" (WHATWG HTML, section 9.2.6). Each input goes through every split.

use std::time::Duration;

use sseload_proto::{Item, Parser};

use crate::support::{event, events, feed, message, parse, parse_with};

const BOM: &str = "\u{FEFF}";

// --- Decoding: BOM and UTF-8 ---

#[test]
fn bom_is_stripped_once_at_stream_start() {
    assert_eq!(events(b"\xEF\xBB\xBFdata: a\n\n"), [message("a")]);
}

#[test]
fn second_leading_bom_is_kept_and_spoils_the_field_name() {
    // The second BOM is part of the field name "\u{FEFF}data", which is unknown.
    assert_eq!(
        events(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n"),
        [message("b")]
    );
}

#[test]
fn bom_after_the_stream_start_is_not_stripped() {
    let input = format!("data: a\n\n{BOM}data: b\n\ndata: c\n\n");
    assert_eq!(events(input.as_bytes()), [message("a"), message("c")]);
}

#[test]
fn bom_before_a_blank_first_line_is_stripped() {
    let input = format!("{BOM}\ndata: a\n\n");
    assert_eq!(events(input.as_bytes()), [message("a")]);
}

#[test]
fn bom_is_stripped_again_after_end_of_stream() {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    feed(&mut parser, &mut items, b"\xEF\xBB\xBFdata: a\n\n");
    parser.end_of_stream();
    feed(&mut parser, &mut items, b"\xEF\xBB\xBFdata: b\n\n");
    assert_eq!(
        items,
        [Item::Event(message("a")), Item::Event(message("b"))]
    );
}

#[test]
fn bom_in_data_value_is_kept() {
    let input = format!("data: {BOM}x\n\n");
    assert_eq!(events(input.as_bytes()), [message(&format!("{BOM}x"))]);
}

#[test]
fn invalid_utf8_becomes_replacement_char() {
    assert_eq!(events(b"data: a\xFFb\n\n"), [message("a\u{FFFD}b")]);
}

#[test]
fn invalid_utf8_split_across_chunks_becomes_one_replacement_char() {
    // E2 82 is the start of a three-byte sequence cut short by "x": one U+FFFD
    // for the maximal subpart, whichever chunk each byte arrives in.
    let outcome = crate::support::run_chunks(&Parser::new, [&b"data: \xE2"[..], b"\x82", b"x\n\n"]);
    assert_eq!(outcome.events(), [message("\u{FFFD}x")]);
    assert_eq!(events(b"data: \xE2\x82x\n\n"), [message("\u{FFFD}x")]);
}

#[test]
fn valid_multibyte_char_split_across_chunks_is_kept() {
    let outcome =
        crate::support::run_chunks(&Parser::new, [&b"data: \xE2"[..], b"\x82", b"\xAC\n\n"]);
    assert_eq!(outcome.events(), [message("€")]);
    assert_eq!(events("data: €😀ü\n\n".as_bytes()), [message("€😀ü")]);
}

#[test]
fn truncated_sequence_before_line_end_becomes_replacement_char() {
    // A line end never belongs to a multi-byte sequence: the LF still ends the line.
    assert_eq!(
        events(b"data: \xF0\x9F\x98\ndata: b\n\n"),
        [message("\u{FFFD}\nb")]
    );
}

#[test]
fn each_invalid_byte_becomes_its_own_replacement_char() {
    assert_eq!(
        events(b"data: \x80\x80\xC0\xAF\n\n"),
        [message("\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}")]
    );
}

#[test]
fn invalid_utf8_in_event_type_and_id_becomes_replacement_char() {
    assert_eq!(
        events(b"event: t\xFF\nid: i\xFE\ndata: d\n\n"),
        [event("t\u{FFFD}", "d", "i\u{FFFD}")]
    );
}

#[test]
fn invalid_utf8_in_field_name_makes_an_unknown_field() {
    assert_eq!(events(b"data\xFF: a\ndata: b\n\n"), [message("b")]);
}

// --- Line ends ---

#[test]
fn lf_cr_and_crlf_all_end_lines() {
    let expected = [message("a\nb\nc")];
    assert_eq!(events(b"data: a\ndata: b\ndata: c\n\n"), expected);
    assert_eq!(events(b"data: a\rdata: b\rdata: c\r\r"), expected);
    assert_eq!(events(b"data: a\r\ndata: b\r\ndata: c\r\n\r\n"), expected);
    assert_eq!(events(b"data: a\ndata: b\r\ndata: c\r\n\r"), expected);
}

#[test]
fn cr_at_chunk_end_then_lf_is_one_line_end() {
    // Were the LF a second line end, it would be a blank line and dispatch "a" alone.
    let outcome = crate::support::run_chunks(&Parser::new, [&b"data: a\r"[..], b"\ndata: b\n\n"]);
    assert_eq!(outcome.events(), [message("a\nb")]);
}

#[test]
fn empty_chunk_between_cr_and_lf_keeps_them_one_line_end() {
    let outcome =
        crate::support::run_chunks(&Parser::new, [&b"data: a\r"[..], b"", b"\ndata: b\n\n"]);
    assert_eq!(outcome.events(), [message("a\nb")]);
}

#[test]
fn cr_cr_is_two_line_ends() {
    assert_eq!(
        events(b"data: a\r\rdata: b\r\r"),
        [message("a"), message("b")]
    );
}

#[test]
fn lf_cr_is_two_line_ends() {
    assert_eq!(
        events(b"data: a\n\rdata: b\n\r"),
        [message("a"), message("b")]
    );
}

#[test]
fn crlf_after_cr_at_chunk_end_ends_two_lines() {
    // CR | CR LF: the first CR ends "data: a", then CR LF is one (blank) line end.
    let outcome = crate::support::run_chunks(&Parser::new, [&b"data: a\r"[..], b"\r\n"]);
    assert_eq!(outcome.events(), [message("a")]);
}

// --- Comments ---

#[test]
fn comment_lines_are_ignored_by_default() {
    let outcome = parse_with(&Parser::new, b": hello\n\n:\ndata: a\n\n");
    assert_eq!(outcome.items, [Item::Event(message("a"))]);
}

#[test]
fn comments_are_reported_when_asked_with_one_leading_space_removed() {
    let outcome = parse(b": hello\n:\n:  two spaces\n:no space\n\n");
    let comments =
        ["hello", "", " two spaces", "no space"].map(|text| Item::Comment(text.to_owned()));
    assert_eq!(outcome.items, comments);
}

#[test]
fn comment_inside_a_block_neither_dispatches_nor_breaks_it() {
    let outcome = parse(b"data: a\n: keep-alive\ndata: b\n\n");
    assert_eq!(
        outcome.items,
        [
            Item::Comment("keep-alive".to_owned()),
            Item::Event(message("a\nb"))
        ]
    );
}

#[test]
fn comment_with_invalid_utf8_becomes_replacement_char() {
    assert_eq!(
        parse(b":\xFF\n").items,
        [Item::Comment("\u{FFFD}".to_owned())]
    );
}

// --- Fields ---

#[test]
fn field_and_value_are_split_at_the_first_colon() {
    assert_eq!(events(b"data: a: b:c\n\n"), [message("a: b:c")]);
}

#[test]
fn one_leading_space_is_removed_from_the_value() {
    assert_eq!(events(b"data:  two\n\n"), [message(" two")]);
}

#[test]
fn value_without_leading_space_is_kept_whole() {
    assert_eq!(events(b"data:x\n\n"), [message("x")]);
}

#[test]
fn line_without_colon_is_a_field_with_an_empty_value() {
    assert_eq!(events(b"data\n\n"), [message("")]);
    assert_eq!(events(b"data\ndata\n\n"), [message("\n")]);
}

#[test]
fn unknown_field_is_ignored() {
    assert_eq!(events(b"foo: bar\ndata: a\nx\n\n"), [message("a")]);
}

#[test]
fn field_names_are_case_sensitive() {
    assert_eq!(events(b"Data: a\nEVENT: x\ndata: b\n\n"), [message("b")]);
}

#[test]
fn field_name_with_trailing_space_is_unknown() {
    assert_eq!(events(b"data : a\ndata: b\n\n"), [message("b")]);
}

#[test]
fn nul_in_data_is_kept() {
    assert_eq!(events(b"data: a\0b\n\n"), [message("a\0b")]);
}

// --- data ---

#[test]
fn data_lines_are_joined_with_lf() {
    assert_eq!(
        events(b"data: a\ndata: b\ndata: c\n\n"),
        [message("a\nb\nc")]
    );
}

#[test]
fn only_one_trailing_lf_is_removed_from_data() {
    assert_eq!(events(b"data: a\ndata:\n\n"), [message("a\n")]);
    assert_eq!(events(b"data:\ndata:\n\n"), [message("\n")]);
}

#[test]
fn empty_data_dispatches_nothing_but_resets_event_type() {
    let outcome = parse(b"event: x\n\ndata: y\n\n");
    assert_eq!(outcome.events(), [message("y")]);
    assert_eq!(outcome.events()[0].event_type(), "message");
}

#[test]
fn blank_lines_alone_dispatch_nothing() {
    assert_eq!(parse(b"\n\n\r\n\r\r").items, []);
}

// --- event ---

#[test]
fn event_field_sets_the_event_type() {
    let got = events(b"event: add\ndata: 1\n\n");
    assert_eq!(got, [event("add", "1", "")]);
    assert_eq!(got[0].event_type(), "add");
}

#[test]
fn event_type_defaults_to_message() {
    assert_eq!(events(b"data: 1\n\n")[0].event_type(), "message");
}

#[test]
fn empty_event_field_means_message() {
    assert_eq!(
        events(b"event: x\nevent:\ndata: 1\n\n")[0].event_type(),
        "message"
    );
}

#[test]
fn last_event_field_of_a_block_wins() {
    assert_eq!(
        events(b"event: a\nevent: b\ndata: 1\n\n")[0].event_type(),
        "b"
    );
}

#[test]
fn event_type_does_not_carry_over_to_the_next_event() {
    assert_eq!(
        events(b"event: a\ndata: 1\n\ndata: 2\n\n"),
        [event("a", "1", ""), message("2")]
    );
}

// --- id ---

#[test]
fn id_field_sets_the_event_id() {
    assert_eq!(events(b"id: 42\ndata: a\n\n"), [event("", "a", "42")]);
}

#[test]
fn last_event_id_persists_across_events() {
    let outcome = parse(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n");
    assert_eq!(
        outcome.events(),
        [
            event("", "a", "1"),
            event("", "b", "1"),
            event("", "c", "2")
        ]
    );
    assert_eq!(outcome.last_event_id, "2");
}

#[test]
fn block_with_only_id_updates_last_event_id() {
    let outcome = parse(b"id: 7\n\ndata: a\n\n");
    assert_eq!(outcome.events(), [event("", "a", "7")]);
    let outcome = parse(b"id: 8\n\n");
    assert_eq!(outcome.items, []);
    assert_eq!(outcome.last_event_id, "8");
}

#[test]
fn id_in_an_undispatched_block_is_not_the_last_event_id_yet() {
    assert_eq!(parse(b"id: 9\n").last_event_id, "");
}

#[test]
fn empty_id_resets_the_last_event_id() {
    assert_eq!(
        events(b"id: 1\ndata: a\n\nid\ndata: b\n\nid:\ndata: c\n\n")[1..],
        [message("b"), message("c")]
    );
}

#[test]
fn id_with_nul_is_ignored() {
    let outcome = parse(b"id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n");
    assert_eq!(outcome.events(), [event("", "a", "1"), event("", "b", "1")]);
}

#[test]
fn with_last_event_id_seeds_the_id_of_a_resumed_stream() {
    let outcome = parse_with(&|| Parser::new().with_last_event_id("41"), b"data: a\n\n");
    assert_eq!(outcome.events(), [event("", "a", "41")]);
}

// --- retry ---

#[test]
fn retry_with_only_digits_sets_the_reconnection_time() {
    let outcome = parse(b"retry: 1500\ndata: a\n\n");
    let retry = Duration::from_millis(1500);
    assert_eq!(
        outcome.items,
        [
            Item::Retry(retry),
            Item::Event(message("a").with_retry(retry))
        ]
    );
}

#[test]
fn retry_with_non_digit_is_ignored() {
    for value in ["10a", "-1", "+1", "1.5", "1e3", " 10", "10 ", "", "٣"] {
        let input = format!("retry: {value}\ndata: a\n\n");
        assert_eq!(
            parse(input.as_bytes()).items,
            [Item::Event(message("a"))],
            "retry: {value:?}"
        );
    }
}

#[test]
fn retry_is_reported_even_when_its_block_dispatches_nothing() {
    assert_eq!(
        parse(b"retry: 5\n\n").items,
        [Item::Retry(Duration::from_millis(5))]
    );
}

#[test]
fn retry_too_large_for_u64_saturates() {
    let outcome = parse(b"retry: 99999999999999999999999\n");
    assert_eq!(
        outcome.items,
        [Item::Retry(Duration::from_millis(u64::MAX))]
    );
}

#[test]
fn reconnection_time_is_kept_by_the_parser() {
    let mut parser = Parser::new();
    feed(&mut parser, &mut Vec::new(), b"retry: 10\n\nretry: x\n\n");
    assert_eq!(parser.reconnection_time(), Some(Duration::from_millis(10)));
}

#[test]
fn retry_belongs_only_to_the_event_of_its_block() {
    let got = events(b"retry: 7\ndata: a\n\ndata: b\n\n");
    assert_eq!(got[0].retry(), Some(Duration::from_millis(7)));
    assert_eq!(got[1].retry(), None);
}

// --- end of stream ---

#[test]
fn incomplete_event_at_end_of_stream_is_discarded() {
    let outcome = parse(b"data: a\n\ndata: b\n");
    assert_eq!(outcome.events(), [message("a")]);
    let mut parser = Parser::new();
    let mut items = Vec::new();
    feed(&mut parser, &mut items, b"event: x\nid: 5\ndata: lost\n");
    parser.end_of_stream();
    feed(&mut parser, &mut items, b"\ndata: next\n\n");
    assert_eq!(items, [Item::Event(message("next"))]);
}

#[test]
fn partial_line_at_end_of_stream_is_discarded() {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    feed(&mut parser, &mut items, b"data: a\n\ndata: b");
    parser.end_of_stream();
    feed(&mut parser, &mut items, b"\n\n");
    assert_eq!(items, [Item::Event(message("a"))]);
}

#[test]
fn cr_at_end_of_stream_does_not_eat_the_next_streams_lf() {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    feed(&mut parser, &mut items, b"data: a\r");
    parser.end_of_stream();
    feed(&mut parser, &mut items, b"\ndata: b\n\n");
    assert_eq!(items, [Item::Event(message("b"))]);
}

#[test]
fn last_event_id_and_retry_survive_end_of_stream() {
    let mut parser = Parser::new();
    let mut items = Vec::new();
    feed(
        &mut parser,
        &mut items,
        b"id: 3\nretry: 20\ndata: a\n\nid: 4\n",
    );
    parser.end_of_stream();
    assert_eq!(parser.last_event_id(), "3");
    assert_eq!(parser.reconnection_time(), Some(Duration::from_millis(20)));
    feed(&mut parser, &mut items, b"data: b\n\n");
    assert_eq!(items.last(), Some(&Item::Event(event("", "b", "3"))));
}

#[test]
fn line_end_is_found_at_every_position_of_short_and_long_lines() {
    for len in 0..80 {
        let value = "v".repeat(len);
        for end in ["\n", "\r", "\r\n"] {
            let input = format!("data: {value}{end}data: {value}{end}{end}");
            let got = crate::support::run_chunks(&Parser::new, [input.as_bytes()]).events();
            assert_eq!(
                got,
                [message(&format!("{value}\n{value}"))],
                "len {len}, end {end:?}"
            );
        }
    }
}
