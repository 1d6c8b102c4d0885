//! The built-in HTTP/1.1 path, byte for byte over real sockets: chunked
//! streams and their end, keep-alive and pipelining after a stream, hand-off
//! to hyper, `Connection: close`, `HEAD`, events larger than the socket
//! buffer, and each kind of bad head: malformed (400), oversized (431),
//! cut off (no answer), never finished (408).

use std::time::Duration;

use sseload_proto::{Item, Parser};
use sseload_server::{Demo, NewEvent, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{DEADLINE, PAUSED_DEADLINE, quiet, start, within};

/// Reads from `tcp` until what was read contains `needle`; returns it all.
async fn read_until(tcp: &mut TcpStream, seen: &mut Vec<u8>, needle: &str) -> String {
    while !String::from_utf8_lossy(seen).contains(needle) {
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout(DEADLINE, tcp.read(&mut chunk)).await;
        let n = read
            .unwrap_or_else(|_| panic!("no {needle:?} in {:?}", String::from_utf8_lossy(seen)))
            .unwrap();
        assert!(
            n > 0,
            "closed before {needle:?}: {}",
            String::from_utf8_lossy(seen)
        );
        seen.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(seen).into_owned()
}

async fn read_to_close(tcp: &mut TcpStream) -> String {
    let mut out = Vec::new();
    within(tcp.read_to_end(&mut out)).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_stream_is_chunked_ends_with_the_last_chunk_and_the_connection_goes_on() {
    let server = start(quiet()).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    // The second request is pipelined behind the stream: it is answered once the stream ends.
    let requests = "GET /topics/t HTTP/1.1\r\nhost: x\r\n\r\nGET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    tcp.write_all(requests.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let head = read_until(&mut tcp, &mut seen, "\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("content-type: text/event-stream; charset=utf-8\r\n"),
        "{head}"
    );
    assert!(head.contains("transfer-encoding: chunked\r\n"), "{head}");
    server.hub().publish("t", &[NewEvent::new("hi")]).unwrap();
    read_until(&mut tcp, &mut seen, "10\r\nid: 1\ndata: hi\n\n\r\n").await;
    server.hub().close_topic("t").unwrap();
    let rest = read_to_close(&mut tcp).await;
    assert!(rest.starts_with("0\r\n\r\nHTTP/1.1 200 OK\r\n"), "{rest}");
    assert!(rest.ends_with("\r\n\r\nok\n"), "{rest}");
}

#[tokio::test]
async fn connection_close_on_a_stream_closes_after_its_end() {
    let server = start(quiet()).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let request = "GET /topics/c HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let head = read_until(&mut tcp, &mut Vec::new(), "\r\n\r\n").await;
    assert!(head.contains("connection: close\r\n"), "{head}");
    server.hub().close_topic("c").unwrap();
    assert!(read_to_close(&mut tcp).await.ends_with("0\r\n\r\n"));
}

#[tokio::test]
async fn head_and_http_1_0_requests_are_answered_by_hyper() {
    let server = start(quiet()).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let request = "HEAD /topics/h HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let response = read_to_close(&mut tcp).await;
    assert!(
        response.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
        "{response}"
    );
    assert!(
        response.ends_with("\r\n\r\n"),
        "no body after a HEAD: {response}"
    );

    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    tcp.write_all(b"GET /topics/old HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let head = read_until(&mut tcp, &mut Vec::new(), "\r\n\r\n").await;
    assert!(head.starts_with("HTTP/1.0 200 OK\r\n"), "{head}");
    assert!(
        !head.contains("transfer-encoding"),
        "no chunks in HTTP/1.0: {head}"
    );
}

#[tokio::test]
async fn events_larger_than_the_socket_buffer_arrive_whole_and_in_order() {
    let server = start(quiet().queue(256)).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let request = "GET /topics/big HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    read_until(&mut tcp, &mut seen, "\r\n\r\n").await;
    // Published while nobody reads: the socket takes part, the rest queues.
    let data: Vec<String> = (0..48)
        .map(|n| format!("{n:02}{}", "x".repeat(64 * 1024)))
        .collect();
    for text in &data {
        server
            .hub()
            .publish("big", &[NewEvent::new(text.as_str())])
            .unwrap();
    }
    server.hub().close_topic("big").unwrap();
    let body = read_to_close(&mut tcp).await;
    let head_len = String::from_utf8_lossy(&seen).find("\r\n\r\n").unwrap() + 4;
    let mut raw = seen[head_len..].to_vec();
    raw.extend_from_slice(body.as_bytes());
    let mut parser = Parser::new();
    let mut got = Vec::new();
    parser
        .feed(&dechunk(&raw), |item| {
            if let Item::Event(event) = item {
                got.push(event.data().to_owned());
            }
        })
        .unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data, "events arrive whole and in order");
}

/// The data of a chunked body (which must end with the last chunk).
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..line]).unwrap(), 16).unwrap();
        raw = &raw[line + 2..];
        if size == 0 {
            assert_eq!(raw, b"\r\n", "nothing after the last chunk");
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        assert_eq!(&raw[size..size + 2], b"\r\n");
        raw = &raw[size + 2..];
    }
}

