//! A small HTTP/2 server on hyper that serves one event-stream body to every request.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// What the server saw of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The request method.
    pub method: String,
    /// The request URI, as the server saw it (scheme, authority and path for HTTP/2).
    pub uri: String,
    /// The HTTP version, as `Debug` prints it (`HTTP/2.0`).
    pub version: String,
    /// The headers, names lowercase, in order.
    pub headers: Vec<(String, String)>,
}

type Requests = Arc<Mutex<Vec<RecordedRequest>>>;

/// An HTTP/2-only server on `127.0.0.1:0`: every request gets `200`,
/// `content-type: text/event-stream` and the same body, then the body ends.
///
/// The server stops when the value is dropped.
#[derive(Debug)]
pub struct H2Peer {
    addr: SocketAddr,
    requests: Requests,
    task: JoinHandle<()>,
}

impl H2Peer {
    /// Starts a prior-knowledge (cleartext) HTTP/2 server.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound.
    pub async fn start(body: &'static str) -> Self {
        Self::spawn(body, None).await
    }

    /// Starts an HTTP/2 server over TLS; `config` should offer ALPN `h2`.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound.
    pub async fn start_tls(body: &'static str, config: Arc<rustls::ServerConfig>) -> Self {
        Self::spawn(body, Some(TlsAcceptor::from(config))).await
    }

    async fn spawn(body: &'static str, tls: Option<TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("local address of the listener");
        let requests = Requests::default();
        let task = tokio::spawn(accept_loop(listener, tls, Arc::clone(&requests), body));
        Self {
            addr,
            requests,
            task,
        }
    }

    /// `SCHEME://127.0.0.1:PORT` followed by `path`, for the given scheme.
    pub fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.addr)
    }

    /// The requests served so far.
    ///
    /// # Panics
    ///
    /// If a connection task panicked while holding the record.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("request record").clone()
    }
}

impl Drop for H2Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    requests: Requests,
    body: &'static str,
) {
    while let Ok((tcp, _)) = listener.accept().await {
        let _ = tcp.set_nodelay(true);
        let requests = Arc::clone(&requests);
        match &tls {
            None => drop(tokio::spawn(serve(tcp, requests, body))),
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                drop(tokio::spawn(async move {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        serve(stream, requests, body).await;
                    }
                }));
            }
        }
    }
}

async fn serve<S>(io: S, requests: Requests, body: &'static str)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
        requests
            .lock()
            .expect("request record")
            .push(record(&request));
        let response = hyper::Response::builder()
            .header("content-type", "text/event-stream")
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .expect("a valid response");
        async move { Ok::<_, Infallible>(response) }
    });
    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), service)
        .await;
}

fn record(request: &hyper::Request<hyper::body::Incoming>) -> RecordedRequest {
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    RecordedRequest {
        method: request.method().as_str().to_owned(),
        uri: request.uri().to_string(),
        version: format!("{:?}", request.version()),
        headers,
    }
}
