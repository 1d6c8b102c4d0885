use http::{Method, StatusCode};
use sseload_server::Token;

use crate::support::{Sse, call, metric, post, quiet, start, within};

#[tokio::test]
async fn publishing_needs_the_publish_token() {
    let server = start(quiet().publish_token(Some(Token::new("pub-secret")))).await;
    let addr = server.local_addr();
    let body = r#"{"data":"x"}"#;
    let (status, headers, text) = call(addr, Method::POST, "/topics/t", &[], body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers["www-authenticate"], "Bearer");
    assert_eq!(
        text,
        r#"{"error":"publishing needs an `Authorization: Bearer <token>` header"}"#
    );
    let wrong = [("authorization", "Bearer pub-secreT")];
    let (status, _, text) = call(addr, Method::POST, "/topics/t", &wrong, body).await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::FORBIDDEN,
            r#"{"error":"invalid bearer token for publishing"}"#
        )
    );
    let basic = [("authorization", "Basic cHViLXNlY3JldA==")];
    assert_eq!(
        call(addr, Method::POST, "/topics/t", &basic, body).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, text) = call(addr, Method::DELETE, "/topics/t", &[], "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{text}");
    let right = [("authorization", "Bearer pub-secret")];
    assert_eq!(
        call(addr, Method::POST, "/topics/t", &right, body).await.0,
        StatusCode::OK
    );
    // Subscribing needs no token when only publishing is protected.
    assert_eq!(
        Sse::open(addr, "/topics/t", &[]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn subscribing_needs_the_subscribe_token() {
    let builder = quiet()
        .subscribe_token(Some(Token::new("sub-secret")))
        .publish_token(Some(Token::new("pub-secret")));
    let server = start(builder).await;
    let addr = server.local_addr();
    let (status, _, text) = call(addr, Method::GET, "/topics/t", &[], "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        text,
        r#"{"error":"subscribing needs an `Authorization: Bearer <token>` header"}"#
    );
    let publish_token = [("authorization", "Bearer pub-secret")];
    let (status, _, text) = call(addr, Method::GET, "/topics/t", &publish_token, "").await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::FORBIDDEN,
            r#"{"error":"invalid bearer token for subscribing"}"#
        )
    );
    let sse = Sse::open(addr, "/topics/t", &[("authorization", "Bearer sub-secret")]).await;
    assert_eq!(sse.status, StatusCode::OK);
    assert_eq!(
        format!("{:?}", Token::new("sub-secret")),
        "Token(<redacted>)"
    );
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413() {
    let server = start(quiet().max_body(64)).await;
    let addr = server.local_addr();
    let big = format!(r#"{{"data":"{}"}}"#, "x".repeat(100));
    let (status, text) = post(addr, "t", &big).await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            r#"{"error":"request body larger than 64 bytes"}"#
        )
    );
    assert_eq!(
        post(addr, "t", r#"{"data":"small"}"#).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn connections_over_the_limit_get_a_clean_503() {
    let server = start(quiet().max_connections(2)).await;
    let addr = server.local_addr();
    let _first = Sse::open(addr, "/topics/t", &[]).await;
    let _second = Sse::open(addr, "/topics/t", &[]).await;
    let (status, headers, text) = call(addr, Method::GET, "/healthz", &[], "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(text, r#"{"error":"too many connections (the limit is 2)"}"#);
    assert_eq!(
        (
            headers["retry-after"].to_str().unwrap(),
            headers["connection"].to_str().unwrap()
        ),
        ("1", "close")
    );
    drop(_first);
    // The refused connection and the dropped stream close; a new one is served again.
    within(async {
        loop {
            if call(addr, Method::GET, "/healthz", &[], "").await.0 == StatusCode::OK {
                return;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(metric(addr, "sseload_server_connections_refused_total").await >= 1);
}

#[tokio::test]
async fn each_bad_publish_body_gets_a_400_naming_the_problem() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let cases = [
        (
            "{\"data\":",
            r#"invalid JSON: EOF while parsing a value at line 1 column 8"#,
        ),
        (
            "\"text\"",
            "expected an event object or an array of them, got a string",
        ),
        ("[]", "the batch holds no events"),
        (r#"{"event":"x"}"#, "data: missing"),
        (
            r#"{"data":"x","event":["a"]}"#,
            "event: expected a string, got an array",
        ),
        (
            r#"{"data":"x","id":42}"#,
            "id: expected a string, got a number",
        ),
        (
            r#"[{"data":"ok"},{"data":"x","extra":1}]"#,
            "events[1].extra: unknown field (expected event, data, id)",
        ),
        (
            r#"[{"data":"ok"},7]"#,
            "events[1]: expected an event object, got a number",
        ),
        (
            r#"{"data":"x","event":"a\nb"}"#,
            r#"events[0]: event type \"a\\nb\" contains a line end"#,
        ),
        (
            r#"{"data":"x","id":"1\r2"}"#,
            r#"events[0]: event id \"1\\r2\" contains a line end"#,
        ),
        (
            r#"{"data":"x","id":"a\u0000"}"#,
            r#"events[0]: event id \"a\\0\" contains NUL, which parsers ignore"#,
        ),
        (r#"{"data":"x","id":""}"#, "events[0].id: must not be empty"),
    ];
    for (body, message) in cases {
        let (status, text) = post(addr, "t", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(text, format!(r#"{{"error":"{message}"}}"#), "{body}");
    }
    let (status, text) = post(addr, "no%20spaces", r#"{"data":"x"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("invalid topic name"), "{text}");
    // Nothing of a refused batch was published.
    assert_eq!(
        server
            .hub()
            .publish("t", &[sseload_server::NewEvent::new("x")])
            .unwrap(),
        ["1"]
    );
}

#[tokio::test]
async fn the_topic_limit_answers_503() {
    let server = start(quiet().max_topics(2)).await;
    let addr = server.local_addr();
    assert_eq!(post(addr, "one", r#"{"data":"x"}"#).await.0, StatusCode::OK);
    let _two = Sse::open(addr, "/topics/two", &[]).await;
    let (status, text) = post(addr, "three", r#"{"data":"x"}"#).await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"too many topics (the limit is 2)"}"#
        )
    );
    let (status, _, text) = call(addr, Method::GET, "/topics/three", &[], "").await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"too many topics (the limit is 2)"}"#
        )
    );
    assert_eq!(
        post(addr, "one", r#"{"data":"y"}"#).await.0,
        StatusCode::OK,
        "existing topics still work"
    );
    // Closing topics never seen records them closed: the same limit holds.
    let (status, _, text) = call(addr, Method::DELETE, "/topics/four", &[], "").await;
    assert_eq!(
        (status, text.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":"too many topics (the limit is 2)"}"#
        )
    );
    let (status, _, _) = call(addr, Method::DELETE, "/topics/one", &[], "").await;
    assert!(
        status.is_success(),
        "closing a known topic still works: {status}"
    );
}

#[tokio::test]
async fn a_last_event_id_that_is_not_ascii_gets_400() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = b"GET /topics/t HTTP/1.1\r\nHost: x\r\nLast-Event-ID: caf\xc3\xa9\r\nConnection: close\r\n\r\n";
    tokio::io::AsyncWriteExt::write_all(&mut tcp, request)
        .await
        .unwrap();
    let mut response = Vec::new();
    within(tokio::io::AsyncReadExt::read_to_end(
        &mut tcp,
        &mut response,
    ))
    .await
    .unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{response}"
    );
    assert!(
        response.ends_with(r#"{"error":"Last-Event-ID: not visible ASCII"}"#),
        "{response}"
    );
}

#[test]
fn invalid_settings_are_refused_by_build() {
    use std::time::Duration;

    use sseload_server::{ConfigError, Faults, Server};

    let zero = |name| ConfigError::ZeroCount { name };
    assert_eq!(
        Server::builder().queue(0).build().unwrap_err(),
        zero("queue")
    );
    assert_eq!(
        Server::builder().max_body(0).build().unwrap_err(),
        zero("max_body")
    );
    assert_eq!(
        Server::builder().max_connections(0).build().unwrap_err(),
        zero("max_connections")
    );
    assert_eq!(
        Server::builder().max_topics(0).build().unwrap_err(),
        zero("max_topics")
    );
    let heartbeat = Server::builder()
        .heartbeat(Some(Duration::ZERO))
        .build()
        .unwrap_err();
    assert_eq!(heartbeat.to_string(), "heartbeat must be longer than zero");
    let lifetime = Server::builder()
        .lifetime(Some(Duration::ZERO))
        .build()
        .unwrap_err();
    assert_eq!(lifetime, ConfigError::ZeroDuration { name: "lifetime" });
    let mut faults = Faults::default();
    faults.error_rate = f64::NAN;
    let rate = Server::builder().faults(faults).build().unwrap_err();
    assert_eq!(rate.to_string(), "error rate NaN is not between 0 and 1");
    let token = Server::builder()
        .publish_token(Some(Token::new("")))
        .build()
        .unwrap_err();
    assert_eq!(token.to_string(), "the publish token is empty");
}
