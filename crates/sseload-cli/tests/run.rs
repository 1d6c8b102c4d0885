//! `sseload run FILE` as a process, against the embedded server: the
//! summary, the results file and the exit codes (0 pass, 1 an assertion
//! failed, 2 the run could not start).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sseload(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sseload"))
        .args(args)
        .output()
        .unwrap()
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// A directory of its own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sseload-run-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn snapshot_plan(assertion: &str) -> String {
    format!(
        r#"
name: snapshots
target: embedded
scenarios:
  - name: watchers
    load: [ {{ at_once_users: 3 }} ]
    steps:
      - sse_connect:
          name: Stocks
          url: /stocks/prices
          await: [ {{ timeout: 5s, checks: [ {{ name: snapshot, matching: {{ event: snapshot }} }} ] }} ]
      - sse_close: {{ name: Close }}
assertions:
  - {assertion}
"#
    )
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_passing_run_exits_0_with_a_summary_and_a_results_file() {
    let dir = TempDir::new("pass");
    let file = dir.file(
        "pass.yaml",
        &snapshot_plan("{ metric: checks.failed_percent, lt: 1 }"),
    );
    let results = dir.path("results.json");
    let output = sseload(&["run", &file, "--quiet", "--results", &results]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(
        text.contains("Stocks (watchers): count 3 OK 3 KO 0"),
        "{text}"
    );
    assert!(
        text.contains("PASS  checks.failed_percent (global) < 1 %"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    assert_eq!(json["meta"]["users_started"], 3);
    assert_eq!(json["assertions"][0]["passed"], true);
    let histograms = json["histograms"].as_array().unwrap();
    assert!(
        histograms
            .iter()
            .any(|h| h["metric"] == "time_to_first_event"
                && h["hdr"].as_str().unwrap().starts_with("HISTF"))
    );
}

#[test]
fn the_results_series_carries_reconnects_and_missed_ids_for_the_report() {
    let dir = TempDir::new("series");
    let file = dir.file(
        "series.yaml",
        &snapshot_plan("{ metric: checks.failed_percent, lt: 1 }"),
    );
    let results = dir.path("results.json");
    let output = sseload(&["run", &file, "--quiet", "--results", &results]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    for point in json["series"].as_array().unwrap() {
        assert_eq!(point["reconnects"], 0, "{point}");
        assert_eq!(point["missed"], 0, "{point}");
    }
    let (html, csv) = (dir.path("r.html"), dir.path("csv"));
    let output = sseload(&["report", &results, "--html", &html, "--csv", &csv]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let series = std::fs::read_to_string(Path::new(&csv).join("series.csv")).unwrap();
    let header = series.lines().next().unwrap();
    assert!(header.ends_with("reconnects,missed"), "{header}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("no per-second reconnect or missed-id counts"),
        "the stream-health chart has no data"
    );
}

#[test]
fn a_failed_assertion_exits_1_and_shows_the_measured_value() {
    let dir = TempDir::new("fail");
    let file = dir.file(
        "fail.yaml",
        &snapshot_plan("{ metric: checks.count, gt: 1000 }"),
    );
    let output = sseload(&["run", &file, "--quiet"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}{}", stderr(&output));
    assert!(
        text.contains("FAIL  checks.count (global) > 1000  (measured 3.000)"),
        "{text}"
    );
}

#[test]
fn an_http_step_speaks_https_trusting_the_plans_ca_file() {
    use sseload_test::{Exchange, Peer, Script, SelfSigned};
    let dir = TempDir::new("https");
    let cert = SelfSigned::generate();
    let ca = dir.file("ca.pem", cert.cert_pem());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let script = Script::new().exchange(
        Exchange::expect("GET /login HTTP/1.1\r\nhost: {addr}\r\n\r\n")
            .send("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"),
    );
    let peer = runtime.block_on(Peer::start_tls(script, cert.server_config(&[b"http/1.1"])));
    let plan = format!(
        "target: {{ base_url: \"{}\" }}\nhttp: {{ tls: {{ ca_file: {ca:?} }} }}\nscenarios:\n  - name: s\n    load: [ {{ at_once_users: 1 }} ]\n    steps:\n      - http: {{ name: login, url: /login, checks: [ {{ status: 200 }} ] }}\n",
        peer.https_url("")
    );
    let output = sseload(&["run", &dir.file("https.yaml", &plan), "--quiet"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(text.contains("login (s): count 1 OK 1 KO 0"), "{text}");
    runtime.block_on(peer.finish());
}

#[test]
fn set_overrides_a_declared_variable_and_refuses_an_undeclared_one() {
    let dir = TempDir::new("vars");
    let plan = "target: embedded\nvars: { path: healthz, region: eu }\nscenarios:\n  - name: s\n    load: [ { at_once_users: 1 } ]\n    steps:\n      - http: { name: probe, url: \"/#{path}\", checks: [ { status: 200 } ] }\nassertions:\n  - { metric: requests.failed_count, lt: 1 }\n";
    let file = dir.file("vars.yaml", plan);

    let default = sseload(&["run", &file, "--quiet"]);
    let text = stdout(&default);
    assert_eq!(default.status.code(), Some(0), "{text}{}", stderr(&default));
    assert!(text.contains("probe (s): count 1 OK 1 KO 0"), "{text}");

    let overridden = sseload(&["run", &file, "--quiet", "--set", "path=nowhere"]);
    let text = stdout(&overridden);
    assert_eq!(
        overridden.status.code(),
        Some(1),
        "{text}{}",
        stderr(&overridden)
    );
    assert!(text.contains("probe (s): count 1 OK 0 KO 1"), "{text}");

    let undeclared = sseload(&["run", &file, "--set", "topic=news"]);
    assert_eq!(undeclared.status.code(), Some(2));
    assert!(
        stderr(&undeclared).contains(
            "--set topic: the plan declares no variable `topic` (declared under `vars:`: path, region)"
        ),
        "{}",
        stderr(&undeclared)
    );
}

#[test]
fn bad_input_exits_2_with_the_problem_named() {
    let dir = TempDir::new("bad");
    let invalid = sseload(&[
        "run",
        &dir.file("bad.yaml", "target: embedded\nscenarios: 3\n"),
    ]);
    assert_eq!(invalid.status.code(), Some(2));
    let file = dir.file("ok.yaml", &snapshot_plan("{ metric: checks.count, gt: 0 }"));
    let unknown = sseload(&["run", &file, "--set", "colour=blue"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains(
            "--set colour: the plan declares no variable `colour` (declared under `vars:`: none)"
        ),
        "{}",
        stderr(&unknown)
    );
    let duration = sseload(&["run", &file, "--duration", "5 parsecs"]);
    assert_eq!(duration.status.code(), Some(2));
    assert!(
        stderr(&duration).contains("5 parsecs"),
        "{}",
        stderr(&duration)
    );
}

#[test]
fn the_short_examples_run_against_the_embedded_server_and_pass() {
    for example in [
        "stock-market.yaml",
        "llm-streaming.yaml",
        "filtered-channels.yaml",
    ] {
        let path = examples().join(example);
        let output = sseload(&["run", path.to_str().unwrap(), "--duration", "3s"]);
        let text = stdout(&output);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{example}: {text}{}",
            stderr(&output)
        );
        assert!(
            text.contains("[   1s/3s]"),
            "{example}: live lines missing: {text}"
        );
    }
}

#[test]
fn ctrl_c_stops_the_run_and_still_prints_the_summary() {
    use std::io::BufRead as _;
    let dir = TempDir::new("interrupt");
    let plan = "target: embedded\nscenarios:\n  - name: long\n    load: [ { at_once_users: 2 } ]\n    steps:\n      - sse_connect: { name: clock, url: /clock }\n      - pause: 1h\n";
    let file = dir.file("long.yaml", plan);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sseload"))
        .args(["run", &file])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line.clone());
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let live = std::time::Duration::from_secs(20);
    while !rx
        .recv_timeout(live)
        .expect("a live line within 20 s")
        .starts_with("[   1s/")
    {}
    // One process, by its own id: never a group.
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    let text = reader.join().unwrap();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(text.contains("ended: interrupted"), "{text}");
    assert!(text.contains("clock (long): count 2 OK 2 KO 0"), "{text}");
    assert!(text.contains("left open 2"), "{text}");
}

#[test]
fn results_schema_is_printed_without_a_file_and_matches_the_committed_one() {
    let out = sseload(&["run", "--results-schema"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let committed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../sseload-engine/results.schema.json");
    assert_eq!(stdout(&out), std::fs::read_to_string(committed).unwrap());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], "sseload results");
    let neither = sseload(&["run"]);
    assert_eq!(neither.status.code(), Some(2));
    assert!(stderr(&neither).contains("<FILE>"), "{}", stderr(&neither));
    let both = sseload(&["run", "plan.yaml", "--results-schema"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );
}

#[test]
fn run_writes_the_report_files_it_is_asked_for() {
    let dir = TempDir::new("outputs");
    let file = dir.file(
        "outputs.yaml",
        &snapshot_plan("{ metric: checks.failed_percent, lt: 1 }"),
    );
    let (html, junit, md, csv) = (
        dir.path("report.html"),
        dir.path("junit.xml"),
        dir.path("summary.md"),
        dir.path("csv"),
    );
    let args = [
        "run",
        &file,
        "--quiet",
        "--html",
        &html,
        "--junit",
        &junit,
        "--summary-md",
        &md,
        "--csv",
        &csv,
    ];
    let output = sseload(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("snapshots"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("checks.failed_percent"), "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(std::fs::read_to_string(&md).unwrap().contains("PASS"));
    assert!(std::fs::read_dir(&csv).unwrap().count() > 0);
}

#[test]
fn an_unwritable_report_exits_2_but_the_results_file_is_kept() {
    let dir = TempDir::new("unwritable");
    let file = dir.file(
        "plan.yaml",
        &snapshot_plan("{ metric: checks.failed_percent, lt: 1 }"),
    );
    let results = dir.path("results.json");
    let html = dir.path("no-such-folder/report.html");
    let output = sseload(&[
        "run",
        &file,
        "--quiet",
        "--results",
        &results,
        "--html",
        &html,
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(
        message.contains("cannot write") && message.contains("report.html"),
        "{message}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    assert_eq!(json["meta"]["users_started"], 3);
}

/// One plain HTTP/1.1 GET on a fresh connection: the status line and the body.
fn scrape(addr: &str) -> (String, String) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

/// Checks every line of an OpenMetrics text and returns the sum of the
/// samples named `sample`.
fn parse_metrics(text: &str, sample: &str) -> f64 {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "{text}");
    let mut total = 0.0;
    for line in &lines[..lines.len() - 1] {
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (keyword, name) = (parts.next().unwrap(), parts.next().unwrap());
            assert!(matches!(keyword, "HELP" | "TYPE"), "{line}");
            assert!(name.starts_with("sseload_"), "{line}");
            assert!(parts.next().is_some_and(|t| !t.is_empty()), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
        let name = series.split('{').next().unwrap();
        assert!(name.starts_with("sseload_"), "{line}");
        assert_eq!(series.contains('{'), series.ends_with('}'), "{line}");
        if name == sample {
            total += value;
        }
    }
    total
}

#[test]
fn metrics_addr_serves_openmetrics_during_the_run() {
    use std::io::BufRead as _;
    let dir = TempDir::new("metrics");
    let plan = "target: embedded\nscenarios:\n  - name: long\n    load: [ { at_once_users: 2 } ]\n    steps:\n      - sse_connect: { name: clock, url: /clock }\n      - pause: 1h\n";
    let file = dir.file("long.yaml", plan);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sseload"))
        .args(["run", &file, "--metrics-addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let addr = first
        .trim()
        .strip_prefix("metrics on http://")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line.clone());
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let wait_for = |prefix: &str| {
        while !rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("a live line within 20 s")
            .starts_with(prefix)
        {}
    };
    wait_for("[   1s/");
    let (head, body) = scrape(&addr);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
        "{head}"
    );
    let events = parse_metrics(&body, "sseload_events_total");
    assert_eq!(parse_metrics(&body, "sseload_streams"), 2.0, "{body}");
    assert!(
        body.contains("# TYPE sseload_connect_time_seconds histogram"),
        "{body}"
    );
    assert!(
        body.contains(
            "sseload_requests_total{scenario=\"long\",name=\"clock\",kind=\"request\",outcome=\"ok\"} 2"
        ),
        "{body}"
    );
    wait_for("[   4s/");
    let (_, later) = scrape(&addr);
    let grown = parse_metrics(&later, "sseload_events_total");
    assert!(grown > events, "{events} then {grown}: {later}");
    // One process, by its own id: never a group.
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    let text = reader.join().unwrap();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(text.contains("ended: interrupted"), "{text}");
    assert!(text.contains("clock (long): count 2 OK 2 KO 0"), "{text}");
}

#[test]
fn a_bad_metrics_addr_exits_2_naming_it_before_the_run() {
    let dir = TempDir::new("metrics-bad");
    let file = dir.file("ok.yaml", &snapshot_plan("{ metric: checks.count, gt: 0 }"));
    let unparsable = sseload(&["run", &file, "--metrics-addr", "localhost:nine"]);
    assert_eq!(unparsable.status.code(), Some(2));
    assert!(
        stderr(&unparsable).contains("--metrics-addr \"localhost:nine\": not an address"),
        "{}",
        stderr(&unparsable)
    );
    assert!(!stdout(&unparsable).contains("embedded server"));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let in_use = sseload(&["run", &file, "--metrics-addr", &addr]);
    assert_eq!(in_use.status.code(), Some(2));
    let message = stderr(&in_use);
    assert!(
        message.contains(&format!("--metrics-addr {addr}: cannot listen")),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        !stdout(&in_use).contains("snapshots"),
        "{}",
        stdout(&in_use)
    );
}
