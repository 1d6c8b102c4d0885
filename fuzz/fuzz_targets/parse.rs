//! Fuzzes the SSE parser and the encoder.
//!
//! Beyond "no panic", each input checks three properties:
//! 1. chunk invariance: the input cut at a fuzzer-chosen offset, and byte by
//!    byte, gives the same items and error as the input in one chunk, under
//!    default limits and under tiny limits (so the limit errors are covered);
//! 2. the limits hold: every dispatched event fits the configured event size;
//! 3. round trip: an event built from the input either is refused with the
//!    right error or parses back to the same event.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use sseload_proto::{DEFAULT_EVENT_TYPE, EncodeError, EventBuilder, Item, Limits, ParseError, Parser};

fuzz_target!(|input: &[u8]| {
    let Some((&control, stream)) = input.split_first() else { return };
    let Some((&cut, stream)) = stream.split_first() else { return };
    let limits = if control & 1 == 0 {
        Limits::default()
    } else {
        Limits { max_line_len: usize::from(control >> 1) + 1, max_event_size: usize::from(cut) + 1 }
    };
    check_chunk_invariance(limits, stream, usize::from(cut) * stream.len() / 256);
    let _ = check_round_trip(&mut Unstructured::new(input));
});

type Outcome = (Vec<Item>, Option<ParseError>, String);

fn run<'a>(limits: Limits, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut parser = Parser::new().with_comments(true).with_limits(limits);
    let mut items = Vec::new();
    let mut error = None;
    for chunk in chunks {
        if let Err(err) = parser.feed(chunk, |item| items.push(item)) {
            error = Some(err);
            break;
        }
    }
    (items, error, parser.last_event_id().to_owned())
}

fn check_chunk_invariance(limits: Limits, stream: &[u8], at: usize) {
    let whole = run(limits, [stream]);
    assert_eq!(run(limits, [&stream[..at], &stream[at..]]), whole, "split at {at}");
    assert_eq!(run(limits, stream.chunks(1)), whole, "byte by byte");
    for item in &whole.0 {
        if let Item::Event(event) = item {
            let type_len = if event.event_type() == DEFAULT_EVENT_TYPE { 0 } else { event.event_type().len() };
            assert!(event.data().len() + type_len <= limits.max_event_size, "event over the limit");
        }
    }
}

fn check_round_trip(u: &mut Unstructured<'_>) -> Result<()> {
    let event: Option<String> = u.arbitrary()?;
    let id: Option<String> = u.arbitrary()?;
    let data: Option<String> = u.arbitrary()?;
    let retry: Option<u32> = u.arbitrary()?;
    let mut builder = EventBuilder::new();
    if let Some(event) = &event {
        builder = builder.event(event.as_str());
    }
    if let Some(id) = &id {
        builder = builder.id(id.as_str());
    }
    if let Some(data) = &data {
        builder = builder.data(data.as_str());
    }
    if let Some(retry) = retry {
        builder = builder.retry(Duration::from_millis(u64::from(retry)));
    }
    let has_line_end = |s: &Option<String>| s.as_deref().is_some_and(|s| s.contains(['\n', '\r']));
    let bytes = match builder.encode() {
        Ok(bytes) => bytes,
        Err(err) => {
            let refused_rightly = match err {
                EncodeError::LineEndInEventType(_) => has_line_end(&event),
                EncodeError::LineEndInId(_) => has_line_end(&id),
                EncodeError::NulInId(_) => id.is_some_and(|id| id.contains('\0')),
                _ => false,
            };
            assert!(refused_rightly, "wrong refusal: {err}");
            return Ok(());
        }
    };
    assert!(!has_line_end(&event) && !has_line_end(&id));
    let (items, error, last_event_id) = run(Limits::default(), [&bytes[..]]);
    assert_eq!(error, None);
    assert_eq!(last_event_id, id.unwrap_or_default());
    let events: Vec<_> = items.into_iter().filter_map(|item| match item {
        Item::Event(event) => Some(event),
        _ => None,
    }).collect();
    let Some(data) = data else {
        assert!(events.is_empty());
        return Ok(());
    };
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data(), data.replace("\r\n", "\n").replace('\r', "\n"));
    let event_type = event.as_deref().filter(|t| !t.is_empty()).unwrap_or("message");
    assert_eq!(events[0].event_type(), event_type);
    assert_eq!(events[0].retry(), retry.map(|ms| Duration::from_millis(u64::from(ms))));
    Ok(())
}
