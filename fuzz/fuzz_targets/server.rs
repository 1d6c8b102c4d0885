//! Fuzzes the hub's HTTP handling: request bytes go to the real router over
//! an in-memory connection (`Server::connections`, `tokio::io::duplex`),
//! under paused Tokio time so that timeouts cost nothing.
//!
//! The first byte picks the configuration (tokens, a 64-byte body limit,
//! CORS, the `retry` hint) and the mode:
//! - raw: the rest of the input is sent as is (pipelined requests, garbage);
//! - modelled: the rest is decoded into up to eight requests (publish,
//!   close, subscribe, health, metrics, wrong methods) with fuzzed topics,
//!   tokens, ids, bodies and query parameters, sent pipelined.
//!
//! Beyond "no panic", each input checks:
//! 1. the bytes that come back are a sequence of well-formed HTTP/1.1
//!    responses (status line, headers, a body framed by Content-Length or
//!    chunked encoding; only a stream may end unfinished, and only last);
//! 2. no 5xx answers client garbage (503 "too many topics" and injected
//!    faults asked for by query parameter are the only 5xx allowed);
//! 3. in the modelled mode, one response per request up to the first stream,
//!    each with the status a small model of the API predicts: 401/403 for a
//!    missing or wrong token, 413 for a body over the limit, 400 for a
//!    malformed topic, id, event, query or body, 410 for a publish to a
//!    closed topic, 204 for a subscribe to one, 404/405 for wrong routes.
#![no_main]

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use sseload_server::{CorsOrigin, Demo, Server, Token};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "s3cret";
const SMALL_BODY: usize = 64;

fuzz_target!(|input: &[u8]| {
    let Some((&control, rest)) = input.split_first() else {
        return;
    };
    let config = Config::from_byte(control);
    if control & 0x80 == 0 {
        let out = exchange(&config, rest.to_vec());
        let head = find(rest, b"HEAD ").is_some();
        let responses =
            parse_responses(&out, head).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
        for response in &responses {
            check_not_server_error(response, &out);
        }
    } else {
        let Ok(requests) = decode(&mut Unstructured::new(rest), &config) else {
            return;
        };
        modelled(&config, &requests);
    }
});

#[derive(Debug, Clone, Copy)]
struct Config {
    publish_token: bool,
    subscribe_token: bool,
    small_body: bool,
    cors: bool,
    retry: bool,
}

impl Config {
    fn from_byte(b: u8) -> Self {
        Self {
            publish_token: b & 1 != 0,
            subscribe_token: b & 2 != 0,
            small_body: b & 4 != 0,
            cors: b & 8 != 0,
            retry: b & 16 != 0,
        }
    }

    fn server(&self) -> Server {
        let mut demo = Demo::none();
        demo.llm = true;
        let mut builder = Server::builder()
            .demo(demo)
            .heartbeat(None)
            .retry(self.retry.then(|| Duration::from_secs(3)))
            .publish_token(self.publish_token.then(|| Token::new(TOKEN)))
            .subscribe_token(self.subscribe_token.then(|| Token::new(TOKEN)));
        if self.small_body {
            builder = builder.max_body(SMALL_BODY);
        }
        if self.cors {
            builder = builder.cors_origin(Some(CorsOrigin::new("*")));
        }
        builder.build().expect("a valid configuration")
    }

    fn max_body(&self) -> usize {
        if self.small_body { SMALL_BODY } else { 1 << 20 }
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a runtime")
    })
}

/// Sends `request` on one connection and collects what comes back until the
/// server closes it or a minute of (paused, hence free) time has passed.
fn exchange(config: &Config, request: Vec<u8>) -> Vec<u8> {
    runtime().block_on(async {
        let connections = config.server().connections().expect("no data directory");
        let (mut client, server_side) = tokio::io::duplex(1 << 16);
        let serving = tokio::spawn(connections.serve(server_side));
        let (mut reader, mut writer) = tokio::io::split(&mut client);
        let write = async move {
            let _ = writer.write_all(&request).await;
        };
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(60), reader.read_to_end(&mut out));
        let ((), _) = tokio::join!(write, read);
        drop(connections);
        drop(client);
        tokio::time::timeout(Duration::from_secs(60), serving)
            .await
            .expect("the connection ends once the server is dropped")
            .expect("the connection task does not panic");
        out
    })
}

