//! `sseload serve` as a process: it prints its URLs, serves, and stops on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const DEADLINE: Duration = Duration::from_secs(20);

fn sseload() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sseload"))
}

/// Reads stdout lines on a thread, so that each can be awaited with a deadline.
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    rx
}

/// One HTTP/1.1 request with `Connection: close`; returns the whole response.
fn http(addr: &str, request: &str) -> String {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    tcp.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).unwrap();
    response
}

fn wait_exit(mut child: Child) -> std::process::ExitStatus {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait().unwrap()));
    rx.recv_timeout(DEADLINE).expect("sseload exits")
}

#[test]
fn serve_prints_its_urls_serves_and_stops_on_sigterm() {
    let mut child = sseload()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo",
            "clock",
            "--heartbeat",
            "off",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines(&mut child);
    let first = lines.recv_timeout(DEADLINE).expect("a banner");
    let addr = first
        .strip_prefix("sseload serve: listening on http://")
        .unwrap_or_else(|| panic!("unexpected banner {first:?}"))
        .to_owned();
    let mut banner = Vec::new();
    while let Ok(line) = lines.recv_timeout(DEADLINE) {
        let done = line.contains("sseload listen");
        banner.push(line);
        if done {
            break;
        }
    }
    assert!(
        banner
            .iter()
            .any(|l| l.contains(&format!("clock    GET http://{addr}/clock"))),
        "{banner:?}"
    );
    assert!(
        !banner.iter().any(|l| l.contains("/stocks/prices")),
        "stocks were not asked for"
    );
    assert_eq!(
        banner.last().unwrap(),
        &format!("  sseload listen http://{addr}/clock")
    );

    let health = http(
        &addr,
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(
        health.starts_with("HTTP/1.1 200 OK\r\n") && health.ends_with("ok\n"),
        "{health}"
    );
    let body = r#"{"data":"hello"}"#;
    let publish = format!(
        "POST /topics/cli HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert!(http(&addr, &publish).ends_with(r#"{"ids":["1"]}"#));

    // The shell's own `kill`, with the child's pid: SIGTERM to that one process.
    let term = format!("kill -TERM {}", child.id());
    let status = Command::new("sh").args(["-c", &term]).status().unwrap();
    assert!(status.success());
    assert_eq!(
        lines.recv_timeout(DEADLINE).unwrap(),
        "SIGTERM: shutting down"
    );
    assert!(wait_exit(child).success());
}

#[test]
fn bad_flags_are_refused_with_a_message() {
    let cases: [(&[&str], &str); 4] = [
        (&["--heartbeat", "5x"], "invalid duration unit in \"5x\""),
        (&["--demo", "tv"], "unknown demo feed \"tv\""),
        (&["--error-status", "404"], "\"404\" is not 500 or 503"),
        (
            &["--error-rate", "2"],
            "error rate 2 is not between 0 and 1",
        ),
    ];
    for (flags, message) in cases {
        let output = sseload()
            .arg("serve")
            .args(["--bind", "127.0.0.1:0"])
            .args(flags)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(message), "{flags:?}: {stderr}");
    }
}
