//! `sseload listen` end to end: the built binary against scripted peers on loopback.
//!
//! Every run passes `--timeout`, so a hung stream ends the command by itself.

use std::process::Output;

use sseload_test::{Exchange, Peer, Script};

const SSE_OK: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n";
const NO_CONTENT: &str = "HTTP/1.1 204 No Content\r\n\r\n";

fn get(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nhost: {{addr}}\r\naccept: text/event-stream\r\ncache-control: no-cache\r\n{extra}\r\n"
    )
}

/// Runs `sseload listen ARGS` on a blocking thread, so the peer keeps running;
/// adds `--timeout 20s` unless the test gives its own.
async fn listen(args: &[&str]) -> Output {
    let default_timeout: &[&str] = if args.contains(&"--timeout") {
        &[]
    } else {
        &["--timeout", "20s"]
    };
    let args: Vec<String> = ["listen"]
        .iter()
        .chain(default_timeout)
        .chain(args)
        .map(|s| (*s).to_owned())
        .collect();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_sseload"))
            .args(&args)
            .output()
            .expect("run sseload")
    })
    .await
    .expect("the command thread")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(output),
        stderr(output)
    );
}

const EVENTS: &str = "retry: 2500\nid: 1\nevent: tick\ndata: one\n\ndata: two\ndata: \"lines\"\n\nid\ndata: cleared\n\n";

#[tokio::test]
async fn json_prints_one_exact_line_per_event() {
    let script = Script::new().exchange(
        Exchange::expect(get("/feed", ""))
            .send(SSE_OK)
            .send(EVENTS)
            .hold(),
    );
    let peer = Peer::start(script).await;
    let output = listen(&["--json", "--max-events", "3", &peer.url("/feed")]).await;

    assert_exit(&output, 0);
    let expected = concat!(
        r#"{"type":"tick","data":"one","id":"1","retry":2500}"#,
        "\n",
        r#"{"type":"message","data":"two\n\"lines\"","id":"1"}"#,
        "\n",
        r#"{"type":"message","data":"cleared","id":""}"#,
        "\n",
    );
    assert_eq!(stdout(&output), expected);
    peer.finish().await;
}

#[tokio::test]
async fn the_default_format_is_a_readable_block_per_event() {
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send(SSE_OK)
            .send(EVENTS)
            .send(": beat\n")
            .hold(),
    );
    let peer = Peer::start(script).await;
    let output = listen(&["--comments", "--max-events", "3", &peer.url("/")]).await;

    assert_exit(&output, 0);
    let expected = "event: tick\nid: 1\nretry: 2500\ndata: one\n\nid: 1\ndata: two\ndata: \"lines\"\n\ndata: cleared\n\n";
    assert_eq!(stdout(&output), expected);
    peer.finish().await;
}

#[tokio::test]
async fn max_events_stops_an_open_stream() {
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send(SSE_OK)
            .send("data: 1\n\ndata: 2\n\ndata: 3\n\n")
            .hold(),
    );
    let peer = Peer::start(script).await;
    let output = listen(&["--json", "--max-events", "2", "-v", &peer.url("/")]).await;

    assert_exit(&output, 0);
    assert_eq!(stdout(&output).lines().count(), 2);
    assert!(
        stderr(&output).contains("* stopping: 2 events received (--max-events)"),
        "{}",
        stderr(&output)
    );
    peer.finish().await;
}

#[tokio::test]
async fn post_with_data_and_headers_sends_them_exactly() {
    let body = r#"{"prompt":"hi","stream":true}"#;
    let expected = format!(
        "POST /v1/chat HTTP/1.1\r\nhost: {{addr}}\r\naccept: text/event-stream\r\ncache-control: no-cache\r\n\
         content-type: application/json\r\nauthorization: Bearer abc\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let script = Script::new().exchange(Exchange::expect(expected).send(NO_CONTENT));
    let peer = Peer::start(script).await;
    let url = peer.url("/v1/chat");
    let args = [
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-H",
        "Authorization: Bearer abc",
        "-d",
        body,
        &url,
    ];
    let output = listen(&args).await;

    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "");
    peer.finish().await;
}

#[tokio::test]
async fn data_from_a_file_implies_post() {
    let path =
        std::env::temp_dir().join(format!("sseload-listen-body-{}.json", std::process::id()));
    std::fs::write(&path, "[1,2]").unwrap();
    let expected = "POST / HTTP/1.1\r\nhost: {addr}\r\naccept: text/event-stream\r\ncache-control: no-cache\r\ncontent-length: 5\r\n\r\n[1,2]";
    let peer =
        Peer::start(Script::new().exchange(Exchange::expect(expected).send(NO_CONTENT))).await;
    let output = listen(&["-d", &format!("@{}", path.display()), &peer.url("/")]).await;
    std::fs::remove_file(&path).unwrap();

    assert_exit(&output, 0);
    peer.finish().await;
}