fn show(out: &[u8]) -> String {
    String::from_utf8_lossy(&out[..out.len().min(4000)]).into_owned()
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The body ended before its framing said it would (only a stream may).
    unfinished: bool,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn is_stream(&self) -> bool {
        self.header("content-type")
            .is_some_and(|t| t.starts_with("text/event-stream"))
    }
}

/// Splits the bytes into responses, checking their framing. With `head`, a
/// response to a HEAD request may have been sent: a head followed at once by
/// the next status line has no body, whatever its Content-Length says.
fn parse_responses(mut out: &[u8], head: bool) -> Result<Vec<Response>, String> {
    let mut responses: Vec<Response> = Vec::new();
    while !out.is_empty() {
        if responses.last().is_some_and(|r| r.unfinished) {
            return Err("bytes after an unfinished response".into());
        }
        let (response, rest) = parse_one(out, head)?;
        responses.push(response);
        out = rest;
    }
    Ok(responses)
}

fn parse_one(out: &[u8], head_request: bool) -> Result<(Response, &[u8]), String> {
    let end = find(out, b"\r\n\r\n").ok_or("a response head without its end")?;
    let head = std::str::from_utf8(&out[..end]).map_err(|_| "a head that is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status = status_line(lines.next().unwrap_or_default())?;
    let headers = lines
        .map(|line| {
            let (name, value) = line
                .split_once(": ")
                .ok_or(format!("a bad header line {line:?}"))?;
            let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
            if name.is_empty() || !name.chars().all(token) {
                return Err(format!("a bad header name {name:?}"));
            }
            Ok((name.to_owned(), value.to_owned()))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
        unfinished: false,
    };
    let rest = &out[end + 4..];
    if head_request && (rest.is_empty() || rest.starts_with(b"HTTP/1.")) {
        return Ok((response, rest));
    }
    let rest = body(&mut response, rest)?;
    Ok((response, rest))
}

fn status_line(line: &str) -> Result<u16, String> {
    let rest = line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| line.strip_prefix("HTTP/1.0 "))
        .ok_or(format!("a bad status line {line:?}"))?;
    let code = rest.get(..3).ok_or(format!("a bad status line {line:?}"))?;
    let status: u16 = code.parse().map_err(|_| format!("a bad status {code:?}"))?;
    if !(100..600).contains(&status) || !rest[3..].starts_with(' ') {
        return Err(format!("a bad status line {line:?}"));
    }
    Ok(status)
}

/// Reads the body the head announces; returns what follows it.
fn body<'a>(response: &mut Response, rest: &'a [u8]) -> Result<&'a [u8], String> {
    if response.status < 200 || response.status == 204 || response.status == 304 {
        return Ok(rest);
    }
    if response
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        return chunked(response, rest);
    }
    if let Some(length) = response.header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| format!("a bad Content-Length {length:?}"))?;
        let body = rest
            .get(..length)
            .ok_or("a body shorter than its Content-Length")?;
        response.body = body.to_vec();
        return Ok(&rest[length..]);
    }
    response.body = rest.to_vec();
    response.unfinished = true;
    Ok(&[])
}

