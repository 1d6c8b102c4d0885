//! The example streams of the WHATWG text (HTML 9.2.5 and 9.2.6), with the
//! outcome the text gives for each.

use sseload_proto::Item;

use crate::support::{event, events, message, parse};

#[test]
fn stock_example_joins_three_data_lines() {
    // "This event stream [...] would cause an event message with the interface
    // MessageEvent to be dispatched on the EventSource object. The event's
    // data attribute would contain the string "YHOO\n+2\n10"."
    let input = b"data: YHOO\ndata: +2\ndata: 10\n\n";
    assert_eq!(events(input), [message("YHOO\n+2\n10")]);
}

#[test]
fn four_block_example_with_comment_id_reset_and_extra_space() {
    // "The first block has just a comment, and will fire nothing. The second
    // block has two fields with names "data" and "id" respectively; an event
    // will be fired for this block, with the data "first event", and will then
    // set the last event ID to "1" [...]. The third block fires an event with
    // data "second event", and also has an "id" field, this time with no
    // value, which resets the last event ID to the empty string [...]. The
    // last block just fires an event with the data " third event" (with a
    // single leading space character)."
    let input = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n";
    let outcome = parse(input);
    assert_eq!(
        outcome.items,
        [
            Item::Comment("test stream".to_owned()),
            Item::Event(event("", "first event", "1")),
            Item::Event(message("second event")),
            Item::Event(message(" third event")),
        ]
    );
}

#[test]
fn three_block_example_with_empty_data_and_unterminated_last_block() {
    // "The first block fires events with the data set to the empty string, as
    // would the last block if it was followed by a blank line. The middle
    // block fires an event with the data set to a single newline character.
    // The last block is discarded because it is not followed by a blank line."
    let input = b"data\n\ndata\ndata\n\ndata:";
    assert_eq!(events(input), [message(""), message("\n")]);
}

#[test]
fn two_identical_events_with_and_without_the_space() {
    // "The following stream fires two identical events: This is because the
    // space after the colon is ignored if present."
    let input = b"data:test\n\ndata: test\n\n";
    assert_eq!(events(input), [message("test"), message("test")]);
}

#[test]
fn event_type_example_with_add_and_remove() {
    // The "event" field example: add, remove, add events with numeric data.
    let input =
        b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n";
    assert_eq!(
        events(input),
        [
            event("add", "73857293", ""),
            event("remove", "2153", ""),
            event("add", "113411", "")
        ]
    );
}
