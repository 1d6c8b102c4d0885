//! Opening streams: the checks every stream request passes, and hub subscriptions.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use sseload_proto::EventBuilder;

use crate::error::SubscribeError;
use crate::fault::{self, RequestFaults};
use crate::hub::{Msg, SubscribeRequest, validate_topic};
use crate::query::Query;
use crate::respond::{self, Reply};
use crate::server::Shared;
use crate::stream::EventStream;
use crate::{PublishError, auth};

/// Checks the subscribe token and reads the fault knobs; the caller takes its
/// own query parameters, then calls [`Query::finish`] and [`inject`].
pub(crate) fn admit<B>(
    shared: &Shared,
    request: &Request<B>,
) -> Result<(Query, RequestFaults), Reply> {
    auth::check(
        request.headers(),
        shared.config.subscribe_token.as_ref(),
        "subscribing",
    )?;
    let mut query = Query::parse(request.uri().query());
    let faults = fault::from_query(&mut query, &shared.config.faults).map_err(bad_request)?;
    Ok((query, faults))
}

/// Answers with an injected error for the configured fraction of requests.
pub(crate) fn inject(shared: &Shared, faults: &RequestFaults) -> Result<(), Reply> {
    if faults.error_rate > 0.0 && shared.dice.roll() < faults.error_rate {
        let status = StatusCode::from_u16(faults.error_status.code())
            .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return Err(respond::error(status, "injected fault (error_rate)"));
    }
    Ok(())
}

pub(crate) fn bad_request(message: String) -> Reply {
    respond::error(StatusCode::BAD_REQUEST, message)
}

/// The `retry` hint every stream starts with, if configured.
pub(crate) fn retry_hint(shared: &Shared) -> Option<Msg> {
    let retry = shared.config.retry?;
    EventBuilder::new()
        .retry(retry)
        .encode()
        .ok()
        .map(Msg::Control)
}

/// `GET /topics/{a,b,...}?types=x,y`.
pub(crate) fn topics<B>(shared: &Shared, request: &Request<B>, names: &str) -> Reply {
    topics_inner(shared, request, names).unwrap_or_else(|reply| reply)
}

fn topics_inner<B>(shared: &Shared, request: &Request<B>, names: &str) -> Result<Reply, Reply> {
    let (mut query, faults) = admit(shared, request)?;
    let types = query.list("types").map_err(bad_request)?;
    query.finish().map_err(bad_request)?;
    let mut topics: Vec<Arc<str>> = Vec::new();
    for name in names.split(',') {
        validate_topic(name)
            .map_err(|name| bad_request(PublishError::InvalidTopic(name).to_string()))?;
        if !topics.iter().any(|t| **t == *name) {
            topics.push(Arc::from(name));
        }
    }
    inject(shared, &faults)?;
    let types = types.map(|types| types.into_iter().map(String::into_boxed_str).collect());
    open(
        shared,
        request.headers(),
        HubStream {
            topics,
            types,
            faults,
        },
        |_| None,
    )
}

/// A hub subscription being opened.
#[derive(Debug)]
pub(crate) struct HubStream {
    pub(crate) topics: Vec<Arc<str>>,
    pub(crate) types: Option<Arc<[Box<str>]>>,
    pub(crate) faults: RequestFaults,
}

/// Subscribes and builds the stream response. `snapshot` gets the newest
/// data of each topic and may return a first event (sent only when not resuming).
pub(crate) fn open(
    shared: &Shared,
    headers: &HeaderMap,
    stream: HubStream,
    snapshot: impl FnOnce(&[Option<Arc<str>>]) -> Option<Bytes>,
) -> Result<Reply, Reply> {
    let last_event_id = last_event_id(headers)?;
    let request = SubscribeRequest {
        topics: stream.topics,
        types: stream.types,
        last_event_id,
    };
    let subscription = shared.hub.subscribe(request).map_err(|err| refused(&err))?;
    let mut prelude: Vec<Msg> = retry_hint(shared).into_iter().collect();
    if last_event_id.is_none() {
        prelude.extend(snapshot(&subscription.latest).map(Msg::Event));
    }
    prelude.extend(subscription.prelude);
    if let Some(lifetime) = shared.config.lifetime {
        shared.expiry.push(
            lifetime,
            subscription.guard.id(),
            subscription.guard.topics(),
        );
    }
    let body = EventStream::new(prelude, subscription.rx, Arc::clone(&shared.counters))
        .with_guard(subscription.guard)
        .with_faults(stream.faults.stream);
    Ok(respond::event_stream(body))
}

/// The `Last-Event-ID` header; an empty one counts as absent.
fn last_event_id(headers: &HeaderMap) -> Result<Option<&str>, Reply> {
    let Some(value) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let id = value
        .to_str()
        .map_err(|_| bad_request("Last-Event-ID: not visible ASCII".to_owned()))?;
    Ok(Some(id).filter(|id| !id.is_empty()))
}

fn refused(err: &SubscribeError) -> Reply {
    match err {
        SubscribeError::Closed(_) => respond::empty(StatusCode::NO_CONTENT),
        SubscribeError::TooManyTopics(_) | SubscribeError::ShuttingDown => {
            respond::error(StatusCode::SERVICE_UNAVAILABLE, err)
        }
    }
}