fn chunked<'a>(response: &mut Response, mut rest: &'a [u8]) -> Result<&'a [u8], String> {
    loop {
        let Some(line_end) = find(rest, b"\r\n") else {
            response.unfinished = true;
            return Ok(&[]);
        };
        let size = std::str::from_utf8(&rest[..line_end]).map_err(|_| "a bad chunk size")?;
        let size =
            usize::from_str_radix(size, 16).map_err(|_| format!("a bad chunk size {size:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return rest
                .strip_prefix(b"\r\n")
                .ok_or_else(|| "no end after the last chunk".into());
        }
        if rest.len() < size + 2 {
            response
                .body
                .extend_from_slice(&rest[..rest.len().min(size)]);
            response.unfinished = true;
            return Ok(&[]);
        }
        if &rest[size..size + 2] != b"\r\n" {
            return Err("a chunk without its line end".into());
        }
        response.body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// 5xx only for the capacity limit and for faults the request asked for.
fn check_not_server_error(response: &Response, out: &[u8]) {
    if response.status < 500 {
        return;
    }
    let body = String::from_utf8_lossy(&response.body);
    let allowed = body.contains("injected fault") || body.contains("too many topics");
    assert!(
        allowed,
        "{} for a client's request: {}",
        response.status,
        show(out)
    );
}

/// One request of the modelled mode.
#[derive(Debug)]
enum Request {
    Health,
    Metrics,
    Publish {
        topic: String,
        token: Tok,
        body: Body,
    },
    Close {
        topic: String,
        token: Tok,
    },
    Subscribe {
        topics: Vec<String>,
        token: Tok,
        last_event_id: Option<Vec<u8>>,
        query: Query,
    },
    WrongMethod {
        method: &'static str,
        path: &'static str,
    },
}

#[derive(Debug, Clone, Copy)]
enum Tok {
    None,
    Right,
    Wrong,
}

#[derive(Debug)]
enum Body {
    Events(Vec<(String, Option<String>, Option<String>)>),
    Garbage(Vec<u8>),
    Padding(usize),
}

#[derive(Debug)]
enum Query {
    None,
    Types(Vec<String>),
    Unknown,
}

fn decode(u: &mut Unstructured<'_>, config: &Config) -> ArbResult<Vec<Request>> {
    let count = u.int_in_range(1..=8)?;
    (0..count).map(|_| request(u, config)).collect()
}

fn request(u: &mut Unstructured<'_>, _config: &Config) -> ArbResult<Request> {
    Ok(match u.int_in_range(0..=9)? {
        0 => Request::Health,
        1 => Request::Metrics,
        2..=4 => Request::Publish {
            topic: topic(u)?,
            token: token(u)?,
            body: body_of(u)?,
        },
        5 => Request::Close {
            topic: topic(u)?,
            token: token(u)?,
        },
        6..=8 => {
            let n = u.int_in_range(1..=3)?;
            let topics = (0..n).map(|_| topic(u)).collect::<ArbResult<_>>()?;
            // No control characters: a bare LF would end the header line
            // (hyper accepts it), the rest is garbage left to the raw mode.
            let visible = |id: Vec<u8>| {
                id.into_iter()
                    .filter(|b| *b >= 0x20 && *b != 0x7f)
                    .collect()
            };
            let last_event_id = if u.arbitrary()? {
                Some(visible(u.arbitrary()?))
            } else {
                None
            };
            let query = match u.int_in_range(0..=2)? {
                0 => Query::None,
                1 => Query::Types(u.arbitrary()?),
                _ => Query::Unknown,
            };
            Request::Subscribe {
                topics,
                token: token(u)?,
                last_event_id,
                query,
            }
        }
        _ => {
            let method = *u.choose(&["PUT", "PATCH", "TRACE"])?;
            let path = *u.choose(&[
                "/",
                "/healthz",
                "/metrics",
                "/topics/a",
                "/nowhere",
                "/topics",
                "/topics/a/b",
                "/v1/completions",
            ])?;
            Request::WrongMethod { method, path }
        }
    })
}

fn topic(u: &mut Unstructured<'_>) -> ArbResult<String> {
    Ok(match u.int_in_range(0..=5)? {
        0 => "news".to_owned(),
        1 => "a.b-c_D9".to_owned(),
        2 => "x".repeat(128),
        3 => "x".repeat(129),
        4 => String::new(),
        _ => u.arbitrary()?,
    })
}

fn token(u: &mut Unstructured<'_>) -> ArbResult<Tok> {
    Ok(*u.choose(&[Tok::None, Tok::Right, Tok::Wrong])?)
}

fn body_of(u: &mut Unstructured<'_>) -> ArbResult<Body> {
    Ok(match u.int_in_range(0..=3)? {
        0 => Body::Garbage(u.arbitrary()?),
        1 => Body::Padding(u.int_in_range(0..=200)?),
        _ => {
            let n = u.int_in_range(0..=3)?;
            let events = (0..n)
                .map(|_| Ok((u.arbitrary()?, u.arbitrary()?, u.arbitrary()?)))
                .collect::<ArbResult<_>>()?;
            Body::Events(events)
        }
    })
}

/// Percent-encodes everything but unreserved characters, so that the path
/// segment the server sees is exactly the encoded text.
fn encode_segment(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn valid_topic(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= 128
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl Request {
    /// The request's bytes; `last` asks the server to close after it.
    fn encode(&self, last: bool) -> Vec<u8> {
        let (method, path, token, extra, body) = self.parts();
        let mut out = format!("{method} {path} HTTP/1.1\r\nhost: fuzz\r\n").into_bytes();
        match token {
            Tok::None => {}
            Tok::Right => {
                out.extend_from_slice(format!("authorization: Bearer {TOKEN}\r\n").as_bytes())
            }
            Tok::Wrong => out.extend_from_slice(b"authorization: Bearer wrong\r\n"),
        }
        out.extend_from_slice(&extra);
        if last {
            out.extend_from_slice(b"connection: close\r\n");
        }
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        out.extend_from_slice(&body);
        out
    }

    fn parts(&self) -> (&'static str, String, Tok, Vec<u8>, Vec<u8>) {
        match self {
            Self::Health => ("GET", "/healthz".into(), Tok::None, vec![], vec![]),
            Self::Metrics => ("GET", "/metrics".into(), Tok::None, vec![], vec![]),
            Self::Publish { topic, token, body } => (
                "POST",
                format!("/topics/{}", encode_segment(topic)),
                *token,
                vec![],
                body.bytes(),
            ),
            Self::Close { topic, token } => (
                "DELETE",
                format!("/topics/{}", encode_segment(topic)),
                *token,
                vec![],
                vec![],
            ),
            Self::Subscribe {
                topics,
                token,
                last_event_id,
                query,
            } => {
                let names: Vec<String> = topics.iter().map(|t| encode_segment(t)).collect();
                let query = match query {
                    Query::None => String::new(),
                    Query::Types(types) => {
                        let types: Vec<String> = types.iter().map(|t| encode_segment(t)).collect();
                        format!("?types={}", types.join(","))
                    }
                    Query::Unknown => "?colour=red".into(),
                };
                let mut extra = Vec::new();
                if let Some(id) = last_event_id {
                    extra.extend_from_slice(b"last-event-id: ");
                    extra.extend_from_slice(id);
                    extra.extend_from_slice(b"\r\n");
                }
                (
                    "GET",
                    format!("/topics/{}{query}", names.join(",")),
                    *token,
                    extra,
                    vec![],
                )
            }
            Self::WrongMethod { method, path } => {
                (method, (*path).into(), Tok::None, vec![], vec![])
            }
        }
    }
}

impl Body {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Self::Events(events) => {
                let events: Vec<serde_json::Value> = events
                    .iter()
                    .map(|(data, event, id)| {
                        let mut object = serde_json::json!({ "data": data });
                        if let Some(event) = event {
                            object["event"] = event.clone().into();
                        }
                        if let Some(id) = id {
                            object["id"] = id.clone().into();
                        }
                        object
                    })
                    .collect();
                serde_json::Value::Array(events).to_string().into_bytes()
            }
            Self::Garbage(bytes) => [&[0u8][..], bytes].concat(),
            Self::Padding(n) => format!("{{\"data\":\"{}\"}}", "p".repeat(*n)).into_bytes(),
        }
    }

    /// Whether the hub accepts these events (the body limit aside).
    fn acceptable(&self) -> bool {
        let line_end = |s: &str| s.contains(['\n', '\r']);
        match self {
            Self::Events(events) => {
                !events.is_empty()
                    && events.iter().all(|(_, event, id)| {
                        !event.as_deref().is_some_and(line_end)
                            && !id.as_deref().is_some_and(|id| {
                                id.is_empty() || line_end(id) || id.contains('\0')
                            })
                    })
            }
            Self::Garbage(_) => false,
            Self::Padding(_) => true,
        }
    }
}

/// What the model predicts for one request.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Status(u16),
    /// A stream: the connection stays busy with it.
    Stream,
}

/// The model: the hub's topics that have been closed, the configuration.
struct Model<'c> {
    config: &'c Config,
    closed: HashSet<String>,
}

