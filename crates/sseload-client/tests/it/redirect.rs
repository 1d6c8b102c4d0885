use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method};
use sseload_client::{Closed, Error, Item, Request};
use sseload_test::{Exchange, Peer, Script};

use crate::support::{SSE_OK, builder, client, error, event, get, next, opened, reconnecting};

/// A redirect of a GET is followed, and later reconnects go to the final URL.
async fn follows(status: &str) {
    let head = format!("HTTP/1.1 {status}\r\nlocation: /new?x=1\r\ncontent-length: 0\r\n\r\n");
    let script = Script::new()
        .exchange(Exchange::expect(get("/old", "")).send(head))
        .exchange(
            Exchange::expect(get("/new?x=1", ""))
                .send(SSE_OK)
                .send("id: 5\ndata: moved\n\n"),
        )
        .exchange(
            Exchange::expect(get("/new?x=1", "last-event-id: 5\r\n"))
                .send("HTTP/1.1 204 No Content\r\n\r\n"),
        );
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/old")).unwrap());

    assert_eq!(opened(&mut stream).await.url.as_str(), peer.url("/new?x=1"));
    assert_eq!(event(&mut stream).await.1, "moved");
    reconnecting(&mut stream).await;
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn moved_permanently_301_is_followed() {
    follows("301 Moved Permanently").await;
}

#[tokio::test(start_paused = true)]
async fn found_302_is_followed() {
    follows("302 Found").await;
}

#[tokio::test(start_paused = true)]
async fn see_other_303_is_followed() {
    follows("303 See Other").await;
}

#[tokio::test(start_paused = true)]
async fn temporary_redirect_307_is_followed() {
    follows("307 Temporary Redirect").await;
}

#[tokio::test(start_paused = true)]
async fn permanent_redirect_308_is_followed() {
    follows("308 Permanent Redirect").await;
}

fn post_request(url: &str) -> Request {
    Request::new(Method::POST, url)
        .unwrap()
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body("{}")
}

const POST_HEAD: &str = "accept: text/event-stream\r\ncache-control: no-cache\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

#[tokio::test(start_paused = true)]
async fn see_other_turns_a_post_into_a_get_without_body() {
    let script = Script::new()
        .exchange(
            Exchange::expect(format!(
                "POST /submit HTTP/1.1\r\nhost: {{addr}}\r\n{POST_HEAD}"
            ))
            .send("HTTP/1.1 303 See Other\r\nlocation: /stream\r\ncontent-length: 0\r\n\r\n"),
        )
        .exchange(Exchange::expect(get("/stream", "")).send("HTTP/1.1 204 No Content\r\n\r\n"));
    let peer = Peer::start(script).await;
    let mut stream = client().stream(post_request(&peer.url("/submit")));

    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn temporary_redirect_307_keeps_the_post_and_its_body() {
    let script = Script::new()
        .exchange(
            Exchange::expect(format!(
                "POST /submit HTTP/1.1\r\nhost: {{addr}}\r\n{POST_HEAD}"
            ))
            .send(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: /again\r\ncontent-length: 0\r\n\r\n",
            ),
        )
        .exchange(
            Exchange::expect(format!(
                "POST /again HTTP/1.1\r\nhost: {{addr}}\r\n{POST_HEAD}"
            ))
            .send("HTTP/1.1 204 No Content\r\n\r\n"),
        );
    let peer = Peer::start(script).await;
    let mut stream = client().stream(post_request(&peer.url("/submit")));

    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_redirect_to_another_origin_drops_credentials() {
    let other = Peer::start(
        Script::new()
            .exchange(Exchange::expect(get("/there", "")).send("HTTP/1.1 204 No Content\r\n\r\n")),
    )
    .await;
    let head = format!(
        "HTTP/1.1 302 Found\r\nlocation: {}\r\ncontent-length: 0\r\n\r\n",
        other.url("/there")
    );
    let script =
        Script::new().exchange(Exchange::expect(get("/", "authorization: secret\r\n")).send(head));
    let peer = Peer::start(script).await;
    let request = Request::get(&peer.url("/"))
        .unwrap()
        .header(AUTHORIZATION, HeaderValue::from_static("secret"));
    let mut stream = client().stream(request);

    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
    other.finish().await;
}

#[tokio::test(start_paused = true)]
async fn redirects_are_bounded() {
    let hop =
        |to: &str| format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\n\r\n");
    let script = Script::new()
        .exchange(Exchange::expect(get("/a", "")).send(hop("/b")))
        .exchange(Exchange::expect(get("/b", "")).send(hop("/c")))
        .exchange(Exchange::expect(get("/c", "")).send(hop("/d")));
    let peer = Peer::start(script).await;
    let client = builder().max_redirects(2).build().unwrap();
    let mut stream = client.stream(Request::get(&peer.url("/a")).unwrap());

    let err = error(&mut stream).await;
    assert!(
        matches!(err, Error::TooManyRedirects { limit: 2, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "more than 2 redirects in a row, the last from {}",
            peer.url("/c")
        )
    );
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_redirect_without_location_ends_the_stream() {
    let script = Script::new().exchange(
        Exchange::expect(get("/", "")).send("HTTP/1.1 301 Moved\r\ncontent-length: 0\r\n\r\n"),
    );
    let peer = Peer::start(script).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    assert!(
        matches!(error(&mut stream).await, Error::Redirect { location, .. } if location.is_empty())
    );
    peer.finish().await;
}

#[tokio::test(start_paused = true)]
async fn last_event_id_goes_to_every_hop_of_every_connection() {
    let hop = |status: &str, to: &str| {
        format!("HTTP/1.1 {status}\r\nlocation: {to}\r\ncontent-length: 0\r\n\r\n")
    };
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/a", "last-event-id: 3\r\n"))
                .send(hop("307 Temporary Redirect", "/b")),
        )
        .exchange(
            Exchange::expect(get("/b", "last-event-id: 3\r\n"))
                .send(SSE_OK)
                .send("id: 7\ndata: moved\n\n"),
        )
        // The reconnect goes to /b, which has moved on since.
        .exchange(
            Exchange::expect(get("/b", "last-event-id: 7\r\n"))
                .send(hop("308 Permanent Redirect", "/c")),
        )
        .exchange(
            Exchange::expect(get("/c", "last-event-id: 7\r\n"))
                .send("HTTP/1.1 204 No Content\r\n\r\n"),
        );
    let peer = Peer::start(script).await;
    let request = Request::get(&peer.url("/a")).unwrap().last_event_id("3");
    let mut stream = client().stream(request);

    assert_eq!(opened(&mut stream).await.url.as_str(), peer.url("/b"));
    assert_eq!(event(&mut stream).await.2, "7");
    reconnecting(&mut stream).await;
    assert!(matches!(
        next(&mut stream).await,
        Item::Closed(Closed::NoContent)
    ));
    peer.finish().await;
}
