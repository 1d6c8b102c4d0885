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
    assert!(
        !banner.iter().any(|l| l.contains("/v1/chat/completions")),
        "the LLM feeds were not asked for"
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
        (
            &["--heartbeat", "5x"],
            "invalid duration \"5x\": expected a number and a unit",
        ),
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

/// A running `sseload serve` and the address from its banner.
struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    addr: String,
    /// The banner's lines after the first.
    banner: Vec<String>,
}

impl Serve {
    fn start(flags: &[&str]) -> Self {
        let mut child = sseload()
            .args(["serve", "--bind", "127.0.0.1:0", "--heartbeat", "off"])
            .args(flags)
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
        Self {
            child,
            lines,
            addr,
            banner,
        }
    }

    /// Sends SIGTERM to this one process and waits for it to exit.
    fn stop(self) -> std::process::ExitStatus {
        let term = format!("kill -TERM {}", self.child.id());
        assert!(
            Command::new("sh")
                .args(["-c", &term])
                .status()
                .unwrap()
                .success()
        );
        assert_eq!(
            self.lines.recv_timeout(DEADLINE).unwrap(),
            "SIGTERM: shutting down"
        );
        wait_exit(self.child)
    }
}

fn post(addr: &str, path: &str, body: &str) -> String {
    http(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// The `ts` of the first `timestamp` events of `GET /clock`, read until `count` arrived.
fn clock_stamps(addr: &str, count: usize) -> Vec<u64> {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    tcp.write_all(b"GET /clock HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut stamps = Vec::new();
    let mut seen = String::new();
    let mut buf = [0; 4096];
    while stamps.len() < count {
        let n = tcp.read(&mut buf).unwrap();
        assert!(n > 0, "the clock stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        stamps = seen
            .split("\"ts\":")
            .skip(1)
            .filter_map(|rest| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
    }
    stamps
}

/// The `id` of the first chunk of a completion.
fn completion_id(addr: &str) -> String {
    let response = post(
        addr,
        "/v1/completions?ttft_ms=0&itl_ms=0",
        r#"{"stream":true,"max_tokens":1}"#,
    );
    let start = response.find("\"id\":\"").expect("a chunk") + 6;
    response[start..start + 21].to_owned()
}

#[test]
fn clock_interval_max_topics_and_seed_flags_reach_the_server() {
    let serve = Serve::start(&[
        "--demo",
        "clock,llm",
        "--clock-interval",
        "20ms",
        "--max-topics",
        "1",
        "--seed",
        "7",
    ]);
    let stamps = clock_stamps(&serve.addr, 3);
    // The default interval is 1 s; the flag asked for 20 ms.
    assert!(stamps[2] - stamps[1] < 500, "{stamps:?}");
    // The clock's own topic is the one topic allowed.
    let refused = post(&serve.addr, "/topics/extra", r#"{"data":"x"}"#);
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(
        refused.contains("too many topics (the limit is 1)"),
        "{refused}"
    );
    let first = completion_id(&serve.addr);
    assert!(first.starts_with("cmpl-"), "{first}");
    assert!(serve.stop().success());

    let again = Serve::start(&["--demo", "llm", "--seed", "7"]);
    assert_eq!(completion_id(&again.addr), first, "same seed, same draws");
    assert!(again.stop().success());
    let other = Serve::start(&["--demo", "llm", "--seed", "8"]);
    assert_ne!(
        completion_id(&other.addr),
        first,
        "another seed, other draws"
    );
    assert!(other.stop().success());
}

#[test]
fn shutdown_grace_zero_cuts_an_unfinished_request_at_once() {
    let serve = Serve::start(&["--demo", "none", "--shutdown-grace", "0s"]);
    // A publish whose body never fully arrives keeps its connection in flight.
    let mut tcp = TcpStream::connect(&serve.addr).unwrap();
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    tcp.write_all(b"POST /topics/t HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        .unwrap();
    let asked = std::time::Instant::now();
    assert!(serve.stop().success());
    // The default grace is 5 s; with 0 s the process does not wait for the request.
    assert!(
        asked.elapsed() < Duration::from_secs(4),
        "{:?}",
        asked.elapsed()
    );
    let mut rest = Vec::new();
    let _ = tcp.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}

#[test]
fn cors_origin_lets_another_origin_read_and_preflight() {
    let serve = Serve::start(&["--demo", "llm", "--cors-origin", "https://app.example"]);
    let preflight = http(
        &serve.addr,
        "OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n\
         Access-Control-Request-Method: POST\r\n\
         Access-Control-Request-Headers: authorization, content-type\r\nConnection: close\r\n\r\n",
    );
    assert!(preflight.starts_with("HTTP/1.1 204"), "{preflight}");
    let lower = preflight.to_ascii_lowercase();
    for line in [
        "access-control-allow-origin: https://app.example\r\n",
        "access-control-allow-methods: post\r\n",
        "access-control-allow-headers: authorization, content-type, last-event-id, cache-control\r\n",
    ] {
        assert!(lower.contains(line), "{line:?} in {preflight}");
    }
    let published = post(&serve.addr, "/topics/t", r#"{"data":"x"}"#);
    assert!(
        published
            .to_ascii_lowercase()
            .contains("access-control-allow-origin: https://app.example\r\n"),
        "{published}"
    );
    assert!(serve.stop().success());
}

#[test]
fn bad_server_settings_are_refused_on_one_line() {
    let cases: [(&[&str], &str); 7] = [
        (
            &["--fanout-threads", "0"],
            "error: invalid server settings: fanout_threads must be at least 1",
        ),
        (
            &["--clock-interval", "0s"],
            "error: invalid server settings: clock_interval must be longer than zero",
        ),
        (
            &["--max-topics", "0"],
            "error: invalid server settings: max_topics must be at least 1",
        ),
        (
            &["--header-timeout", "0ms"],
            "error: invalid server settings: header_timeout must be longer than zero",
        ),
        (
            &["--cors-origin", "app.example"],
            "error: invalid server settings: invalid CORS origin \"app.example\" (expected * or scheme://host[:port], like https://app.example.com)",
        ),
        (
            &["--shutdown-grace", "5"],
            "invalid duration \"5\": expected a number and a unit",
        ),
        (&["--seed", "-1"], "unexpected argument '-1'"),
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
        if message.starts_with("error: invalid server settings") {
            assert_eq!(stderr.lines().count(), 1, "{flags:?}: {stderr}");
        }
    }
}

/// An empty directory of this test's own under Cargo's scratch space.
fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("serve")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Reads a topic's stream (resuming after `last_event_id`) until the event
/// with id `until` arrives; returns every id seen, in order.
fn ids_until(tcp: &mut TcpStream, until: &str) -> Vec<String> {
    let mut seen = String::new();
    let mut buf = [0; 4096];
    let end = format!("\nid: {until}\n");
    while !seen.contains(&end) {
        let n = tcp.read(&mut buf).unwrap();
        assert!(n > 0, "the stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    seen.lines()
        .filter_map(|line| line.strip_prefix("id: "))
        .map(str::to_owned)
        .collect()
}

fn resume(addr: &str, topic: &str, last_event_id: &str) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(DEADLINE)).unwrap();
    let head = format!(
        "GET /topics/{topic} HTTP/1.1\r\nHost: x\r\nLast-Event-ID: {last_event_id}\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).unwrap();
    tcp
}

#[test]
fn data_dir_survives_kill_9_and_a_resume_gets_every_acknowledged_event_once() {
    let dir = fresh_dir("kill9");
    let dir_flag = dir.to_str().unwrap();
    let mut serve = Serve::start(&["--demo", "none", "--data-dir", dir_flag]);
    let mut acknowledged = Vec::new();
    for batch in 0..4 {
        let body =
            format!(r#"[{{"data":"a{batch}"}},{{"data":"b{batch}"}},{{"data":"c{batch}"}}]"#);
        let response = post(&serve.addr, "/topics/t", &body);
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        let ids = response.rsplit_once(r#"{"ids":["#).unwrap().1;
        acknowledged.extend(
            ids.trim_end_matches("]}")
                .split(',')
                .map(|id| id.trim_matches('"').to_owned()),
        );
    }
    assert_eq!(
        acknowledged,
        (1..=12).map(|n| n.to_string()).collect::<Vec<_>>()
    );
    // SIGKILL to this one process: no shutdown, no flush, nothing but what is on disk.
    serve.child.kill().unwrap();
    assert!(!wait_exit(serve.child).success());

    let again = Serve::start(&["--demo", "none", "--data-dir", dir_flag]);
    assert!(
        again
            .banner
            .iter()
            .any(|l| l.contains(": recovered 12 events, 1 topic, last id 12")),
        "{:?}",
        again.banner
    );
    let mut stream = resume(&again.addr, "t", "5");
    let published = post(&again.addr, "/topics/t", r#"{"data":"new"}"#);
    assert!(published.ends_with(r#"{"ids":["13"]}"#), "{published}");
    let expected: Vec<String> = (6..=13).map(|n| n.to_string()).collect();
    assert_eq!(ids_until(&mut stream, "13"), expected);
    assert!(again.stop().success());
}

#[test]
fn an_unusable_data_dir_exits_2_naming_it() {
    let base = fresh_dir("unusable");
    std::fs::create_dir_all(&base).unwrap();
    let file = base.join("a-file");
    std::fs::write(&file, b"").unwrap();
    let dir = file.join("data");
    let output = sseload()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo",
            "none",
            "--data-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!("error: cannot create {}: ", dir.display())),
        "{stderr}"
    );
}

#[test]
fn help_states_what_is_lost_without_a_data_dir() {
    let output = sseload().args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(
        help.contains(
            "(without it everything is in memory: a restart loses it all, ids restart at 1)"
        ),
        "{help}"
    );
    assert!(
        help.contains("Durability: without --data-dir the hub keeps everything in memory."),
        "{help}"
    );
    let short = sseload().args(["serve", "-h"]).output().unwrap();
    let short = String::from_utf8_lossy(&short.stdout);
    assert!(short.contains("everything is in memory"), "{short}");
}

#[test]
fn a_torn_last_record_is_a_warning_and_damage_before_it_exits_2() {
    let dir = fresh_dir("damage");
    let dir_flag = dir.to_str().unwrap();
    let mut serve = Serve::start(&["--demo", "none", "--data-dir", dir_flag]);
    for data in ["one", "two"] {
        let response = post(&serve.addr, "/topics/t", &format!(r#"{{"data":"{data}"}}"#));
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }
    serve.child.kill().unwrap();
    assert!(!wait_exit(serve.child).success());
    let file = dir.join("segment-00000000000000000001.log");
    let whole = std::fs::read(&file).unwrap();

    // A crash halfway through the second record's write.
    std::fs::write(&file, &whole[..whole.len() - 4]).unwrap();
    let mut child = sseload()
        .args(["serve", "--bind", "127.0.0.1:0", "--heartbeat", "off"])
        .args(["--demo", "none", "--data-dir", dir_flag])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let banner = lines(&mut child);
    let up = banner.recv_timeout(DEADLINE).expect("a banner");
    assert!(up.starts_with("sseload serve: listening on"), "{up}");
    let stderr = child.stderr.take().unwrap();
    child.kill().unwrap();
    assert!(!wait_exit(child).success());
    let mut warning = String::new();
    BufReader::new(stderr).read_to_string(&mut warning).unwrap();
    assert!(
        warning.starts_with(&format!(
            "warning: {}: cut off an incomplete last record at byte ",
            file.display()
        )),
        "{warning}"
    );

    // Damage in the first event's record, with the second whole after it.
    let mut bad = whole;
    bad[29 + 12 + 2] ^= 0x40;
    std::fs::write(&file, &bad).unwrap();
    let output = sseload()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo",
            "none",
            "--data-dir",
            dir_flag,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: {}: corrupt record at byte 29: checksum mismatch",
            file.display()
        )),
        "{stderr}"
    );
}
