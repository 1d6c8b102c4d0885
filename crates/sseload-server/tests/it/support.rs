//! Test helpers: start a server, open streams with a hyper client, parse them
//! with `sseload_proto::Parser`, and send plain requests.

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use sseload_proto::{Event, Item, Parser};
use sseload_server::{Demo, RunningServer, ServerBuilder};
use tokio::net::TcpStream;

/// The deadline of one wait in a real-time test.
pub(crate) const DEADLINE: Duration = Duration::from_secs(20);

/// The deadline of one wait in a paused-time test (time jumps to the next timer when idle).
pub(crate) const PAUSED_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// Awaits `future`, failing the test after [`DEADLINE`].
pub(crate) async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .expect("deadline passed")
}

/// A builder with no demo feeds, no heartbeat and no `retry` hint: only what a test adds.
pub(crate) fn quiet() -> ServerBuilder {
    sseload_server::Server::builder()
        .demo(Demo::none())
        .heartbeat(None)
        .retry(None)
}

pub(crate) async fn start(builder: ServerBuilder) -> RunningServer {
    let server = builder.build().expect("valid config");
    server
        .start("127.0.0.1:0".parse().unwrap())
        .await
        .expect("server starts")
}

/// How a stream ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The chunked body ended properly.
    Clean,
    /// The connection was cut mid-body.
    Cut,
}

/// One open event stream.
pub(crate) struct Sse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    body: Incoming,
    parser: Parser,
    items: VecDeque<Item>,
    ended: Option<Ending>,
}

async fn send(addr: SocketAddr, request: Request<Full<Bytes>>) -> hyper::Response<Incoming> {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.set_nodelay(true).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    sender.send_request(request).await.expect("response head")
}

fn build(
    method: Method,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Request<Full<Bytes>> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Full::new(body)).unwrap()
}

impl Sse {
    /// `GET path` with the given headers.
    pub(crate) async fn open(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Self {
        Self::request(addr, Method::GET, path, headers, Bytes::new()).await
    }

    pub(crate) async fn request(
        addr: SocketAddr,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Self {
        let response = send(addr, build(method, addr, path, headers, body)).await;
        let (parts, body) = response.into_parts();
        Self {
            status: parts.status,
            headers: parts.headers,
            body,
            parser: Parser::new().with_comments(true),
            items: VecDeque::new(),
            ended: None,
        }
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    /// The next item, or how the stream ended.
    pub(crate) async fn next_item(&mut self) -> Result<Item, Ending> {
        loop {
            if let Some(item) = self.items.pop_front() {
                return Ok(item);
            }
            if let Some(ending) = &self.ended {
                return Err(if *ending == Ending::Clean {
                    Ending::Clean
                } else {
                    Ending::Cut
                });
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let items = &mut self.items;
                        self.parser
                            .feed(&data, |item| items.push_back(item))
                            .expect("valid stream");
                    }
                }
                Some(Err(_)) => self.ended = Some(Ending::Cut),
                None => self.ended = Some(Ending::Clean),
            }
        }
    }

    /// The next event, skipping comments and `retry`; panics if the stream ends.
    pub(crate) async fn next_event(&mut self) -> Event {
        loop {
            match self.next_item().await {
                Ok(Item::Event(event)) => return event,
                Ok(_) => {}
                Err(ending) => panic!("stream ended ({ending:?}) while an event was expected"),
            }
        }
    }

    pub(crate) async fn events(&mut self, n: usize) -> Vec<Event> {
        let mut events = Vec::with_capacity(n);
        for _ in 0..n {
            events.push(self.next_event().await);
        }
        events
    }

    /// Reads until the stream ends; returns the events seen and how it ended.
    pub(crate) async fn rest(&mut self) -> (Vec<Event>, Ending) {
        let mut events = Vec::new();
        loop {
            match self.next_item().await {
                Ok(Item::Event(event)) => events.push(event),
                Ok(_) => {}
                Err(ending) => return (events, ending),
            }
        }
    }
}

/// A plain request; returns the status, headers and whole body.
pub(crate) async fn call(
    addr: SocketAddr,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, HeaderMap, String) {
    let response = send(
        addr,
        build(method, addr, path, headers, Bytes::from(body.to_owned())),
    )
    .await;
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("whole body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(bytes.to_vec()).unwrap(),
    )
}

/// `POST /topics/{topic}` with a JSON body; returns the status and body.
pub(crate) async fn post(addr: SocketAddr, topic: &str, body: &str) -> (StatusCode, String) {
    let (status, _, body) = call(addr, Method::POST, &format!("/topics/{topic}"), &[], body).await;
    (status, body)
}

/// The value of one metric line (`name{labels} value`) from `GET /metrics`.
pub(crate) async fn metric(addr: SocketAddr, series: &str) -> u64 {
    let (_, _, text) = call(addr, Method::GET, "/metrics", &[], "").await;
    let line = text
        .lines()
        .find(|line| {
            line.rsplit_once(' ')
                .is_some_and(|(name, _)| name == series)
        })
        .unwrap_or_else(|| panic!("no series {series} in:\n{text}"));
    line.rsplit_once(' ').unwrap().1.parse().unwrap()
}

/// The ids of events, as strings.
pub(crate) fn ids(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.id().to_owned()).collect()
}

/// `"1"` through `"n"` offset by `from`.
pub(crate) fn numbered(from: u64, to: u64) -> Vec<String> {
    (from..=to).map(|n| n.to_string()).collect()
}
