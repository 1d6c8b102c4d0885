//! `http` steps against an https base URL, with the plan's TLS options.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sseload_engine::{Engine, ErrorKind, Options, Report};
use sseload_test::SelfSigned;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::support::{metric, name};

/// An HTTPS (HTTP/1.1) server presenting `cert`: every request gets
/// `{"token":"t-1"}`. Returns its address and the count of requests served.
async fn https_server(cert: &SelfSigned) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(cert.server_config(&[b"http/1.1"]));
    let served = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&served);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, count) = (acceptor.clone(), Arc::clone(&count));
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |_request| {
                    count.fetch_add(1, Ordering::SeqCst);
                    let body = Full::new(Bytes::from_static(br#"{"token":"t-1"}"#));
                    async move { Ok::<_, Infallible>(hyper::Response::new(body)) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, served)
}

/// Runs one `login` step against `https://addr` with `tls` as the plan's TLS options.
async fn login(addr: SocketAddr, tls: &str) -> Report {
    let text = format!(
        r#"
target: {{ base_url: "https://{addr}" }}
http: {{ tls: {tls} }}
scenarios:
  - name: s
    load: [ {{ at_once_users: 1 }} ]
    steps:
      - http:
          name: login
          method: POST
          url: /login
          body: {{ json: {{ user: u }} }}
          checks: [ {{ status: 200 }}, {{ json_path: "$.token", is: t-1 }} ]
"#
    );
    let plan = sseload_scenario::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::start(plan, Options::default()).await.unwrap();
    tokio::time::timeout(Duration::from_secs(60), engine.run(None))
        .await
        .expect("the run ends by itself")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_step_trusts_the_plans_extra_ca_file() {
    let cert = SelfSigned::generate();
    let (addr, served) = https_server(&cert).await;
    let ca = std::env::temp_dir().join(format!("sseload-engine-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, cert.cert_pem()).unwrap();
    let report = login(addr, &format!("{{ ca_file: {:?} }}", ca.to_str().unwrap())).await;
    let _ = std::fs::remove_file(&ca);
    let login = name(&report, "login");
    assert_eq!(
        (login.counts.ok, login.counts.ko),
        (1, 0),
        "{:?}",
        report.errors
    );
    assert_eq!(served.load(Ordering::SeqCst), 1);
    assert_eq!(metric(login, "connect_time").count, 1);
    assert_eq!(metric(login, "response_time").count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_step_accepts_a_self_signed_certificate_when_told_to() {
    let cert = SelfSigned::generate();
    let (addr, served) = https_server(&cert).await;
    let report = login(addr, "{ accept_invalid_certs: true }").await;
    let login = name(&report, "login");
    assert_eq!(
        (login.counts.ok, login.counts.ko),
        (1, 0),
        "{:?}",
        report.errors
    );
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_step_refuses_an_untrusted_certificate() {
    let cert = SelfSigned::generate();
    let (addr, served) = https_server(&cert).await;
    let report = login(addr, "{ accept_invalid_certs: false }").await;
    let login = name(&report, "login");
    assert_eq!((login.counts.ok, login.counts.ko), (0, 1));
    let error = report.errors.iter().find(|e| e.name == "login").unwrap();
    assert_eq!(error.kind, ErrorKind::ConnectRefused);
    assert!(error.message.contains("certificate"), "{}", error.message);
    assert_eq!(served.load(Ordering::SeqCst), 0);
}
