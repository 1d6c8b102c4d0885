//! Secrets never leave a run in clear: a real run against a loopback server
//! whose URLs, headers and feeder values carry secrets that end up in error
//! messages, and `sseload listen` and `sseload validate` on such inputs. Each
//! test first checks that the messages that would carry a secret are there
//! (masked), so it cannot pass by recording nothing.
//!
//! TLS: certificates are verified by default (`listen` and `run` refuse a
//! self-signed target), and the opt-outs warn on stderr on every run,
//! naming the target.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sseload_test::{Exchange, Peer, Script, SelfSigned};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Every secret the plan below holds, in a place that reaches a message.
const SECRETS: &[&str] = &[
    "base-pass-9",
    "plan-wide-token-77",
    "alice-pass-1",
    "cli-session-secret",
    "declared-session-secret",
    "literal-access-token",
];

fn sseload(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sseload"))
        .args(args)
        .output()
        .unwrap()
}

/// A directory of its own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("sseload-secrets-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback server: `/login…` answers 200 with the request head as the
/// body (so a failed body check quotes the credentials it was sent);
/// anything else answers 401.
async fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let head = read_head(&mut tcp).await;
                let reply = if head.starts_with("GET /login") {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{head}",
                        head.len()
                    )
                } else {
                    "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        .to_owned()
                };
                let _ = tcp.write_all(reply.as_bytes()).await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    addr.to_string()
}

async fn read_head(tcp: &mut tokio::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match tcp.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

fn plan(addr: &str) -> String {
    format!(
        r##"name: secrets
target: {{ base_url: "http://admin:base-pass-9@{addr}/" }}
http:
  headers:
    Authorization: "Bearer plan-wide-token-77"
vars:
  session: declared-session-secret
feeders:
  users:
    inline:
      - {{ user: alice, password: alice-pass-1 }}
    secret: [password]
scenarios:
  - name: s
    load: [ {{ at_once_users: 1 }} ]
    steps:
      - feed: users
      - http:
          name: login
          url: "/login?user=#{{user}}&password=#{{password}}"
          headers: {{ Cookie: "sid=#{{session}}" }}
          checks: [ {{ field: body, is: nothing }} ]
      - sse_connect:
          name: feed
          url: "/feed?topic=prices&access_token=literal-access-token"
"##
    )
}

/// Every file under `path` (or the file itself), as text.
fn texts(path: &Path) -> Vec<(String, String)> {
    if path.is_dir() {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(path).unwrap() {
            all.extend(texts(&entry.unwrap().path()));
        }
        return all;
    }
    let text = std::fs::read_to_string(path).unwrap();
    vec![(path.display().to_string(), text)]
}

fn assert_no_secret(place: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{place} shows {secret:?}:\n{text}");
    }
}

#[test]
fn a_run_writes_no_secret_in_any_output() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let addr = runtime.block_on(echo_server());
    let dir = TempDir::new("run");
    let file = dir.file("secrets.yaml", &plan(&addr));
    let (results, html, md, junit, csv) = (
        dir.path("results.json"),
        dir.path("report.html"),
        dir.path("summary.md"),
        dir.path("junit.xml"),
        dir.path("csv"),
    );
    let output = sseload(&[
        "run",
        &file,
        "--set",
        "session=cli-session-secret",
        "--results",
        &results,
        "--html",
        &html,
        "--summary-md",
        &md,
        "--junit",
        &junit,
        "--csv",
        &csv,
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");

    let json = std::fs::read_to_string(&results).unwrap();
    assert!(
        json.contains(&format!(
            "http://***@{addr}/feed?topic=prices&access_token=*** answered 401"
        )),
        "the connect error is recorded, masked: {json}"
    );
    assert!(
        json.contains(
            "field `body`: expected \\\"nothing\\\", found \\\"GET /login?user=alice&password=***"
        ),
        "the check failure quoting the request is recorded, masked: {json}"
    );
    assert!(json.contains("authorization: ***"), "{json}");
    assert_no_secret("stdout", &stdout);
    assert_no_secret("stderr", &stderr);
    for path in [&results, &html, &md, &junit, &csv] {
        for (name, text) in texts(Path::new(path)) {
            assert_no_secret(&name, &text);
        }
    }

    let report = sseload(&["report", &results, "--json"]);
    assert_eq!(report.status.code(), Some(0));
    assert_no_secret("report --json", &String::from_utf8_lossy(&report.stdout));
}

#[test]
fn validate_shows_no_secret_valid_or_not() {
    let dir = TempDir::new("validate");
    let valid = sseload(&["validate", &dir.file("ok.yaml", &plan("127.0.0.1:9"))]);
    assert_eq!(valid.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&valid.stdout),
        "valid: secrets: 1 scenario (s: 1 open load step, 3 steps), 0 assertions\n"
    );

    let broken = "target: { base_url: \"http://admin:base-pass-9@127.0.0.1:9/\" }\nhttp: { headers: { Authorization: \"Bearer plan-wide-token-77\" } }\nscenarios:\n  - name: s\n    load: [ { at_once_users: 1 } ]\n    steps:\n      - http: { name: a, url: \"/x?access_token=literal-access-token\", methd: GET }\n";
    let invalid = sseload(&["validate", &dir.file("bad.yaml", broken)]);
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert_eq!(invalid.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("  |"),
        "the diagnostic quotes the file: {stderr}"
    );
    assert!(
        stderr.contains("url: \"/x?access_token=***\""),
        "the quoted line is masked: {stderr}"
    );
    assert_no_secret("validate stderr", &stderr);
}

