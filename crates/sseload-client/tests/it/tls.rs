use http::Version;
use sseload_client::{Error, HttpVersion, Item, Reconnect, Request};
use sseload_test::{Exchange, H2Peer, Peer, Script, SelfSigned};

use crate::support::{SSE_OK, builder, error, event, get, opened};

const BODY: &str = "id: 1\ndata: secure\n\n";

#[tokio::test]
async fn a_self_signed_certificate_is_refused_by_default() {
    let cert = SelfSigned::generate();
    let peer = Peer::start_tls(
        Script::new().exchange(Exchange::tls_refused()),
        cert.server_config(&[]),
    )
    .await;
    let client = builder().reconnect(Reconnect::Never).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.https_url("/")).unwrap());

    let err = error(&mut stream).await;
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("certificate"), "{err}");
    peer.finish().await;
}

#[tokio::test]
async fn an_extra_ca_makes_the_certificate_trusted() {
    let cert = SelfSigned::generate();
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send(SSE_OK)
            .send(BODY)
            .hold(),
    );
    let peer = Peer::start_tls(script, cert.server_config(&[b"http/1.1"])).await;
    let client = builder()
        .add_root_certificates_pem(cert.cert_pem())
        .build()
        .unwrap();
    let mut stream = client.stream(Request::get(&peer.https_url("/")).unwrap());

    assert_eq!(opened(&mut stream).await.version, Version::HTTP_11);
    assert_eq!(event(&mut stream).await.1, "secure");
    drop(stream);
    peer.finish().await;
}

#[tokio::test]
async fn an_extra_ca_file_is_read_at_build() {
    let cert = SelfSigned::generate();
    let path = std::env::temp_dir().join(format!("sseload-client-ca-{}.pem", std::process::id()));
    std::fs::write(&path, cert.cert_pem()).unwrap();
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send(SSE_OK)
            .send(BODY)
            .hold(),
    );
    let peer = Peer::start_tls(script, cert.server_config(&[])).await;
    let client = builder().add_root_certificates_file(&path).build().unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut stream = client.stream(Request::get(&peer.https_url("/")).unwrap());

    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "secure");
    drop(stream);
    peer.finish().await;
}

#[tokio::test]
async fn accepting_invalid_certificates_is_explicit() {
    let cert = SelfSigned::generate();
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send(SSE_OK)
            .send(BODY)
            .hold(),
    );
    let peer = Peer::start_tls(script, cert.server_config(&[])).await;
    let client = builder().danger_accept_invalid_certs(true).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.https_url("/")).unwrap());

    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "secure");
    drop(stream);
    peer.finish().await;
}

#[test]
fn unusable_ca_files_are_clear_errors() {
    let missing = std::env::temp_dir().join("sseload-client-no-such-ca.pem");
    let err = builder()
        .add_root_certificates_file(&missing)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "cannot load CA certificates from {}: ",
            missing.display()
        )),
        "{err}"
    );

    let err = builder()
        .add_root_certificates_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::CaFile { reason, .. } if reason == "no certificate found"),
        "{err:?}"
    );
}

#[tokio::test]
async fn http2_with_prior_knowledge() {
    let peer = H2Peer::start(BODY).await;
    let client = builder()
        .http_version(HttpVersion::Http2PriorKnowledge)
        .build()
        .unwrap();
    let mut stream = client.stream(Request::get(&peer.url("http", "/h2?q=1")).unwrap());

    assert_eq!(opened(&mut stream).await.version, Version::HTTP_2);
    assert_eq!(
        event(&mut stream).await,
        ("message".into(), "secure".into(), "1".into())
    );
    drop(stream);
    let requests = peer.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].version.as_str()),
        ("GET", "HTTP/2.0")
    );
    assert_eq!(requests[0].uri, peer.url("http", "/h2?q=1"));
    let headers: Vec<_> = requests[0]
        .headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect();
    assert_eq!(
        headers,
        ["accept: text/event-stream", "cache-control: no-cache"]
    );
}

#[tokio::test]
async fn http2_reconnects_with_last_event_id() {
    let peer = H2Peer::start(BODY).await;
    let client = builder()
        .http_version(HttpVersion::Http2PriorKnowledge)
        .default_retry(std::time::Duration::from_millis(10))
        .build()
        .unwrap();
    let mut stream = client.stream(Request::get(&peer.url("http", "/")).unwrap());

    for _ in 0..2 {
        opened(&mut stream).await;
        event(&mut stream).await;
        assert!(matches!(
            crate::support::next(&mut stream).await,
            Item::Reconnecting(_)
        ));
    }
    drop(stream);
    let requests = peer.requests();
    let last_ids: Vec<_> = requests
        .iter()
        .map(|r| {
            r.headers
                .iter()
                .find(|(n, _)| n == "last-event-id")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(last_ids[..2], [None, Some("1".to_owned())]);
}

#[tokio::test]
async fn alpn_picks_http2_over_tls() {
    let cert = SelfSigned::generate();
    let peer = H2Peer::start_tls(BODY, cert.server_config(&[b"h2", b"http/1.1"])).await;
    let client = builder()
        .add_root_certificates_pem(cert.cert_pem())
        .build()
        .unwrap();
    let mut stream = client.stream(Request::get(&peer.url("https", "/")).unwrap());

    assert_eq!(opened(&mut stream).await.version, Version::HTTP_2);
    assert_eq!(event(&mut stream).await.1, "secure");
}

/// A TLS handshake with `config` against a listener presenting `cert`.
async fn handshake(
    config: std::sync::Arc<rustls::ClientConfig>,
    cert: &SelfSigned,
) -> std::io::Result<Option<Vec<u8>>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(cert.server_config(&[b"h2", b"http/1.1"]));
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        acceptor.accept(tcp).await.map(drop)
    });
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await;
    let _ = server.await;
    Ok(tls?.get_ref().1.alpn_protocol().map(<[u8]>::to_vec))
}

#[tokio::test]
async fn the_tls_config_carries_the_builders_trust_and_http_versions() {
    let cert = SelfSigned::generate();
    let trusting = builder()
        .http_version(HttpVersion::Http1)
        .add_root_certificates_pem(cert.cert_pem());
    let config = trusting.tls_config().unwrap();
    assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
    let alpn = handshake(config, &cert).await.unwrap();
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));

    let accepting = builder().danger_accept_invalid_certs(true);
    let alpn = handshake(accepting.tls_config().unwrap(), &cert)
        .await
        .unwrap();
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));

    let err = handshake(builder().tls_config().unwrap(), &cert)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
}
