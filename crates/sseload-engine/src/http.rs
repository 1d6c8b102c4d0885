//! Plain HTTP requests (login, publish), one HTTP/1.1 connection each, over
//! TLS for `https` with the plan's TLS options, timed like stream connects:
//! connect time (TCP and TLS), and response time from the request sent to
//! the response head.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;

use crate::record::ErrorKind;
use crate::render::Rendered;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A response and its timing.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
    pub(crate) connect_time: Duration,
    pub(crate) response_time: Duration,
}

/// Why a request got no response.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
}

fn fail(kind: ErrorKind, message: String) -> Failure {
    Failure { kind, message }
}

/// Sends `request` on a new connection; `tls` is used for `https` URLs.
pub(crate) async fn send(
    request: Rendered,
    tls: Arc<rustls::ClientConfig>,
) -> Result<Response, Failure> {
    let (authority, https) = authority(&request)?;
    let started = Instant::now();
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&authority))
        .await
        .map_err(|_| connect_timed_out(&authority))?
        .map_err(|e| {
            fail(
                ErrorKind::ConnectRefused,
                format!("cannot connect to {authority}: {e}"),
            )
        })?;
    let _ = tcp.set_nodelay(true);
    if !https {
        let connect_time = started.elapsed();
        return respond(tcp, request, &authority, connect_time).await;
    }
    let left = CONNECT_TIMEOUT.saturating_sub(started.elapsed());
    let tls = tokio::time::timeout(left, handshake(tcp, &request, &authority, tls))
        .await
        .map_err(|_| connect_timed_out(&authority))??;
    let connect_time = started.elapsed();
    respond(tls, request, &authority, connect_time).await
}

fn connect_timed_out(authority: &str) -> Failure {
    fail(
        ErrorKind::Timeout,
        format!("connecting to {authority} timed out"),
    )
}

/// The TLS handshake, verifying the server's name in the URL.
async fn handshake(
    tcp: TcpStream,
    request: &Rendered,
    authority: &str,
    tls: Arc<rustls::ClientConfig>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, Failure> {
    let refused = |e: String| {
        fail(
            ErrorKind::ConnectRefused,
            format!("TLS with {authority} failed: {e}"),
        )
    };
    let host = match request.url.host() {
        Some(url::Host::Domain(name)) => name.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => String::new(),
    };
    let name = ServerName::try_from(host).map_err(|e| refused(e.to_string()))?;
    TlsConnector::from(tls)
        .connect(name, tcp)
        .await
        .map_err(|e| refused(e.to_string()))
}

/// The exchange within the request timeout.
async fn respond<S>(
    io: S,
    request: Rendered,
    authority: &str,
    connect_time: Duration,
) -> Result<Response, Failure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::time::timeout(
        REQUEST_TIMEOUT,
        exchange(io, request, authority, connect_time),
    )
    .await
    .map_err(|_| {
        fail(
            ErrorKind::Timeout,
            format!("no response from {authority} within {REQUEST_TIMEOUT:?}"),
        )
    })?
}

/// `host:port` of the URL, and whether it is `https`.
fn authority(request: &Rendered) -> Result<(String, bool), Failure> {
    let https = match request.url.scheme() {
        "http" => false,
        "https" => true,
        other => {
            return Err(fail(
                ErrorKind::Step,
                format!(
                    "{}: HTTP steps speak http:// and https://, not {other}://",
                    request.url
                ),
            ));
        }
    };
    let host = request.url.host_str().unwrap_or_default();
    let port = request.url.port_or_known_default().unwrap_or(80);
    Ok((format!("{host}:{port}"), https))
}

async fn exchange<S>(
    io: S,
    request: Rendered,
    authority: &str,
    connect_time: Duration,
) -> Result<Response, Failure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let reset = |e: hyper::Error| {
        fail(
            ErrorKind::Reset,
            format!("HTTP error with {authority}: {e}"),
        )
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(reset)?;
    tokio::spawn(connection);
    let req = build(request, authority).map_err(|m| fail(ErrorKind::Step, m))?;
    let sent = Instant::now();
    let response = sender.send_request(req).await.map_err(reset)?;
    let response_time = sent.elapsed();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(reset)?
        .to_bytes();
    Ok(Response {
        status,
        headers,
        body,
        connect_time,
        response_time,
    })
}

fn build(request: Rendered, authority: &str) -> Result<http::Request<Full<Bytes>>, String> {
    let path = match request.url.query() {
        Some(q) => format!("{}?{q}", request.url.path()),
        None => request.url.path().to_owned(),
    };
    let mut builder = http::Request::builder()
        .method(request.method)
        .uri(path)
        .header(http::header::HOST, authority);
    for (name, value) in request.headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(request.body.unwrap_or_default()))
        .map_err(|e| format!("cannot build the request: {e}"))
}