#[tokio::test]
async fn last_event_id_is_sent_and_followed_across_a_reconnect() {
    let script = Script::new()
        .exchange(Exchange::expect(get("/", "last-event-id: 41\r\n")).send("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\nretry: 10\nid: 42\ndata: a\n\n"))
        .exchange(Exchange::expect(get("/", "last-event-id: 42\r\n")).send(NO_CONTENT));
    let peer = Peer::start(script).await;
    let output = listen(&["--json", "-v", "--last-event-id", "41", &peer.url("/")]).await;

    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "{\"type\":\"message\",\"data\":\"a\",\"id\":\"42\",\"retry\":10}\n"
    );
    let log = stderr(&output);
    assert!(
        log.contains("* reconnecting in 10ms (attempt 1): the server ended the response body"),
        "{log}"
    );
    assert!(
        log.contains("* closed: the server answered 204 No Content"),
        "{log}"
    );
    peer.finish().await;
}

#[tokio::test]
async fn no_reconnect_exits_zero_at_the_end_of_the_stream() {
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send(SSE_OK)
            .send("data: last\n\n"),
    );
    let peer = Peer::start(script).await;
    let output = listen(&["--no-reconnect", "--json", &peer.url("/")]).await;

    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "{\"type\":\"message\",\"data\":\"last\",\"id\":\"\"}\n"
    );
    peer.finish().await;
}

#[tokio::test]
async fn the_timeout_ends_a_quiet_stream_with_success() {
    let peer =
        Peer::start(Script::new().exchange(Exchange::expect(get("/", "")).send(SSE_OK).hold()))
            .await;
    let output = listen(&["--timeout", "300ms", "-v", &peer.url("/")]).await;

    assert_exit(&output, 0);
    assert!(
        stderr(&output).contains("* stopping: --timeout 300ms elapsed"),
        "{}",
        stderr(&output)
    );
    peer.finish().await;
}

#[tokio::test]
async fn a_refused_status_is_an_error_naming_the_url() {
    let head = "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
    let peer =
        Peer::start(Script::new().exchange(Exchange::expect(get("/nope", "")).send(head))).await;
    let output = listen(&[&peer.url("/nope")]).await;

    assert_exit(&output, 2);
    assert_eq!(
        stderr(&output),
        format!("error: {} answered 404\n", peer.url("/nope"))
    );
    peer.finish().await;
}

#[tokio::test]
async fn browser_policy_ends_on_503() {
    let head = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n";
    let peer = Peer::start(Script::new().exchange(Exchange::expect(get("/", "")).send(head))).await;
    let output = listen(&["--retry-policy", "browser", &peer.url("/")]).await;

    assert_exit(&output, 2);
    assert_eq!(
        stderr(&output),
        format!("error: {} answered 503\n", peer.url("/"))
    );
    peer.finish().await;
}

