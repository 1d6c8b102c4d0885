//! Serving one connection, and connections handed in by the caller: any
//! byte stream (an in-memory pipe, a Unix socket, a socket accepted
//! elsewhere) served as one HTTP/1.1 connection by the same router, limits
//! and hub as [`Server::start`]. Event streams are served by the built-in
//! path ([`crate::h1`]), the rest by hyper.
//!
//! [`Server::connections`] starts the hub and its background tasks without a
//! listener; [`Connections::serve`] then serves one stream until it ends.
//! The fuzzer feeds raw request bytes through `tokio::io::duplex` this way.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use http::{HeaderValue, StatusCode, header};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use crate::error::ServerError;
use crate::hub::Hub;
use crate::respond::{self, Reply};
use crate::routes;
use crate::server::{Core, Phase, Server, Shared};

impl Server {
    /// Starts the hub, its heartbeat and its demo feeds without listening
    /// anywhere: connections are handed in with [`Connections::serve`].
    /// Must be called inside a Tokio runtime.
    ///
    /// # Errors
    ///
    /// [`ServerError::Storage`] when the data directory cannot be used or
    /// its log is damaged anywhere but in its last record.
    ///
    /// ```
    /// use sseload_server::{Demo, Server};
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let connections = Server::builder().demo(Demo::none()).build()?.connections()?;
    /// let (mut client, server_side) = tokio::io::duplex(4096);
    /// let serving = tokio::spawn(connections.serve(server_side));
    /// client.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await?;
    /// let mut response = String::new();
    /// client.read_to_string(&mut response).await?;
    /// assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
    /// assert!(response.ends_with("\r\n\r\nok\n"));
    /// serving.await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn connections(self) -> Result<Connections, ServerError> {
        let core = Core::start(self.config)?;
        Ok(Connections {
            shared: core.shared,
            _phase: core.phase,
            _drain: core.drain_rx,
        })
    }
}

/// A started hub that serves the connections it is handed. Dropping it
/// stops the background tasks and cuts the connections still being served.
#[derive(Debug)]
pub struct Connections {
    shared: Arc<Shared>,
    /// Dropped with `self`, which tells every task and connection to stop.
    _phase: watch::Sender<Phase>,
    _drain: mpsc::Receiver<()>,
}

impl Connections {
    /// The hub, to publish or close topics in-process.
    pub fn hub(&self) -> &Hub {
        &self.shared.hub
    }

    /// Serves `io` as one HTTP/1.1 connection until the peer closes it, an
    /// error ends it, or `self` is dropped. The connection counts against
    /// the connection limit while it is served.
    pub fn serve<T>(&self, io: T) -> impl Future<Output = ()> + Send + 'static
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        serve(io, None, Arc::clone(&self.shared))
    }
}

/// Counts an open connection for as long as it lives.
struct OpenConnection(Arc<Shared>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.counters.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves one connection: counted against the connection limit, refused
/// with 503s past it, cut when the server's grace period is over. `direct`
/// is the TCP socket under `io`, which the hub may write events to itself.
pub(crate) async fn serve<T>(io: T, direct: Option<Arc<TcpStream>>, shared: Arc<Shared>)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let open = shared.counters.connections.fetch_add(1, Ordering::Relaxed) + 1;
    let _open = OpenConnection(Arc::clone(&shared));
    if open > shared.config.max_connections as u64 {
        shared.counters.refused.fetch_add(1, Ordering::Relaxed);
        return Box::pin(serve_hyper(io, shared, true)).await;
    }
    let mut phase = shared.phase.clone();
    tokio::select! {
        () = crate::h1::serve(io, direct, shared) => {}
        () = crate::server::aborting(&mut phase) => {}
    }
}

/// Serves the rest of a connection with the router behind hyper's HTTP/1
/// state machine: a 503 for every request when `over_limit`, a graceful end
/// when the server stops.
pub(crate) async fn serve_hyper<T>(io: T, shared: Arc<Shared>, over_limit: bool)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut phase = shared.phase.clone();
    let service_shared = Arc::clone(&shared);
    let service = service_fn(move |request| {
        let shared = Arc::clone(&service_shared);
        async move {
            if over_limit {
                return Ok::<_, Infallible>(refuse(&shared));
            }
            Ok(routes::handle(shared, request).await)
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.header_timeout)
        .keep_alive(!over_limit);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = crate::server::stopping(&mut phase) => conn.as_mut().graceful_shutdown(),
    }
    tokio::select! {
        _ = conn.as_mut() => {}
        () = crate::server::aborting(&mut phase) => {}
    }
}