impl Model<'_> {
    fn auth(&self, required: bool, token: Tok) -> Option<u16> {
        match (required, token) {
            (false, _) | (true, Tok::Right) => None,
            (true, Tok::None) => Some(401),
            (true, Tok::Wrong) => Some(403),
        }
    }

    fn expect(&mut self, request: &Request) -> Expect {
        match request {
            Request::Health | Request::Metrics => Expect::Status(200),
            Request::Publish { topic, token, body } => self.publish(topic, *token, body),
            Request::Close { topic, token } => {
                let segment = encode_segment(topic);
                if let Some(status) = self.auth(self.config.publish_token, *token) {
                    return Expect::Status(status);
                }
                if !valid_topic(&segment) {
                    return Expect::Status(400);
                }
                self.closed.insert(segment);
                Expect::Status(200)
            }
            Request::Subscribe {
                topics,
                token,
                last_event_id,
                query,
            } => self.subscribe(topics, *token, last_event_id.as_deref(), query),
            Request::WrongMethod { path, .. } => {
                let routes = ["/", "/healthz", "/metrics", "/topics/a", "/v1/completions"];
                Expect::Status(if routes.contains(path) { 405 } else { 404 })
            }
        }
    }

    fn publish(&self, topic: &str, token: Tok, body: &Body) -> Expect {
        let segment = encode_segment(topic);
        if let Some(status) = self.auth(self.config.publish_token, token) {
            return Expect::Status(status);
        }
        if body.bytes().len() > self.config.max_body() {
            return Expect::Status(413);
        }
        if !valid_topic(&segment) || !body.acceptable() {
            return Expect::Status(400);
        }
        Expect::Status(if self.closed.contains(&segment) {
            410
        } else {
            200
        })
    }

    fn subscribe(
        &self,
        topics: &[String],
        token: Tok,
        last_event_id: Option<&[u8]>,
        query: &Query,
    ) -> Expect {
        let segments: Vec<String> = topics.iter().map(|t| encode_segment(t)).collect();
        if let Some(status) = self.auth(self.config.subscribe_token, token) {
            return Expect::Status(status);
        }
        let bad_query = match query {
            Query::None => false,
            // The server decodes the value, then splits it at commas.
            Query::Types(types) => types.join(",").split(',').any(str::is_empty),
            Query::Unknown => true,
        };
        if bad_query || !segments.iter().all(|s| valid_topic(s)) {
            return Expect::Status(400);
        }
        if last_event_id.is_some_and(|id| !id.is_ascii()) {
            return Expect::Status(400);
        }
        if segments.iter().any(|s| self.closed.contains(s)) {
            return Expect::Status(204);
        }
        Expect::Stream
    }
}

