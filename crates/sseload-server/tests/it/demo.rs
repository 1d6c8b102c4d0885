use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::Value;
use sseload_server::{Demo, Server};
use tokio::time::Instant;

use crate::support::{PAUSED_DEADLINE, Sse, call, start};

async fn paused<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PAUSED_DEADLINE, future)
        .await
        .expect("deadline passed")
}

fn demo_server() -> sseload_server::ServerBuilder {
    Server::builder()
        .heartbeat(None)
        .retry(None)
        .header_timeout(None)
        .demo(Demo::default())
}

fn json(data: &str) -> Value {
    serde_json::from_str(data).unwrap_or_else(|err| panic!("{err}: {data}"))
}

#[tokio::test(start_paused = true)]
async fn stocks_send_a_snapshot_then_prices() {
    let server = start(demo_server()).await;
    let mut sse = Sse::open(server.local_addr(), "/stocks/prices", &[]).await;
    let snapshot = paused(sse.next_event()).await;
    assert_eq!(snapshot.event_type(), "snapshot");
    let prices = json(snapshot.data());
    let symbols: Vec<_> = prices
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["symbol"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        symbols,
        [
            "AAPL", "AMZN", "GOOG", "META", "MSFT", "NFLX", "NVDA", "TSLA"
        ]
    );
    assert!(prices[0]["price"].as_f64().unwrap() > 0.0 && prices[0]["ts"].as_u64().unwrap() > 0);
    for _ in 0..5 {
        let price = paused(sse.next_event()).await;
        assert_eq!(price.event_type(), "price");
        let data = json(price.data());
        assert!(
            data["symbol"].is_string() && data["price"].is_number() && data["ts"].is_u64(),
            "{data}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn stocks_filter_by_symbol() {
    let server = start(demo_server()).await;
    let addr = server.local_addr();
    let mut sse = Sse::open(addr, "/stocks/prices?symbols=nvda,AAPL", &[]).await;
    let snapshot = json(paused(sse.next_event()).await.data());
    assert_eq!(snapshot.as_array().unwrap().len(), 2);
    for _ in 0..6 {
        let data = json(paused(sse.next_event()).await.data());
        assert!(
            matches!(data["symbol"].as_str(), Some("NVDA" | "AAPL")),
            "{data}"
        );
    }
    let (status, _, body) = call(addr, Method::GET, "/stocks/prices?symbols=ACME", &[], "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains(
            r#"unknown symbol \"ACME\" (known: AAPL,AMZN,GOOG,META,MSFT,NFLX,NVDA,TSLA)"#
        ),
        "{body}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_clock_ticks_once_a_second() {
    let server = start(demo_server()).await;
    let opened_at = Instant::now();
    let mut sse = Sse::open(server.local_addr(), "/clock", &[]).await;
    let events = paused(sse.events(3)).await;
    assert!(opened_at.elapsed() >= Duration::from_secs(3));
    for event in &events {
        assert_eq!(event.event_type(), "timestamp");
        let data = json(event.data());
        let time = data["time"].as_str().unwrap();
        assert!(
            time.len() == 24 && time.ends_with('Z') && data["ts"].is_u64(),
            "{data}"
        );
    }
    let first: u64 = events[0].id().parse().unwrap();
    assert!(
        events
            .iter()
            .skip(1)
            .all(|e| e.id().parse::<u64>().unwrap() > first)
    );
}

#[tokio::test(start_paused = true)]
async fn the_llm_feed_streams_chunks_then_done() {
    let server = start(demo_server()).await;
    let body = r#"{"model":"m1","prompt":"Say something","max_tokens":5,"stream":true}"#;
    let started = Instant::now();
    let path = "/v1/completions?ttft_ms=400&itl_ms=30";
    let mut sse = Sse::request(server.local_addr(), Method::POST, path, &[], body.into()).await;
    assert_eq!(
        sse.header("content-type"),
        "text/event-stream; charset=utf-8"
    );
    let first = paused(sse.next_event()).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    let (rest, _) = paused(sse.rest()).await;
    assert!(started.elapsed() >= Duration::from_millis(400 + 5 * 30));
    let chunks: Vec<_> = std::iter::once(&first).chain(&rest).collect();
    assert_eq!(chunks.len(), 7, "5 tokens, the final chunk, [DONE]");
    assert_eq!(chunks[6].data(), "[DONE]");
    let text: String = chunks[..6]
        .iter()
        .map(|c| {
            json(c.data())["choices"][0]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(text, " Server-Sent Events stream text");
    let last = json(chunks[5].data());
    assert_eq!(
        (
            last["choices"][0]["finish_reason"].as_str(),
            last["model"].as_str()
        ),
        (Some("length"), Some("m1"))
    );
    assert_eq!(json(chunks[0].data())["object"], "text_completion");
    assert!(json(chunks[0].data())["ts"].is_u64());
}

#[tokio::test]
async fn the_llm_feed_refuses_bad_requests() {
    let server = start(demo_server()).await;
    let addr = server.local_addr();
    let cases = [
        (
            r#"{"prompt":"hi","stream":false}"#,
            "stream: only `\\\"stream\\\": true` is supported",
        ),
        (
            r#"{"prompt":"hi","stream":true,"max_tokens":-1}"#,
            "max_tokens: expected a whole number from 1 to 4096, got -1",
        ),
        (
            "not json",
            "invalid JSON: expected ident at line 1 column 2",
        ),
    ];
    for (body, message) in cases {
        let (status, _, text) = call(addr, Method::POST, "/v1/completions", &[], body).await;
        assert_eq!(
            (status, text),
            (
                StatusCode::BAD_REQUEST,
                format!(r#"{{"error":"{message}"}}"#)
            )
        );
    }
}

#[tokio::test]
async fn disabled_feeds_are_not_served_and_the_page_is() {
    let server = start(crate::support::quiet()).await;
    let addr = server.local_addr();
    assert_eq!(
        call(addr, Method::GET, "/clock", &[], "").await.0,
        StatusCode::NOT_FOUND
    );
    let (status, headers, page) = call(addr, Method::GET, "/", &[], "").await;
    assert_eq!(
        (status, headers["content-type"].to_str().unwrap()),
        (StatusCode::OK, "text/html; charset=utf-8")
    );
    assert!(page.contains("new EventSource(src)"));
}
