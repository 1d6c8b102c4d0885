use http::{HeaderMap, Method, StatusCode};
use sseload_server::{ConfigError, CorsOrigin, Demo};

use crate::support::{Sse, call, quiet, start, within};

const PAGE_ORIGIN: &str = "http://page.example:8000";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

fn preflight_headers(method: &'static str) -> [(&'static str, &'static str); 3] {
    [
        ("origin", PAGE_ORIGIN),
        ("access-control-request-method", method),
        (
            "access-control-request-headers",
            "authorization,content-type,last-event-id",
        ),
    ]
}

#[tokio::test]
async fn an_allowed_origin_may_read_streams_replies_and_errors() {
    let origin = CorsOrigin::new(PAGE_ORIGIN);
    let server = start(quiet().cors_origin(Some(origin))).await;
    let addr = server.local_addr();
    let from_page = [("origin", PAGE_ORIGIN)];

    let (status, headers, _) = call(
        addr,
        Method::POST,
        "/topics/t",
        &from_page,
        r#"{"data":"a"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "access-control-allow-origin"), PAGE_ORIGIN);
    assert_eq!(header(&headers, "access-control-allow-credentials"), "true");

    let mut sse = Sse::open(
        addr,
        "/topics/t",
        &[("origin", PAGE_ORIGIN), ("last-event-id", "0")],
    )
    .await;
    assert_eq!(sse.header("access-control-allow-origin"), PAGE_ORIGIN);
    assert_eq!(within(sse.next_event()).await.data(), "a");

    let (status, headers, _) = call(addr, Method::GET, "/nowhere", &from_page, "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&headers, "access-control-allow-origin"), PAGE_ORIGIN);
}

#[tokio::test]
async fn preflights_name_the_methods_and_headers_of_each_route() {
    let builder = quiet()
        .demo(Demo::default())
        .cors_origin(Some(CorsOrigin::Any));
    let server = start(builder).await;
    let addr = server.local_addr();
    let routes = [
        ("/topics/news", "POST", "GET, POST, DELETE"),
        ("/v1/completions", "POST", "POST"),
        ("/v1/chat/completions", "POST", "POST"),
        ("/clock", "GET", "GET"),
    ];
    for (path, method, allowed) in routes {
        let (status, headers, body) =
            call(addr, Method::OPTIONS, path, &preflight_headers(method), "").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::NO_CONTENT, ""),
            "{path}"
        );
        assert_eq!(
            header(&headers, "access-control-allow-origin"),
            "*",
            "{path}"
        );
        assert_eq!(
            header(&headers, "access-control-allow-methods"),
            allowed,
            "{path}"
        );
        assert_eq!(
            header(&headers, "access-control-allow-headers"),
            "Authorization, Content-Type, Last-Event-ID, Cache-Control",
            "{path}"
        );
        assert_eq!(header(&headers, "access-control-max-age"), "600");
        // `*` cannot be combined with credentials.
        assert!(headers.get("access-control-allow-credentials").is_none());
    }
    let (status, headers, _) = call(
        addr,
        Method::OPTIONS,
        "/nowhere",
        &preflight_headers("GET"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");
}

#[tokio::test]
async fn without_cors_nothing_is_allowed_across_origins() {
    let server = start(quiet()).await;
    let addr = server.local_addr();
    let (status, headers, _) = call(
        addr,
        Method::OPTIONS,
        "/topics/news",
        &preflight_headers("POST"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(headers.get("access-control-allow-origin").is_none());
    let (_, headers, _) = call(
        addr,
        Method::GET,
        "/healthz",
        &[("origin", PAGE_ORIGIN)],
        "",
    )
    .await;
    assert!(headers.get("access-control-allow-origin").is_none());
}

#[test]
fn a_malformed_origin_is_refused() {
    let err = quiet()
        .cors_origin(Some(CorsOrigin::new("page.example/app")))
        .build()
        .unwrap_err();
    assert_eq!(err, ConfigError::CorsOrigin("page.example/app".to_owned()));
    assert_eq!(
        err.to_string(),
        "invalid CORS origin \"page.example/app\" (expected * or scheme://host[:port], like https://app.example.com)"
    );
}
