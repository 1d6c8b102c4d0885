//! Resuming with `Last-Event-ID`: finding where the client stopped, and what
//! to send it before the live events.
//!
//! Every event has a position in the hub-wide sequence. A `Last-Event-ID` is
//! looked up first among the ids still in the subscribed topics' rings (so a
//! publisher-set id works too), then read as a sequence number. When events
//! after that position have already left a ring, or the id is unknown, the
//! stream starts with a [`GAP_EVENT`] event saying so, followed by everything
//! still buffered: the client learns it missed something instead of
//! silently skipping it.

use std::sync::Arc;

use sseload_proto::EventBuilder;

use crate::hub::{Msg, State, SubscribeRequest, type_matches};

/// The event type of the notice sent when a resume cannot be exact.
pub const GAP_EVENT: &str = "sseload-gap";

/// Where a resuming subscriber picks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resume {
    /// After this sequence number.
    After(u64),
    /// The id matches nothing: neither a buffered id nor a past sequence number.
    Unknown,
}

/// Finds the position of `last_event_id` among `topics`.
pub(crate) fn resolve(state: &State, topics: &[Arc<str>], last_event_id: &str) -> Resume {
    let numeric = last_event_id.parse::<u64>().ok();
    let buffered = topics
        .iter()
        .filter_map(|name| state.topics.get(name))
        .flat_map(|topic| topic.ring.iter().rev())
        .find(|stored| stored.has_id(last_event_id, numeric));
    match (buffered, numeric) {
        (Some(stored), _) => Resume::After(stored.seq),
        (None, Some(seq)) if seq <= state.seq => Resume::After(seq),
        _ => Resume::Unknown,
    }
}

/// The messages to send before the live ones: a gap notice if events were
/// lost, then the buffered events after the resume point, in sequence order.
pub(crate) fn prelude(
    state: &State,
    request: &SubscribeRequest<'_>,
    resume: Option<&Resume>,
) -> Vec<Msg> {
    let Some(resume) = resume else {
        return Vec::new();
    };
    let after = match resume {
        Resume::After(seq) => *seq,
        Resume::Unknown => 0,
    };
    let mut out = Vec::new();
    if let Some(notice) = gap_notice(state, request, resume) {
        out.push(Msg::Event(notice));
    }
    let mut events: Vec<_> = request
        .topics
        .iter()
        .filter_map(|name| state.topics.get(name))
        .flat_map(|topic| topic.ring.iter().filter(|stored| stored.seq > after))
        .filter(|stored| type_matches(request.types.as_deref(), stored.event_type.as_deref()))
        .map(|stored| (stored.seq, stored.bytes.clone()))
        .collect();
    events.sort_unstable_by_key(|(seq, _)| *seq);
    out.extend(events.into_iter().map(|(_, bytes)| Msg::Event(bytes)));
    out
}

/// The gap event, when events after the resume point are gone or the id is unknown.
fn gap_notice(
    state: &State,
    request: &SubscribeRequest<'_>,
    resume: &Resume,
) -> Option<bytes::Bytes> {
    let (reason, lost): (&str, Vec<&str>) = match resume {
        Resume::Unknown => ("unknown_id", request.topics.iter().map(|t| &**t).collect()),
        Resume::After(seq) => {
            let lost = request
                .topics
                .iter()
                .filter(|name| {
                    state
                        .topics
                        .get(&***name)
                        .is_some_and(|t| t.evicted_through > *seq)
                })
                .map(|t| &**t)
                .collect::<Vec<_>>();
            ("too_old", lost)
        }
    };
    if lost.is_empty() {
        return None;
    }
    let data = serde_json::json!({
        "reason": reason,
        "last_event_id": request.last_event_id.unwrap_or_default(),
        "topics": lost,
    });
    EventBuilder::new()
        .event(GAP_EVENT)
        .data(data.to_string())
        .encode()
        .ok()
}
