//! The encoder writes exact bytes and refuses what cannot be encoded.

use std::time::Duration;

use bytes::BytesMut;
use sseload_proto::{EncodeError, EventBuilder, Item, KEEP_ALIVE, comment};

use crate::support::{event, events, parse};

fn encoded(builder: &EventBuilder) -> String {
    String::from_utf8(builder.encode().unwrap().to_vec()).unwrap()
}

#[test]
fn empty_builder_writes_only_the_blank_line() {
    assert_eq!(encoded(&EventBuilder::new()), "\n");
}

#[test]
fn every_field_is_written_in_a_fixed_order() {
    let builder = EventBuilder::new()
        .data("d")
        .retry(Duration::from_millis(2500))
        .id("7")
        .event("tick")
        .comment("hi");
    assert_eq!(
        encoded(&builder),
        ": hi\nevent: tick\nid: 7\nretry: 2500\ndata: d\n\n"
    );
}

#[test]
fn data_is_split_on_every_kind_of_line_end() {
    let builder = EventBuilder::new().data("a\nb\r\nc\rd");
    assert_eq!(encoded(&builder), "data: a\ndata: b\ndata: c\ndata: d\n\n");
}

#[test]
fn data_with_empty_lines_keeps_them() {
    let builder = EventBuilder::new().data("\na\n\n");
    assert_eq!(encoded(&builder), "data: \ndata: a\ndata: \ndata: \n\n");
    assert_eq!(events(encoded(&builder).as_bytes())[0].data(), "\na\n\n");
}

#[test]
fn empty_data_is_one_empty_data_line_and_still_dispatches() {
    let builder = EventBuilder::new().data("");
    assert_eq!(encoded(&builder), "data: \n\n");
    assert_eq!(events(encoded(&builder).as_bytes())[0].data(), "");
}

#[test]
fn data_with_a_leading_space_keeps_it() {
    let builder = EventBuilder::new().data(" x");
    assert_eq!(events(encoded(&builder).as_bytes())[0].data(), " x");
}

#[test]
fn retry_is_written_in_whole_milliseconds() {
    let builder = EventBuilder::new().retry(Duration::from_micros(1_500_900));
    assert_eq!(encoded(&builder), "retry: 1500\n\n");
}

#[test]
fn multi_line_comment_is_split_into_comment_lines() {
    let builder = EventBuilder::new().comment("a\r\nb");
    assert_eq!(encoded(&builder), ": a\n: b\n\n");
}

#[test]
fn comment_function_writes_a_comment_block() {
    assert_eq!(&comment("ping")[..], b": ping\n\n");
    assert_eq!(
        parse(&comment("ping")).items,
        [Item::Comment("ping".to_owned())]
    );
}

#[test]
fn keep_alive_is_an_empty_comment_that_dispatches_nothing() {
    assert_eq!(parse(KEEP_ALIVE).items, [Item::Comment(String::new())]);
}

#[test]
fn event_type_with_a_line_end_is_refused() {
    for bad in ["a\nb", "a\rb", "a\r\n", "\n"] {
        let err = EventBuilder::new()
            .event(bad)
            .data("x")
            .encode()
            .unwrap_err();
        assert_eq!(err, EncodeError::LineEndInEventType(bad.to_owned()));
    }
}

#[test]
fn id_with_a_line_end_is_refused() {
    for bad in ["1\n", "1\r2", "\r\n"] {
        let err = EventBuilder::new().id(bad).encode().unwrap_err();
        assert_eq!(err, EncodeError::LineEndInId(bad.to_owned()));
    }
}

#[test]
fn id_with_nul_is_refused() {
    let err = EventBuilder::new().id("a\0b").encode().unwrap_err();
    assert_eq!(err, EncodeError::NulInId("a\0b".to_owned()));
}

#[test]
fn encode_errors_carry_the_offending_value() {
    let err = EventBuilder::new().event("a\nb").encode().unwrap_err();
    assert_eq!(err.to_string(), r#"event type "a\nb" contains a line end"#);
    let err = EventBuilder::new().id("a\0").encode().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"event id "a\0" contains NUL, which parsers ignore"#
    );
}

#[test]
fn encode_into_appends_and_leaves_the_buffer_alone_on_error() {
    let mut out = BytesMut::from(&b": before\n\n"[..]);
    EventBuilder::new().data("x").encode_into(&mut out).unwrap();
    assert_eq!(&out[..], b": before\n\ndata: x\n\n");
    let err = EventBuilder::new().data("y").id("\n").encode_into(&mut out);
    assert!(matches!(err, Err(EncodeError::LineEndInId(_))));
    assert_eq!(&out[..], b": before\n\ndata: x\n\n");
}

#[test]
fn encoded_event_parses_back() {
    let bytes = EventBuilder::new()
        .event("price")
        .id("42")
        .data("a\r\nb")
        .encode()
        .unwrap();
    assert_eq!(events(&bytes), [event("price", "a\nb", "42")]);
}

#[test]
fn block_without_data_only_sets_the_id() {
    let bytes = EventBuilder::new().id("5").encode().unwrap();
    let outcome = parse(&bytes);
    assert_eq!(
        (outcome.items.len(), outcome.last_event_id.as_str()),
        (0, "5")
    );
}
