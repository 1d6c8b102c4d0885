use std::error::Error as _;

use sseload_client::{Client, Error, Http1Engine, Http1Error, Item, Reconnect, Request};
use sseload_test::{Exchange, Peer, Script};

use crate::support::{builder, error, event, get, next, opened, reconnecting};

const CHUNKED_OK: &str =
    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

/// A client on the builtin engine (whatever the environment asks), ending at the first loss.
fn client() -> Client {
    builder()
        .http1_engine(Http1Engine::Builtin)
        .reconnect(Reconnect::Never)
        .build()
        .unwrap()
}

/// One exchange answering the GET of `/` with `replies`, one write each.
async fn peer<I: IntoIterator<Item = String>>(replies: I, hold: bool) -> Peer {
    let mut exchange = Exchange::expect(get("/", ""));
    for reply in replies {
        exchange = exchange.send(reply);
    }
    if hold {
        exchange = exchange.hold();
    }
    Peer::start(Script::new().exchange(exchange)).await
}

/// The builtin path's error behind an `Error::Http`.
fn http1_error(err: &Error) -> &Http1Error {
    assert!(matches!(err, Error::Http { .. }), "{err:?}");
    err.source()
        .and_then(|source| source.downcast_ref::<Http1Error>())
        .unwrap_or_else(|| panic!("not an Http1Error: {err:?}"))
}

fn frame(chunk: &str) -> String {
    format!("{:x}\r\n{chunk}\r\n", chunk.len())
}

#[tokio::test]
async fn chunk_framing_split_anywhere_across_writes_decodes() {
    let body = [frame("id: 1\ndata: one\n\n"), frame("data: two\n\n")].concat() + "0\r\n\r\n";
    // Every byte its own write: sizes, CRLFs and data all split across reads.
    let replies = std::iter::once(CHUNKED_OK.to_owned()).chain(body.chars().map(String::from));
    let peer = peer(replies, false).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    opened(&mut stream).await;
    assert_eq!(
        event(&mut stream).await,
        ("message".into(), "one".into(), "1".into())
    );
    assert_eq!(event(&mut stream).await.1, "two");
    assert!(matches!(next(&mut stream).await, Item::Closed(_)));
    peer.finish().await;
}

#[tokio::test]
async fn a_chunked_trailer_section_ends_the_body_cleanly() {
    let body = frame("data: a\n\n") + "0\r\nx-checksum: abc\r\nx-more: 1\r\n\r\n";
    let peer = peer([CHUNKED_OK.to_owned(), body], true).await;
    let mut stream = builder()
        .http1_engine(Http1Engine::Builtin)
        .build()
        .unwrap()
        .stream(Request::get(&peer.url("/")).unwrap());

    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "a");
    // The body ended at its last chunk, with the connection still open.
    let lost = reconnecting(&mut stream).await;
    assert!(matches!(lost.cause, Error::Ended), "{:?}", lost.cause);
    drop(stream);
    peer.finish().await;
}

#[tokio::test]
async fn lines_and_header_lines_longer_than_the_initial_buffers_arrive_whole() {
    let cookie = "c".repeat(5000);
    let data = "x".repeat(100 * 1024);
    let head = format!(
        "HTTP/1.1 200 OK\r\nset-cookie: {cookie}\r\ncontent-type: text/event-stream\r\n\r\n"
    );
    let peer = peer([head, format!("data: {data}\n\n")], true).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    assert_eq!(
        opened(&mut stream).await.headers["set-cookie"],
        cookie.as_str()
    );
    assert_eq!(event(&mut stream).await.1, data);
    drop(stream);
    peer.finish().await;
}

#[tokio::test]
async fn a_close_delimited_body_ends_at_the_close() {
    let head = "HTTP/1.0 200 OK\r\ncontent-type: text/event-stream\r\n\r\n";
    let peer = peer(
        [head.to_owned(), "data: a\n\ndata: b\n\n".to_owned()],
        false,
    )
    .await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    assert_eq!(opened(&mut stream).await.version, http::Version::HTTP_10);
    assert_eq!(event(&mut stream).await.1, "a");
    assert_eq!(event(&mut stream).await.1, "b");
    assert!(matches!(next(&mut stream).await, Item::Closed(_)));
    peer.finish().await;
}

#[tokio::test]
async fn a_content_length_body_ends_at_its_length_and_a_short_one_is_an_error() {
    let body = "data: a\n\ndata: b\n\n";
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let whole = peer([head, body.to_owned()], true).await;
    let mut stream = client().stream(Request::get(&whole.url("/")).unwrap());
    opened(&mut stream).await;
    assert_eq!(event(&mut stream).await.1, "a");
    assert_eq!(event(&mut stream).await.1, "b");
    assert!(matches!(next(&mut stream).await, Item::Closed(_)));
    drop(stream);
    whole.finish().await;

    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 100\r\n\r\n";
    let peer = peer([head.to_owned(), body.to_owned()], false).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());
    opened(&mut stream).await;
    event(&mut stream).await;
    event(&mut stream).await;
    let err = error(&mut stream).await;
    assert!(
        matches!(
            http1_error(&err),
            Http1Error::IncompleteBody("content-length")
        ),
        "{err}"
    );
    peer.finish().await;
}