fn modelled(config: &Config, requests: &[Request]) {
    let mut model = Model {
        config,
        closed: HashSet::new(),
    };
    let mut expected = Vec::new();
    for request in requests {
        let expect = model.expect(request);
        let ends = expect == Expect::Stream;
        expected.push(expect);
        if ends {
            break;
        }
    }
    let sent = &requests[..expected.len()];
    let mut bytes = Vec::new();
    for (i, request) in sent.iter().enumerate() {
        let last = i + 1 == sent.len() && *expected.last().unwrap() != Expect::Stream;
        bytes.extend(request.encode(last));
    }
    let out = exchange(config, bytes);
    let responses = parse_responses(&out, false).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(
        responses.len(),
        expected.len(),
        "responses {statuses:?} for {sent:#?}: {}",
        show(&out)
    );
    for ((response, expect), request) in responses.iter().zip(&expected).zip(sent) {
        check_not_server_error(response, &out);
        match expect {
            Expect::Status(status) => {
                assert_eq!(response.status, *status, "for {request:?}: {}", show(&out));
                assert!(!response.unfinished, "an unfinished answer to {request:?}");
            }
            Expect::Stream => {
                assert_eq!(response.status, 200, "for {request:?}: {}", show(&out));
                assert!(response.is_stream(), "not an event stream: {}", show(&out));
            }
        }
    }
}
