use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::Value;
use sseload_server::{Demo, Server};
use tokio::time::Instant;

use crate::support::{Ending, PAUSED_DEADLINE, Sse, call, start};

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

#[tokio::test(start_paused = true)]
async fn the_chat_feed_streams_deltas_then_done() {
    let server = start(demo_server()).await;
    let body = r#"{"model":"m2","messages":[{"role":"user","content":"Say something"}],"max_tokens":5,"stream":true}"#;
    let started = Instant::now();
    let path = "/v1/chat/completions?ttft_ms=400&itl_ms=30";
    let mut sse = Sse::request(server.local_addr(), Method::POST, path, &[], body.into()).await;
    assert_eq!(
        sse.header("content-type"),
        "text/event-stream; charset=utf-8"
    );
    let first = paused(sse.next_event()).await;
    assert!(started.elapsed() >= Duration::from_millis(400));
    let (rest, ending) = paused(sse.rest()).await;
    assert_eq!(ending, Ending::Clean);
    assert!(started.elapsed() >= Duration::from_millis(400 + 5 * 30));
    let chunks: Vec<_> = std::iter::once(&first).chain(&rest).collect();
    assert_eq!(chunks.len(), 7, "5 tokens, the final chunk, [DONE]");
    assert_eq!(chunks[6].data(), "[DONE]");
    let chunks: Vec<Value> = chunks[..6].iter().map(|c| json(c.data())).collect();
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, " Server-Sent Events stream text");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(
        chunks[1..]
            .iter()
            .all(|c| c["choices"][0]["delta"].get("role").is_none())
    );
    let last = &chunks[5];
    assert_eq!(
        (
            &last["choices"][0]["delta"],
            last["choices"][0]["finish_reason"].as_str(),
            last["model"].as_str()
        ),
        (&serde_json::json!({}), Some("length"), Some("m2"))
    );
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert!(chunk["ts"].is_u64(), "{chunk}");
        assert!(
            chunk["id"].as_str().unwrap().starts_with("chatcmpl-"),
            "{chunk}"
        );
        assert_eq!(chunk["id"], chunks[0]["id"]);
    }
}

#[tokio::test(start_paused = true)]
async fn the_chat_feed_takes_the_server_pacing_and_the_fault_knobs() {
    let mut demo = Demo::default();
    demo.time_to_first_token = Duration::from_secs(2);
    demo.inter_token = Duration::from_secs(1);
    let server = start(demo_server().demo(demo)).await;
    let body = r#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":8,"stream":true}"#;
    let started = Instant::now();
    let path = "/v1/chat/completions?drop_after=3";
    let mut sse = Sse::request(server.local_addr(), Method::POST, path, &[], body.into()).await;
    let (got, ending) = paused(sse.rest()).await;
    assert_eq!((got.len(), ending), (3, Ending::Cut));
    assert!(started.elapsed() >= Duration::from_secs(2 + 2));
    assert_eq!(json(got[0].data())["model"], "sseload-demo");

    let (status, _, _) = call(
        server.local_addr(),
        Method::POST,
        "/v1/chat/completions?error_rate=1&error_status=500",
        &[],
        body,
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn the_chat_feed_refuses_bad_requests() {
    let server = start(demo_server()).await;
    let addr = server.local_addr();
    let cases = [
        (
            r#"{"messages":[{"role":"user","content":"hi"}]}"#,
            "stream: only `\\\"stream\\\": true` is supported",
        ),
        (r#"{"stream":true}"#, "messages: required"),
        (
            r#"{"stream":true,"messages":[{"role":"user","content":"hi"},{"role":"bot","content":"x"}]}"#,
            "messages[1].role: expected one of system, developer, user, assistant, tool, got \\\"bot\\\"",
        ),
        (
            r#"{"stream":true,"messages":[{"role":"user","content":false}]}"#,
            "messages[0].content: expected a string or an array of content parts, got false",
        ),
        (
            r#"{"stream":true,"messages":[{"role":"user","content":"hi"}],"max_tokens":0}"#,
            "max_tokens: expected a whole number from 1 to 4096, got 0",
        ),
        (
            r#"{"stream":true,"messages":[{"role":"user","content":"hi"}],"model":1}"#,
            "model: expected a string",
        ),
    ];
    for (body, message) in cases {
        let (status, _, text) = call(addr, Method::POST, "/v1/chat/completions", &[], body).await;
        assert_eq!(
            (status, text),
            (
                StatusCode::BAD_REQUEST,
                format!(r#"{{"error":"{message}"}}"#)
            )
        );
    }
    let (status, headers, _) = call(addr, Method::GET, "/v1/chat/completions", &[], "").await;
    assert_eq!(
        (status, headers["allow"].to_str().unwrap()),
        (StatusCode::METHOD_NOT_ALLOWED, "POST")
    );
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