#[tokio::test]
async fn a_head_split_byte_by_byte_parses() {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx-a: 1\r\n\r\n";
    let replies = head
        .chars()
        .map(String::from)
        .chain(["data: ok\n\n".to_owned()]);
    let peer = peer(replies, true).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    assert_eq!(opened(&mut stream).await.headers["x-a"], "1");
    assert_eq!(event(&mut stream).await.1, "ok");
    drop(stream);
    peer.finish().await;
}

#[tokio::test]
async fn interim_responses_are_skipped() {
    let head = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n";
    let sse = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\ndata: ok\n\n";
    let peer = peer([head.to_owned(), sse.to_owned()], true).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());

    let opened = opened(&mut stream).await;
    assert_eq!(opened.status, 200);
    assert!(opened.headers.get("link").is_none());
    assert_eq!(event(&mut stream).await.1, "ok");
    drop(stream);
    peer.finish().await;
}

/// The error a response head (and body) ends the stream with.
async fn refused(response: String) -> Error {
    let peer = peer([response], false).await;
    let mut stream = client().stream(Request::get(&peer.url("/")).unwrap());
    let err = error(&mut stream).await;
    peer.finish().await;
    err
}

#[tokio::test]
async fn a_malformed_status_line_is_a_typed_error_naming_it() {
    let err =
        refused("HTTP/1.1 2x0 OK\r\ncontent-type: text/event-stream\r\n\r\n".to_owned()).await;
    assert!(matches!(http1_error(&err), Http1Error::StatusLine(line) if line == "HTTP/1.1 2x0 OK"));
    assert!(
        err.to_string()
            .ends_with(r#": malformed status line "HTTP/1.1 2x0 OK""#),
        "{err}"
    );
}

#[tokio::test]
async fn a_malformed_header_line_is_a_typed_error_naming_it() {
    let err =
        refused("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nx y: z\r\n\r\n".to_owned())
            .await;
    assert!(
        matches!(http1_error(&err), Http1Error::HeaderLine(line) if line == "x y: z"),
        "{err}"
    );
}

#[tokio::test]
async fn an_oversize_header_block_is_refused() {
    let huge = format!(
        "HTTP/1.1 200 OK\r\nx-big: {}\r\n\r\n",
        "b".repeat(70 * 1024)
    );
    let err = refused(huge).await;
    assert!(
        matches!(http1_error(&err), Http1Error::HeadTooLarge { limit: 65536 }),
        "{err}"
    );
}

#[tokio::test]
async fn a_head_cut_short_and_an_invalid_length_are_typed_errors() {
    let err = refused("HTTP/1.1 200 OK\r\ncontent-ty".to_owned()).await;
    assert!(
        matches!(http1_error(&err), Http1Error::IncompleteHead { read: 27 }),
        "{err}"
    );
    let bad = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 1, 2\r\n\r\n";
    let err = refused(bad.to_owned()).await;
    assert!(
        matches!(http1_error(&err), Http1Error::ContentLength(value) if value == "1, 2"),
        "{err}"
    );
    let err = refused(format!("{CHUNKED_OK}zz\r\n")).await;
    assert_eq!(
        http1_error(&err).to_string(),
        "malformed chunked body at byte 0: a chunk size must start with a hex digit"
    );
}

#[tokio::test]
async fn post_bodies_are_framed_as_hyper_frames_them() {
    use http::header::{CONTENT_TYPE, TRANSFER_ENCODING};
    let expected = "POST /p HTTP/1.1\r\nhost: {addr}\r\naccept: text/event-stream\r\ncache-control: no-cache\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
    // The same bytes from both engines.
    for engine in [Http1Engine::Hyper, Http1Engine::Builtin] {
        let no_content = "HTTP/1.1 204 No Content\r\n\r\n";
        let script = Script::new().exchange(Exchange::expect(expected).send(no_content));
        let peer = Peer::start(script).await;
        let request = Request::new(http::Method::POST, &peer.url("/p"))
            .unwrap()
            .header(
                CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            )
            .header(TRANSFER_ENCODING, http::HeaderValue::from_static("chunked"))
            .body("{}");
        let client = builder().http1_engine(engine).build().unwrap();
        let mut stream = client.stream(request);

        assert!(
            matches!(next(&mut stream).await, Item::Closed(_)),
            "{engine:?}"
        );
        peer.finish().await;
    }
}

#[tokio::test]
async fn a_response_to_head_has_no_body_whatever_its_length_says() {
    let expected = get("/", "").replacen("GET", "HEAD", 1);
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: 100\r\n\r\n";
    let script = Script::new().exchange(Exchange::expect(expected).send(head).hold());
    let peer = Peer::start(script).await;
    let request = Request::new(http::Method::HEAD, &peer.url("/")).unwrap();
    let mut stream = client().stream(request);

    opened(&mut stream).await;
    assert!(matches!(next(&mut stream).await, Item::Closed(_)));
    drop(stream);
    peer.finish().await;
}