#[tokio::test]
async fn a_malformed_head_gets_400_naming_the_problem() {
    let server = start(quiet()).await;
    let cases = [
        ("GET / HTTP/9.9\r\n\r\n", "invalid HTTP version"),
        (
            "GET /topics/a HTTP/1.1\r\nbad header\r\n\r\n",
            "invalid header name",
        ),
        ("\x01\x02 garbage\r\n\r\n", "invalid token"),
    ];
    for (request, reason) in cases {
        let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        tcp.write_all(request.as_bytes()).await.unwrap();
        let response = read_to_close(&mut tcp).await;
        assert!(
            response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{request:?}: {response}"
        );
        assert!(response.contains("connection: close\r\n"), "{response}");
        let expected = format!(r#"{{"error":"bad request head: {reason}"}}"#);
        assert!(response.ends_with(&expected), "{request:?}: {response}");
    }
}

#[tokio::test]
async fn an_oversized_head_gets_431() {
    let server = start(quiet()).await;
    let long = format!(
        "GET /topics/a HTTP/1.1\r\ncookie: {}\r\n\r\n",
        "c".repeat(70_000)
    );
    let many = format!("GET /topics/a HTTP/1.1\r\n{}\r\n", "a: b\r\n".repeat(101));
    for request in [long, many] {
        let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        // The server may answer (and close) before it has read everything.
        let _ = tcp.write_all(request.as_bytes()).await;
        let response = read_to_close(&mut tcp).await;
        assert!(
            response.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{response}"
        );
        assert!(
            response.contains("65536 bytes and 100 header fields"),
            "{response}"
        );
    }
}

/// A server whose connections the test accepts and hands in itself, so
/// that it can wait for one connection's end.
async fn handed_in(
    builder: sseload_server::ServerBuilder,
) -> (sseload_server::Connections, TcpListener) {
    let connections = builder.build().unwrap().connections().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    (connections, listener)
}

#[tokio::test]
async fn a_client_that_leaves_mid_head_gets_no_answer() {
    let (connections, listener) = handed_in(Server::builder().demo(Demo::none())).await;
    let mut tcp = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (accepted, _) = listener.accept().await.unwrap();
    let serving = tokio::spawn(connections.serve(accepted));
    tcp.write_all(b"GET /topics/a HTTP/1.1\r\nhos")
        .await
        .unwrap();
    tcp.shutdown().await.unwrap();
    within(serving).await.unwrap();
    assert_eq!(read_to_close(&mut tcp).await, "", "nobody to answer");
}

#[tokio::test(start_paused = true)]
async fn a_head_that_never_ends_gets_408_after_the_header_timeout() {
    let timeout = Duration::from_secs(5);
    let server = start(quiet().header_timeout(Some(timeout))).await;
    let mut tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let started = tokio::time::Instant::now();
    tcp.write_all(b"GET /topics/a HTTP/1.1\r\nhost: x\r\nx-slow: ")
        .await
        .unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(PAUSED_DEADLINE, tcp.read_to_end(&mut response))
        .await
        .expect("the server gives up")
        .unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{response}"
    );
    assert!(
        response.contains("request head not received within 5s"),
        "{response}"
    );
    assert!(started.elapsed() >= timeout);
}
