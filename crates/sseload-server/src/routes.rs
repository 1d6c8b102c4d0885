//! Routing: which handler answers which method and path.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use crate::config::Demo;
use crate::respond::{self, Reply};
use crate::server::Shared;
use crate::{auth, cors, demo, metrics, publish, subscribe};

/// Answers one request; with a CORS origin set, answers preflights and lets
/// that origin read every response.
pub(crate) async fn handle(shared: Arc<Shared>, request: Request<Incoming>) -> Reply {
    let Some(cors) = shared.config.cors.clone() else {
        return route(shared, request).await;
    };
    let mut reply = match *request.method() {
        Method::OPTIONS => preflight(&shared, request.uri().path()),
        _ => route(shared, request).await,
    };
    cors.allow(reply.headers_mut());
    reply
}

fn preflight(shared: &Shared, path: &str) -> Reply {
    match allowed_methods(&segments(path), &shared.config.demo) {
        Some(methods) => cors::preflight(methods),
        None => not_found(&Method::OPTIONS, path),
    }
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

/// The methods a path takes, `None` when nothing is there.
fn allowed_methods(segments: &[&str], demo: &Demo) -> Option<&'static str> {
    match segments {
        ["topics", _] => Some("GET, POST, DELETE"),
        ["" | "healthz" | "metrics"] => Some("GET"),
        ["clock"] if demo.clock => Some("GET"),
        ["stocks", "prices"] if demo.stocks => Some("GET"),
        ["firehose"] if demo::firehose::enabled(demo) => Some("GET"),
        ["v1", "completions"] | ["v1", "chat", "completions"] if demo.llm => Some("POST"),
        _ => None,
    }
}

/// Answers a `GET` that opens an event stream; `None` for any other request.
pub(crate) fn stream<B>(shared: &Shared, request: &Request<B>) -> Option<Reply> {
    if request.method() != Method::GET {
        return None;
    }
    let demo = &shared.config.demo;
    let reply = match segments(request.uri().path()).as_slice() {
        ["topics", names] => subscribe::topics(shared, request, names),
        ["stocks", "prices"] if demo.stocks => demo::stocks::subscribe(shared, request),
        ["clock"] if demo.clock => demo::clock::subscribe(shared, request),
        ["firehose"] if demo::firehose::enabled(demo) => demo::firehose::subscribe(shared, request),
        _ => return None,
    };
    Some(reply)
}

async fn route(shared: Arc<Shared>, request: Request<Incoming>) -> Reply {
    if let Some(reply) = stream(&shared, &request) {
        return reply;
    }
    let path = request.uri().path().to_owned();
    let segments = segments(&path);
    let demo = &shared.config.demo;
    match (request.method(), segments.as_slice()) {
        (&Method::GET, [""]) => demo::page::index(),
        (&Method::GET, ["healthz"]) => {
            respond::full(StatusCode::OK, "text/plain; charset=utf-8", "ok\n")
        }
        (&Method::GET, ["metrics"]) => respond::full(
            StatusCode::OK,
            metrics::CONTENT_TYPE,
            metrics::render(&shared.hub),
        ),
        (&Method::POST, ["topics", name]) => publish(&shared, request, name).await,
        (&Method::DELETE, ["topics", name]) => close(&shared, &request, name),
        (&Method::POST, ["v1", "completions"]) if demo.llm => {
            demo::llm::complete(&shared, request).await
        }
        (&Method::POST, ["v1", "chat", "completions"]) if demo.llm => {
            demo::llm::chat(&shared, request).await
        }
        (method, segments) => match allowed_methods(segments, demo) {
            Some(allow) => not_allowed(allow),
            None => not_found(method, &path),
        },
    }
}

fn not_found(method: &Method, path: &str) -> Reply {
    respond::error(
        StatusCode::NOT_FOUND,
        format!("no route for {method} {path}"),
    )
}

fn not_allowed(allow: &'static str) -> Reply {
    let mut reply = respond::error(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method not allowed (allowed: {allow})"),
    );
    reply
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    reply
}

/// Reads a request body, refusing one larger than the server's limit with 413.
pub(crate) async fn read_body(shared: &Shared, request: Request<Incoming>) -> Result<Bytes, Reply> {
    let limit = shared.config.max_body;
    let too_large = || {
        let message = format!("request body larger than {limit} bytes");
        respond::error(StatusCode::PAYLOAD_TOO_LARGE, message)
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    match Limited::new(request.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(err) => Err(respond::error(
            StatusCode::BAD_REQUEST,
            format!("cannot read the request body: {err}"),
        )),
    }
}

async fn publish(shared: &Shared, request: Request<Incoming>, topic: &str) -> Reply {
    if let Err(reply) = auth::check(
        request.headers(),
        shared.config.publish_token.as_ref(),
        "publishing",
    ) {
        return reply;
    }
    let body = match read_body(shared, request).await {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    let events = match publish::parse(&body) {
        Ok(events) => events,
        Err(message) => return respond::error(StatusCode::BAD_REQUEST, message),
    };
    match shared.hub.publish(topic, &events) {
        Ok(ids) => respond::json(StatusCode::OK, &serde_json::json!({ "ids": ids })),
        Err(err) => publish_refused(&err),
    }
}

fn publish_refused(err: &crate::PublishError) -> Reply {
    use crate::PublishError as E;
    let status = match err {
        E::Closed(_) => StatusCode::GONE,
        E::TooManyTopics(_) | E::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        E::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    respond::error(status, err)
}

fn close(shared: &Shared, request: &Request<Incoming>, topic: &str) -> Reply {
    if let Err(reply) = auth::check(
        request.headers(),
        shared.config.publish_token.as_ref(),
        "closing a topic",
    ) {
        return reply;
    }
    match shared.hub.close_topic(topic) {
        Ok(was_open) => respond::json(
            StatusCode::OK,
            &serde_json::json!({ "closed": topic, "was_open": was_open }),
        ),
        Err(err) => publish_refused(&err),
    }
}
