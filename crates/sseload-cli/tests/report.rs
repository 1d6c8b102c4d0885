//! `sseload report RESULTS` as a process: every output from a real run's
//! results file, the HTML page checked in headless Chromium, and the exit
//! code 2 with a one-line error for each kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

fn sseload(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sseload"))
        .args(args)
        .output()
        .unwrap()
}

/// A directory of its own under the system's temporary folder.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sseload-report-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

/// The results of one short real run of the stock-market example on the
/// embedded server, made once for the whole test binary.
fn real_results() -> &'static Path {
    static RESULTS: OnceLock<PathBuf> = OnceLock::new();
    RESULTS.get_or_init(|| {
        let path = temp_dir("run").join("results.json");
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/stock-market.yaml");
        let out = sseload(&[
            "run",
            &text(&example),
            "--duration",
            "3s",
            "--quiet",
            "--results",
            &text(&path),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    })
}

/// Runs `sseload report` expecting exit 2 and a one-line error; returns it.
fn refused(args: &[&str]) -> String {
    let out = sseload(args);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

#[test]
fn every_output_from_a_real_run() {
    let results = real_results();
    let dir = temp_dir("outputs");
    let (html, csv, junit, md) = (
        dir.join("r.html"),
        dir.join("csv"),
        dir.join("j.xml"),
        dir.join("s.md"),
    );
    let out = sseload(&[
        "report",
        &text(results),
        "--html",
        &text(&html),
        "--csv",
        &text(&csv),
        "--junit",
        &text(&junit),
        "--summary-md",
        &text(&md),
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["plan"], "stock-market");
    assert_eq!(summary["passed"], true);
    assert!(summary["counts"]["events"].as_u64().unwrap() > 0);

    let page = std::fs::read_to_string(&html).unwrap();
    for id in [
        "chart-users",
        "chart-events",
        "chart-event_gap-time",
        "chart-delivery_latency-distribution",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 3, "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.starts_with("## sseload: stock-market (PASS, 3 of 3 assertions held)"),
        "{md}"
    );
    let stats = std::fs::read_to_string(csv.join("stats.csv")).unwrap();
    assert!(
        stats.starts_with("scope,scenario,name,kind,total,ok,ko,"),
        "{stats}"
    );
    let series = std::fs::read_to_string(csv.join("series.csv")).unwrap();
    assert!(series.lines().count() >= 3, "{series}");
    assert!(csv.join("distribution_event_gap.csv").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_output_option_prints_the_markdown_summary() {
    let out = sseload(&["report", &text(real_results())]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("### Assertions"), "{stdout}");
}

#[test]
fn a_missing_file_is_refused() {
    let err = refused(&["report", "/nonexistent/results.json", "--json"]);
    assert!(
        err.contains("cannot read /nonexistent/results.json"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_results_names_the_field_and_line() {
    let dir = temp_dir("not-results");
    let partial = dir.join("partial.json");
    std::fs::write(
        &partial,
        "{\n  \"meta\": {\"plan\": \"x\", \"started_at_ms\": 1},\n  \"stats\": []\n}\n",
    )
    .unwrap();
    let err = refused(&["report", &text(&partial), "--json"]);
    assert!(
        err.contains("not a sseload results file: missing field `duration_s` at line 2"),
        "{err}"
    );
    assert_eq!(err.matches("missing field").count(), 1, "said once: {err}");

    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/stock-market.yaml");
    let err = refused(&["report", &text(&scenario)]);
    assert!(
        err.contains("not a sseload results file") && err.contains("line 1"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_output_is_refused() {
    let results = text(real_results());
    for flag in ["--html", "--junit", "--summary-md"] {
        let err = refused(&["report", &results, flag, "/nonexistent/dir/out"]);
        assert!(
            err.contains("cannot write /nonexistent/dir/out"),
            "{flag}: {err}"
        );
    }
    let err = refused(&["report", &results, "--csv", &results]);
    assert!(err.contains("cannot create the folder"), "{err}");
}

fn chromium_args(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

/// Runs Chromium with `args`, killing that one process if it has not ended within a minute.
fn chromium(args: &[String]) -> Output {
    let child = Command::new("/usr/bin/chromium")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg(&pid).status();
            panic!("chromium did not finish within 60 s");
        }
    }
}

#[test]
#[allow(
    clippy::print_stderr,
    reason = "the skip notice and the screenshot's path are for the person running the tests"
)]
fn the_html_report_renders_in_chromium() {
    if !Path::new("/usr/bin/chromium").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "/usr/bin/chromium is required on CI"
        );
        eprintln!("skipped: /usr/bin/chromium is missing");
        return;
    }
    let dir = temp_dir("chromium");
    let html = dir.join("report.html");
    let out = sseload(&["report", &text(real_results()), "--html", &text(&html)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("file://{}", html.display());

    let mut args = chromium_args(&dir.join("profile-dom"));
    args.extend([
        "--enable-logging=stderr".to_owned(),
        "--v=0".to_owned(),
        "--dump-dom".to_owned(),
        url.clone(),
    ]);
    let out = chromium(&args);
    let console: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_owned)
        .collect();
    assert!(
        console.is_empty(),
        "the page logged to the console: {console:#?}"
    );
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        dom.contains("data-status=\"ok\""),
        "the page's check did not pass:\n{}",
        check_line(&dom)
    );
    assert!(
        !dom.contains("data-status=\"error\""),
        "{}",
        check_line(&dom)
    );
    let charts: usize = check_line(&dom)
        .split("REPORT-CHECK-OK charts=")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no chart count in {}", check_line(&dom)));
    assert!(charts >= 12, "{charts} charts");

    let png = dir.join("report.png");
    let mut args = chromium_args(&dir.join("profile-shot"));
    args.extend([
        format!("--screenshot={}", png.display()),
        "--window-size=1280,2000".to_owned(),
        url,
    ]);
    let _ = chromium(&args);
    let image = std::fs::read(&png).unwrap();
    assert!(
        image.starts_with(b"\x89PNG") && image.len() > 10_000,
        "{} bytes",
        image.len()
    );

    let pdf = dir.join("report.pdf");
    let mut args = chromium_args(&dir.join("profile-print"));
    args.extend([
        format!("--print-to-pdf={}", pdf.display()),
        "--no-pdf-header-footer".to_owned(),
        format!("file://{}", html.display()),
    ]);
    let _ = chromium(&args);
    let printed = std::fs::read(&pdf).unwrap();
    assert!(
        printed.starts_with(b"%PDF") && printed.len() > 10_000,
        "{} bytes",
        printed.len()
    );
    eprintln!("screenshot: {}, printed: {}", png.display(), pdf.display());
}

/// The page's check element, as Chromium left it.
fn check_line(dom: &str) -> &str {
    dom.lines()
        .find(|l| l.contains("id=\"report-check\""))
        .unwrap_or("no check element in the DOM")
}