fn refuse(shared: &Shared) -> Reply {
    let limit = shared.config.max_connections;
    let mut reply = respond::error(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("too many connections (the limit is {limit})"),
    );
    let headers = reply.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    reply
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
    use tokio::task::JoinHandle;

    use super::*;
    use crate::{Demo, NewEvent, Token};

    /// Writes `request` and reads everything the server sends until it
    /// closes the connection. The client does not half-close first: hyper
    /// drops a request in flight when it sees the end of its input.
    async fn exchange(connections: &Connections, request: &[u8]) -> String {
        let (mut client, server_side) = tokio::io::duplex(1 << 16);
        let serving = tokio::spawn(connections.serve(server_side));
        client.write_all(request).await.unwrap();
        let response = read_all(&mut client).await;
        tokio::time::timeout(Duration::from_secs(5), serving)
            .await
            .expect("the connection ends with the response")
            .unwrap();
        response
    }

    /// Opens `GET /topics/news` over an in-memory pipe and reads the
    /// status line (`200 OK`): the stream is then being served.
    async fn open_stream(connections: &Connections) -> (DuplexStream, JoinHandle<()>) {
        let (mut client, server_side) = tokio::io::duplex(1 << 16);
        let serving = tokio::spawn(connections.serve(server_side));
        client
            .write_all(b"GET /topics/news HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut head = [0u8; 15];
        client.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200 OK");
        (client, serving)
    }

    async fn read_all(client: &mut DuplexStream) -> String {
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut out))
            .await
            .expect("the server closes the connection")
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    fn statuses(response: &str) -> Vec<&str> {
        response
            .match_indices("HTTP/1.1 ")
            .map(|(at, _)| &response[at + 9..at + 12])
            .collect()
    }

    fn hub_only() -> Server {
        Server::builder()
            .demo(Demo::none())
            .heartbeat(None)
            .publish_token(Some(Token::new("s3cret")))
            .max_body(64)
            .build()
            .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn pipelined_requests_are_answered_in_order() {
        let connections = hub_only().connections().unwrap();
        let request = concat!(
            "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n",
            "POST /topics/news HTTP/1.1\r\nhost: x\r\nauthorization: Bearer s3cret\r\n",
            "content-length: 12\r\n\r\n{\"data\":\"a\"}",
            "GET /nowhere HTTP/1.1\r\nhost: x\r\n\r\n",
            "DELETE /topics/news HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        );
        let response = exchange(&connections, request.as_bytes()).await;
        assert_eq!(statuses(&response), ["200", "200", "404", "401"]);
        assert!(response.contains(r#"{"ids":["1"]}"#), "{response}");
    }

    #[tokio::test(start_paused = true)]
    async fn bad_input_is_refused_with_a_client_error() {
        let connections = hub_only().connections().unwrap();
        let cases: [(&str, &str); 5] = [
            ("GET /topics/bad%20name HTTP/1.1\r\nhost: x\r\n\r\n", "400"),
            (
                "GET /topics/a?colour=red HTTP/1.1\r\nhost: x\r\n\r\n",
                "400",
            ),
            (
                "POST /topics/a HTTP/1.1\r\nhost: x\r\nauthorization: Bearer s3cret\r\ncontent-length: 65\r\n\r\n",
                "413",
            ),
            (
                "POST /topics/a HTTP/1.1\r\nhost: x\r\nauthorization: Bearer nope\r\ncontent-length: 2\r\n\r\n{}",
                "403",
            ),
            ("\x01\x02 garbage\r\n\r\n", "400"),
        ];
        for (request, status) in cases {
            let request = request.replacen("\r\n\r\n", "\r\nconnection: close\r\n\r\n", 1);
            let response = exchange(&connections, request.as_bytes()).await;
            assert_eq!(
                statuses(&response).first(),
                Some(&status),
                "{request:?}: {response}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_delivers_what_the_hub_publishes_and_ends_when_the_peer_leaves() {
        let connections = hub_only().connections().unwrap();
        let (mut client, serving) = open_stream(&connections).await;
        let ids = connections
            .hub()
            .publish("news", &[NewEvent::new("hello")])
            .unwrap();
        assert_eq!(ids, ["1"]);
        // The hub's delivery thread runs outside the paused clock: let it
        // queue the event before the timeout below can auto-advance.
        drop(connections.hub().settled());
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("data: hello\n\n") {
            let mut chunk = [0u8; 256];
            let n = tokio::time::timeout(Duration::from_secs(5), client.read(&mut chunk))
                .await
                .expect("the event arrives")
                .unwrap();
            assert!(n > 0, "the stream ended early");
            seen.extend_from_slice(&chunk[..n]);
        }
        client.shutdown().await.unwrap();
        let _ = read_all(&mut client).await;
        tokio::time::timeout(Duration::from_secs(5), serving)
            .await
            .expect("the connection ends after the peer closes")
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_connections_cuts_open_streams() {
        let connections = hub_only().connections().unwrap();
        let (_client, serving) = open_stream(&connections).await;
        drop(connections);
        tokio::time::timeout(Duration::from_secs(5), serving)
            .await
            .expect("the connection is cut")
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn connections_over_the_limit_are_refused() {
        let server = Server::builder()
            .demo(Demo::none())
            .max_connections(1)
            .build()
            .unwrap();
        let connections = server.connections().unwrap();
        let _first = open_stream(&connections).await;
        let response = exchange(&connections, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n").await;
        assert_eq!(statuses(&response), ["503"]);
        assert!(response.contains("too many connections (the limit is 1)"));
    }
}