/// Runs `sseload listen ARGS` on a blocking thread, so the server keeps running.
async fn listen(args: &[&str]) -> Output {
    let args: Vec<String> = ["listen", "--timeout", "20s"]
        .iter()
        .chain(args)
        .map(|s| (*s).to_owned())
        .collect();
    tokio::task::spawn_blocking(move || {
        sseload(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn listen_shows_no_secret_in_its_notes_or_errors() {
    let addr = echo_server().await;
    let url = format!("http://admin:base-pass-9@{addr}/feed?access_token=literal-access-token");
    let output = listen(&["-v", "-H", "Authorization: Bearer plan-wide-token-77", &url]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "* GET http://***@{addr}/feed?access_token=***\nerror: http://***@{addr}/feed?access_token=*** answered 401\n"
        )
    );
    assert_no_secret("listen stderr", &stderr);
}

#[tokio::test]
async fn listen_verifies_certificates_by_default() {
    let cert = SelfSigned::generate();
    let script = Script::new().exchange(Exchange::tls_refused());
    let peer = Peer::start_tls(script, cert.server_config(&[])).await;
    let output = listen(&["--no-reconnect", &peer.https_url("/")]).await;

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let expected = format!(
        "error: cannot open {}: TLS handshake with {} failed: ",
        peer.https_url("/"),
        peer.addr()
    );
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    peer.finish().await;
}

#[tokio::test]
async fn listen_insecure_warns_naming_the_target_on_every_run() {
    let cert = SelfSigned::generate();
    let request = "GET /?token=tok-secret-1 HTTP/1.1\r\nhost: {addr}\r\naccept: text/event-stream\r\ncache-control: no-cache\r\n\r\n";
    let exchange = || {
        Exchange::expect(request)
            .send("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\ndata: tls\n\n")
            .hold()
    };
    let script = Script::new().exchange(exchange()).exchange(exchange());
    let peer = Peer::start_tls(script, cert.server_config(&[])).await;
    let url = peer.https_url("/?token=tok-secret-1");
    for _ in 0..2 {
        let output = listen(&["-k", "--max-events", "1", &url]).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert_eq!(String::from_utf8_lossy(&output.stdout), "data: tls\n\n");
        assert_eq!(
            stderr,
            format!(
                "warning: TLS certificates are NOT verified for {} (--insecure): anyone on the path can read and change this stream\n",
                peer.https_url("/?token=***")
            )
        );
    }
    peer.finish().await;
}

#[test]
fn a_run_verifies_certificates_by_default() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let cert = SelfSigned::generate();
    let script = Script::new().exchange(Exchange::tls_refused());
    let peer = runtime.block_on(Peer::start_tls(script, cert.server_config(&[b"http/1.1"])));
    let dir = TempDir::new("tls-default");
    let plan = format!(
        "target: {{ base_url: \"{}\" }}\nscenarios:\n  - name: s\n    load: [ {{ at_once_users: 1 }} ]\n    steps:\n      - http: {{ name: login, url: /login }}\n",
        peer.https_url("")
    );
    let results = dir.path("results.json");
    let output = sseload(&[
        "run",
        &dir.file("tls.yaml", &plan),
        "--quiet",
        "--results",
        &results,
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let error = &json["errors"][0];
    assert_eq!(error["kind"], "connect_refused", "{json}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("TLS with {} failed: ", peer.addr()))
            && message.contains("certificate"),
        "{message}"
    );
    runtime.block_on(peer.finish());
}

#[test]
fn an_insecure_run_warns_naming_the_target() {
    let dir = TempDir::new("tls-insecure");
    let plan = "target: { base_url: \"https://u:p4ss-word@127.0.0.1:9/?token=t0k3n-1\" }\nhttp: { tls: { accept_invalid_certs: true } }\nscenarios:\n  - name: s\n    load: [ { at_once_users: 1 } ]\n    steps: [ { pause: 1ms } ]\n";
    let output = sseload(&["run", &dir.file("insecure.yaml", plan), "--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr,
        "warning: TLS certificates are NOT verified for https://***@127.0.0.1:9/?token=*** (http.tls.accept_invalid_certs): anyone on the path can read and change this run's traffic\n"
    );
}
