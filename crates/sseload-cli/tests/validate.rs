//! `sseload validate FILE` as a process: exit 0 and a summary for a valid
//! scenario, exit 2 and every problem (file, line, column, hint) otherwise.

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

/// A scenario file in a directory of its own, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("sseload-validate-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[test]
fn a_valid_scenario_gets_a_summary_and_exit_0() {
    let file = examples().join("stock-market.yaml");
    let out = sseload(&["validate", file.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "valid: stock-market: 1 scenario (watchers: 2 open load steps, 3 steps), 3 assertions\n"
    );
}

#[test]
fn every_example_validates() {
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let out = sseload(&["validate", path.to_str().unwrap()]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn every_problem_is_reported_with_its_place_and_exit_2() {
    let file = TempFile::new(
        "broken.yaml",
        "target: embedded\nscenarios:\n  - name: s\n    load: [{constant_users_per_sec: {rate: -1, during: 1m}}]\n    steps:\n      - sse_connect: { name: c, stream: prices, url: /stocks/prices }\n      - sse_close: { stream: price }\n",
    );
    let out = sseload(&["validate", file.path()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "error: `rate` must be above 0, found -1
 --> {0}:4:44
  |
4 |     load: [{{constant_users_per_sec: {{rate: -1, during: 1m}}}}]
  |                                            ^
  = hint: a positive number, such as 0.5, 20 or 1000

error: sse_close on stream `price`, which no sse_connect in scenario `s` opens
 --> {0}:7:30
  |
7 |       - sse_close: {{ stream: price }}
  |                              ^
  = hint: streams connected in scenario `s`: `prices`; name the stream with `stream:` on sse_connect
2 errors in {0}
",
        file.path()
    );
    assert_eq!(stderr, expected);
}

#[test]
fn a_missing_file_is_an_error() {
    let out = sseload(&["validate", "/nonexistent/scenario.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read scenario file /nonexistent/scenario.yaml"),
        "{stderr}"
    );
}

#[test]
fn the_schema_can_be_printed() {
    let out = sseload(&["validate", "--schema"]);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["title"], "sseload scenario");
}
