//! The bad-input matrix of the HTTP API: each class of bad request gets its
//! status and a JSON error naming the problem, checked exactly: a missing
//! or malformed token (401 with `WWW-Authenticate`), a wrong one (403), an
//! oversized body, declared or streamed (413), too many connections (503),
//! malformed topics, query parameters and ids (400), a wrong method (405
//! with `Allow`), an unknown path (404), and a request that is not HTTP (400).

use std::net::SocketAddr;

use http::{Method, StatusCode};
use sseload_server::Token;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Sse, call, quiet, start, within};

const PUBLISH: (&str, &str) = ("authorization", "Bearer pub-secret");
const SUBSCRIBE: (&str, &str) = ("authorization", "Bearer sub-secret");

/// A request (method, path, headers, body), then its status and error message.
type Case<'a> = (
    Method,
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a str,
    StatusCode,
    String,
);

/// Checks one request's status and exact body.
async fn expect(
    addr: SocketAddr,
    (method, path, headers, body): (Method, &str, &[(&str, &str)], &str),
    status: StatusCode,
    error: &str,
) {
    let (got, _, text) = call(addr, method.clone(), path, headers, body).await;
    let expected = format!(r#"{{"error":{}}}"#, serde_json::to_string(error).unwrap());
    assert_eq!(
        (got, text),
        (status, expected),
        "{method} {path} {headers:?}"
    );
}

/// Writes raw bytes on a new connection and reads the whole answer.
async fn raw(addr: SocketAddr, request: &[u8]) -> String {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request).await.unwrap();
    let mut response = Vec::new();
    within(tcp.read_to_end(&mut response)).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn missing_malformed_and_wrong_tokens() {
    let builder = quiet()
        .publish_token(Some(Token::new("pub-secret")))
        .subscribe_token(Some(Token::new("sub-secret")));
    let server = start(builder).await;
    let addr = server.local_addr();
    let body = r#"{"data":"x"}"#;
    let needs = |what: &str| format!("{what} needs an `Authorization: Bearer <token>` header");
    let cases: [Case<'_>; 9] = [
        (
            Method::GET,
            "/topics/t",
            &[],
            "",
            StatusCode::UNAUTHORIZED,
            needs("subscribing"),
        ),
        (
            Method::GET,
            "/topics/t",
            &[("authorization", "Basic c3ViLXNlY3JldA==")],
            "",
            StatusCode::UNAUTHORIZED,
            needs("subscribing"),
        ),
        (
            Method::GET,
            "/topics/t",
            &[("authorization", "Bearer ")],
            "",
            StatusCode::UNAUTHORIZED,
            needs("subscribing"),
        ),
        (
            Method::GET,
            "/topics/t",
            &[PUBLISH],
            "",
            StatusCode::FORBIDDEN,
            "invalid bearer token for subscribing".into(),
        ),
        (
            Method::POST,
            "/topics/t",
            &[],
            body,
            StatusCode::UNAUTHORIZED,
            needs("publishing"),
        ),
        (
            Method::POST,
            "/topics/t",
            &[SUBSCRIBE],
            body,
            StatusCode::FORBIDDEN,
            "invalid bearer token for publishing".into(),
        ),
        (
            Method::POST,
            "/topics/t",
            &[("authorization", "Bearer pub-secreT")],
            body,
            StatusCode::FORBIDDEN,
            "invalid bearer token for publishing".into(),
        ),
        (
            Method::DELETE,
            "/topics/t",
            &[],
            "",
            StatusCode::UNAUTHORIZED,
            needs("closing a topic"),
        ),
        (
            Method::DELETE,
            "/topics/t",
            &[SUBSCRIBE],
            "",
            StatusCode::FORBIDDEN,
            "invalid bearer token for closing a topic".into(),
        ),
    ];
    for (method, path, headers, body, status, error) in cases {
        expect(addr, (method, path, headers, body), status, &error).await;
    }
    let (status, headers, _) = call(addr, Method::GET, "/topics/t", &[], "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    // The right tokens pass, so the refusals above are the tokens' doing.
    assert_eq!(
        call(addr, Method::POST, "/topics/t", &[PUBLISH], body)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        Sse::open(addr, "/topics/t", &[SUBSCRIBE]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn oversized_bodies_declared_or_streamed() {
    let server = start(quiet().max_body(64)).await;
    let addr = server.local_addr();
    let big = format!(r#"{{"data":"{}"}}"#, "x".repeat(100));
    let too_large = "request body larger than 64 bytes";
    expect(
        addr,
        (Method::POST, "/topics/t", &[], &big),
        StatusCode::PAYLOAD_TOO_LARGE,
        too_large,
    )
    .await;
    // Chunked, with no length declared: refused once the limit is crossed.
    let chunked = format!(
        "POST /topics/t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    let response = raw(addr, chunked.as_bytes()).await;
    assert!(
        response.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
        "{response}"
    );
    assert!(
        response.ends_with(&format!(r#"{{"error":"{too_large}"}}"#)),
        "{response}"
    );
}

#[tokio::test]
async fn too_many_connections() {
    let server = start(quiet().max_connections(1)).await;
    let addr = server.local_addr();
    let _held = Sse::open(addr, "/topics/t", &[]).await;
    let (status, headers, text) = call(addr, Method::GET, "/healthz", &[], "").await;
    assert_eq!(
        (
            status,
            text.as_str(),
            headers["retry-after"].to_str().unwrap()
        ),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"too many connections (the limit is 1)"}"#,
            "1"
        )
    );
}

#[tokio::test]
async fn malformed_topics_queries_and_ids() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let long = "t".repeat(129);
    let long_path = format!("/topics/{long}");
    let invalid =
        |name: &str| format!("invalid topic name {name:?} (use 1 to 128 of A-Z a-z 0-9 - _ .)");
    let cases: [(Method, &str, &str, String); 9] = [
        (Method::GET, "/topics/bad!name", "", invalid("bad!name")),
        (Method::GET, "/topics/a,,b", "", invalid("")),
        (Method::GET, &long_path, "", invalid(&long)),
        (
            Method::POST,
            "/topics/no%20spaces",
            r#"{"data":"x"}"#,
            invalid("no%20spaces"),
        ),
        (Method::DELETE, "/topics/bad!", "", invalid("bad!")),
        (
            Method::GET,
            "/topics/t?x=1",
            "",
            "unknown query parameter `x`".into(),
        ),
        (
            Method::GET,
            "/topics/t?types=",
            "",
            "query parameter `types`: empty item in \"\"".into(),
        ),
        (
            Method::POST,
            "/topics/t",
            r#"{"data":"x","id":"1\r2"}"#,
            r#"events[0]: event id "1\r2" contains a line end"#.into(),
        ),
        (
            Method::POST,
            "/topics/t",
            "{\"data\":",
            "invalid JSON: EOF while parsing a value at line 1 column 8".into(),
        ),
    ];
    for (method, path, body, error) in cases {
        expect(
            addr,
            (method, path, &[], body),
            StatusCode::BAD_REQUEST,
            &error,
        )
        .await;
    }
    let not_ascii = raw(
        addr,
        b"GET /topics/t HTTP/1.1\r\nHost: x\r\nLast-Event-ID: caf\xc3\xa9\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        not_ascii.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{not_ascii}"
    );
    assert!(
        not_ascii.ends_with(r#"{"error":"Last-Event-ID: not visible ASCII"}"#),
        "{not_ascii}"
    );
}

#[tokio::test]
async fn wrong_methods_and_unknown_paths() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    for (method, path, allow) in [
        (Method::PUT, "/topics/t", "GET, POST, DELETE"),
        (Method::PATCH, "/topics/t", "GET, POST, DELETE"),
        (Method::POST, "/healthz", "GET"),
        (Method::DELETE, "/metrics", "GET"),
    ] {
        let (status, headers, text) = call(addr, method.clone(), path, &[], "").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(headers["allow"], allow, "{method} {path}");
        assert_eq!(
            text,
            format!(r#"{{"error":"method not allowed (allowed: {allow})"}}"#)
        );
    }
    for (method, path) in [
        (Method::GET, "/nope"),
        (Method::GET, "/topics"),
        (Method::GET, "/topics/a/b"),
        (Method::POST, "/v1/completions"),
    ] {
        let error = format!("no route for {method} {path}");
        expect(addr, (method, path, &[], ""), StatusCode::NOT_FOUND, &error).await;
    }
}

#[tokio::test]
async fn a_request_that_is_not_http() {
    let server = start(quiet()).await;
    let response = raw(server.local_addr(), b"NONSENSE\r\n\r\n").await;
    assert!(
        response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{response}"
    );
    assert!(response.contains("connection: close\r\n"), "{response}");
}
