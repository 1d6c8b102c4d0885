//! Property: what the encoder writes, the parser reads back as the same event
//! (data with CRLF and CR normalised to LF), whatever the chunking.

use std::time::Duration;

use proptest::prelude::*;
use sseload_proto::{EventBuilder, Item, Parser};

use crate::support::run_chunks;

/// The fields of one event block, as a test builds them.
#[derive(Debug, Clone)]
struct Fields {
    event: Option<String>,
    id: Option<String>,
    data: Option<String>,
    retry: Option<u32>,
    comment: Option<String>,
}

impl Fields {
    fn builder(&self) -> EventBuilder {
        let mut builder = EventBuilder::new();
        if let Some(event) = &self.event {
            builder = builder.event(event.as_str());
        }
        if let Some(id) = &self.id {
            builder = builder.id(id.as_str());
        }
        if let Some(data) = &self.data {
            builder = builder.data(data.as_str());
        }
        if let Some(retry) = self.retry {
            builder = builder.retry(Duration::from_millis(u64::from(retry)));
        }
        if let Some(comment) = &self.comment {
            builder = builder.comment(comment.as_str());
        }
        builder
    }
}

/// Text with a good share of line ends, spaces, colons and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\n".to_owned()),
            Just("\r".to_owned()),
            Just("\r\n".to_owned()),
            Just(" ".to_owned()),
            Just(":".to_owned()),
            Just("\u{FEFF}".to_owned()),
            any::<char>().prop_map(String::from),
            "[a-z0-9]{1,8}",
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

/// Text without CR or LF (and, for ids, without NUL).
fn line(no_nul: bool) -> impl Strategy<Value = String> {
    text().prop_map(move |s| {
        s.chars()
            .filter(|&c| c != '\n' && c != '\r' && !(no_nul && c == '\0'))
            .collect()
    })
}

fn fields() -> impl Strategy<Value = Fields> {
    (
        proptest::option::of(line(false)),
        proptest::option::of(line(true)),
        proptest::option::of(text()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(text()),
    )
        .prop_map(|(event, id, data, retry, comment)| Fields {
            event,
            id,
            data,
            retry,
            comment,
        })
}

fn normalise_line_ends(data: &str) -> String {
    data.replace("\r\n", "\n").replace('\r', "\n")
}

proptest! {
    #[test]
    fn encode_then_parse_gives_the_same_event(fields in fields(), cut in any::<prop::sample::Index>()) {
        let bytes = fields.builder().encode().unwrap();
        let at = cut.index(bytes.len() + 1);
        let outcome = run_chunks(&|| Parser::new().with_comments(true), [&bytes[..at], &bytes[at..]]);
        prop_assert_eq!(&outcome.error, &None);
        let events = outcome.events();
        match &fields.data {
            None => prop_assert!(events.is_empty()),
            Some(data) => {
                prop_assert_eq!(events.len(), 1);
                let event = &events[0];
                prop_assert_eq!(event.data(), normalise_line_ends(data));
                let event_type = fields.event.as_deref().filter(|t| !t.is_empty()).unwrap_or("message");
                prop_assert_eq!(event.event_type(), event_type);
                prop_assert_eq!(event.id(), fields.id.as_deref().unwrap_or(""));
                prop_assert_eq!(event.retry(), fields.retry.map(|ms| Duration::from_millis(u64::from(ms))));
            }
        }
        prop_assert_eq!(outcome.last_event_id, fields.id.clone().unwrap_or_default());
        let comments: Vec<String> = outcome.items.iter().filter_map(|item| match item {
            Item::Comment(text) => Some(text.clone()),
            _ => None,
        }).collect();
        let expected: Vec<String> = fields.comment.as_deref().map(|c| normalise_line_ends(c).split('\n').map(str::to_owned).collect()).unwrap_or_default();
        prop_assert_eq!(comments, expected);
    }

    #[test]
    fn a_stream_of_encoded_events_parses_back_in_order(all in prop::collection::vec(fields(), 0..8)) {
        let bytes: Vec<u8> = all.iter().flat_map(|f| f.builder().encode().unwrap().to_vec()).collect();
        let outcome = run_chunks(&Parser::new, bytes.chunks(5));
        let mut id = String::new();
        let mut expected = Vec::new();
        for fields in &all {
            if let Some(new_id) = &fields.id {
                id.clone_from(new_id);
            }
            if let Some(data) = &fields.data {
                expected.push((normalise_line_ends(data), id.clone()));
            }
        }
        let got: Vec<(String, String)> = outcome.events().iter().map(|e| (e.data().to_owned(), e.id().to_owned())).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn event_type_or_id_with_a_line_end_is_always_refused(prefix in line(true), end in prop_oneof![Just("\n"), Just("\r")], suffix in line(true)) {
        let bad = format!("{prefix}{end}{suffix}");
        prop_assert!(EventBuilder::new().event(bad.as_str()).encode().is_err());
        prop_assert!(EventBuilder::new().id(bad.as_str()).encode().is_err());
    }
}
