use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::Version;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use sseload_client::{HttpVersion, Item, Request};
use sseload_test::SelfSigned;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::support::{builder, next, opened};

/// How long the peer waits, after reading the whole request, before it answers.
const DELAY: Duration = Duration::from_millis(50);

/// A hyper server on `127.0.0.1:0` that answers every request, `DELAY` after
/// reading it, with one event; HTTP/2 when `h2`, TLS when `tls` is given.
async fn delayed_peer(h2: bool, tls: Option<TlsAcceptor>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    None => serve(tcp, h2).await,
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(tcp).await {
                            serve(stream, h2).await;
                        }
                    }
                }
            });
        }
    });
    format!("{scheme}://{addr}/")
}

async fn serve<S>(io: S, h2: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(
        |request: hyper::Request<hyper::body::Incoming>| async move {
            // The whole request (head and body) has been read: now the delay.
            http_body_util::BodyExt::collect(request.into_body())
                .await
                .unwrap();
            tokio::time::sleep(DELAY).await;
            let response = hyper::Response::builder()
                .header("content-type", "text/event-stream")
                .body(Full::new(Bytes::from_static(b"data: x\n\n")))
                .unwrap();
            Ok::<_, Infallible>(response)
        },
    );
    let io = TokioIo::new(io);
    let _ = if h2 {
        hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, service)
            .await
    } else {
        hyper::server::conn::http1::Builder::new()
            .serve_connection(io, service)
            .await
    };
}

/// Opens one stream (a POST with a body, so HTTP/2 sends DATA after HEADERS)
/// and checks the timing points against the peer's delay.
async fn assert_timed_from_the_request(
    url: &str,
    client: sseload_client::Client,
    version: Version,
) {
    let request = Request::new(http::Method::POST, url)
        .unwrap()
        .body(r#"{"prompt":"hi"}"#);
    let mut stream = client.stream(request);
    let opened = opened(&mut stream).await;
    assert_eq!(opened.version, version);
    let t = opened.timing;
    assert!(t.connected <= t.request_written, "{t:?}");
    assert!(t.request_written < t.headers_received, "{t:?}");
    let response_time = t.headers_received - t.request_written;
    assert!(response_time >= DELAY, "response time {response_time:?}");
    let Item::Event { at, .. } = next(&mut stream).await else {
        panic!("an event")
    };
    let first_event = at - t.request_written;
    assert!(first_event >= DELAY, "time to first event {first_event:?}");
}

#[tokio::test]
async fn http1_response_time_runs_from_the_request_written_to_the_head() {
    let url = delayed_peer(false, None).await;
    let client = builder().build().unwrap();
    assert_timed_from_the_request(&url, client, Version::HTTP_11).await;
}

#[tokio::test]
async fn http2_response_time_runs_from_the_request_frames_not_a_settings_ack() {
    let url = delayed_peer(true, None).await;
    let client = builder()
        .http_version(HttpVersion::Http2PriorKnowledge)
        .build()
        .unwrap();
    assert_timed_from_the_request(&url, client, Version::HTTP_2).await;
}

#[tokio::test]
async fn tls_response_time_runs_from_the_request_leaving_the_tls_layer() {
    let cert = SelfSigned::generate();
    for (alpn, h2, version) in [
        (&b"http/1.1"[..], false, Version::HTTP_11),
        (&b"h2"[..], true, Version::HTTP_2),
    ] {
        let acceptor = TlsAcceptor::from(cert.server_config(&[alpn]));
        let url = delayed_peer(h2, Some(acceptor)).await;
        let client = builder()
            .add_root_certificates_pem(cert.cert_pem())
            .build()
            .unwrap();
        assert_timed_from_the_request(&url, client, version).await;
    }
}