#[tokio::test]
async fn a_bad_url_is_a_one_line_error() {
    let output = listen(&["not-a-url"]).await;
    assert_exit(&output, 2);
    assert_eq!(
        stderr(&output),
        "error: invalid URL \"not-a-url\": relative URL without a base\n"
    );

    let output = listen(&["ftp://127.0.0.1/x"]).await;
    assert_exit(&output, 2);
    assert_eq!(
        stderr(&output),
        "error: invalid URL \"ftp://127.0.0.1/x\": scheme \"ftp\" is not http or https\n"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_one_line_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/events");
    let output = listen(&[&url]).await;

    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(
        message.starts_with(&format!(
            "error: cannot open {url}: cannot connect to {addr}: "
        )),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[tokio::test]
async fn a_malformed_header_is_a_one_line_error() {
    let output = listen(&["-H", "NoColonHere", "http://127.0.0.1:9/"]).await;
    assert_exit(&output, 2);
    assert_eq!(
        stderr(&output),
        "error: invalid header \"NoColonHere\": expected 'Name: value'\n"
    );
}

#[tokio::test]
async fn a_missing_data_file_is_a_one_line_error() {
    let path = std::env::temp_dir().join("sseload-listen-no-such-body.json");
    let output = listen(&["-d", &format!("@{}", path.display()), "http://127.0.0.1:9/"]).await;
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(
        message.starts_with(&format!(
            "error: cannot read the request body from {:?}: ",
            path.display().to_string()
        )),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[tokio::test]
async fn a_missing_ca_file_is_a_one_line_error() {
    let path = std::env::temp_dir().join("sseload-listen-no-such-ca.pem");
    let output = listen(&[
        "--cacert",
        &path.display().to_string(),
        "https://127.0.0.1:9/",
    ])
    .await;
    assert_exit(&output, 2);
    assert!(
        stderr(&output).starts_with(&format!(
            "error: cannot load CA certificates from {}: ",
            path.display()
        )),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn a_duration_without_unit_is_refused() {
    let output = listen(&["--timeout", "10", "http://127.0.0.1:9/"]).await;
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("invalid duration \"10\""),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn insecure_accepts_a_self_signed_target() {
    let cert = sseload_test::SelfSigned::generate();
    let script = Script::new().exchange(
        Exchange::expect(get("/", ""))
            .send(SSE_OK)
            .send("data: tls\n\n")
            .hold(),
    );
    let peer = Peer::start_tls(script, cert.server_config(&[])).await;
    let output = listen(&["-k", "--json", "--max-events", "1", &peer.https_url("/")]).await;

    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "{\"type\":\"message\",\"data\":\"tls\",\"id\":\"\"}\n"
    );
    peer.finish().await;
}

fn post(body: &str) -> String {
    format!(
        "POST / HTTP/1.1\r\nhost: {{addr}}\r\naccept: text/event-stream\r\ncache-control: no-cache\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_post_stream_is_not_sent_again_when_it_ends() {
    let script = Script::new().exchange(
        Exchange::expect(post("{}"))
            .send(SSE_OK)
            .send("retry: 10\ndata: [DONE]\n\n"),
    );
    let peer = Peer::start(script).await;
    let output = listen(&["-d", "{}", "-v", &peer.url("/")]).await;

    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "retry: 10\ndata: [DONE]\n\n");
    assert!(
        !stderr(&output).contains("reconnecting"),
        "{}",
        stderr(&output)
    );
    peer.finish().await;
}

#[tokio::test]
async fn the_reconnect_flag_sends_a_post_again() {
    let script = Script::new()
        .exchange(
            Exchange::expect(post("{}"))
                .send(SSE_OK)
                .send("retry: 10\ndata: first\n\n"),
        )
        .exchange(Exchange::expect(post("{}")).send(NO_CONTENT));
    let peer = Peer::start(script).await;
    let output = listen(&["-d", "{}", "--reconnect", "--json", &peer.url("/")]).await;

    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "{\"type\":\"message\",\"data\":\"first\",\"id\":\"\",\"retry\":10}\n"
    );
    peer.finish().await;
}

#[tokio::test]
async fn the_idle_timeout_reconnects_from_a_stream_gone_quiet() {
    let script = Script::new()
        .exchange(
            Exchange::expect(get("/", ""))
                .send(SSE_OK)
                .send("retry: 10\nid: 5\ndata: before\n\n")
                .hold(),
        )
        .exchange(
            Exchange::expect(get("/", "last-event-id: 5\r\n"))
                .send(SSE_OK)
                .send("data: after\n\n")
                .hold(),
        );
    let peer = Peer::start(script).await;
    let output = listen(&[
        "--idle-timeout",
        "200ms",
        "--json",
        "-v",
        "--max-events",
        "2",
        &peer.url("/"),
    ])
    .await;

    assert_exit(&output, 0);
    assert_eq!(stdout(&output).lines().count(), 2, "{}", stdout(&output));
    let log = stderr(&output);
    let cause = format!(
        "* reconnecting in 10ms (attempt 1): no data from {} for 200ms",
        peer.addr()
    );
    assert!(log.contains(&cause), "{log}");
    peer.finish().await;
}

#[tokio::test]
async fn the_connect_timeout_ends_a_handshake_that_never_answers() {
    let peer = Peer::start(Script::new().exchange(Exchange::silent())).await;
    let url = peer.https_url("/");
    let output = listen(&["--connect-timeout", "200ms", &url]).await;

    assert_exit(&output, 2);
    assert_eq!(
        stderr(&output),
        format!(
            "error: cannot open {url}: connecting to {} timed out after 200ms\n",
            peer.addr()
        )
    );
    peer.finish().await;
}

#[tokio::test]
async fn zero_or_unitless_timeouts_are_refused() {
    let cases = [
        (
            "--idle-timeout",
            "0s",
            "invalid duration \"0s\": it must be longer than zero",
        ),
        (
            "--connect-timeout",
            "0ms",
            "invalid duration \"0ms\": it must be longer than zero",
        ),
        ("--idle-timeout", "5", "invalid duration \"5\""),
    ];
    for (flag, value, message) in cases {
        let output = listen(&[flag, value, "http://127.0.0.1:9/"]).await;
        assert_exit(&output, 2);
        assert!(stderr(&output).contains(message), "{}", stderr(&output));
        assert!(stderr(&output).contains(flag), "{}", stderr(&output));
    }
}
