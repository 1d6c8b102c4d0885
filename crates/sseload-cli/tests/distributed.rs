//! Distributed runs as processes: shards started together and merged with
//! `sseload merge`; the merge's refusals; results that survive SIGTERM and
//! SIGKILL (`--results-every`).

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

fn sseload() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sseload"));
    for var in ["SSELOAD_SHARD", "SSELOAD_SHARDS", "JOB_COMPLETION_INDEX"] {
        command.env_remove(var);
    }
    command
}

fn output(command: &mut Command) -> Output {
    command.output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A directory of its own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sseload-dist-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        self.path(name)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }

    fn json(&self, name: &str) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.0.join(name)).unwrap()).unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// 25 users over three profile steps, each reading the stock feed until its snapshot.
const PLAN: &str = r#"
name: sharded-clock
target: embedded
scenarios:
  - name: readers
    load:
      - at_once_users: 4
      - ramp_users: { users: 11, during: 500ms }
      - constant_users_per_sec: { rate: 20, during: 500ms }
    steps:
      - sse_connect:
          name: stocks
          url: /stocks/prices
          await: [ { timeout: 5s, checks: [ { name: snapshot, matching: { event: snapshot } } ] } ]
      - sse_close: { name: close }
assertions:
  - { metric: checks.failed_count, lt: 1 }
"#;

/// Runs the three shards of `plan` at once, starting together.
fn run_shards(dir: &TempDir, plan: &str) -> Vec<String> {
    let start = SystemTime::now() + Duration::from_millis(1500);
    let start = format!(
        "{}",
        start.duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
    );
    let children: Vec<(Child, String)> = (1..=3)
        .map(|i| {
            let results = dir.path(&format!("shard-{i}.json"));
            let mut command = sseload();
            command.args([
                "run",
                plan,
                "--quiet",
                "--start-at",
                &start,
                "--results",
                &results,
            ]);
            // Shard 3 finds its place the Kubernetes way.
            if i == 3 {
                command
                    .args(["--shards", "3"])
                    .env("JOB_COMPLETION_INDEX", "2");
            } else {
                command.args(["--shard", &format!("{i}/3")]);
            }
            let child = command
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (child, results)
        })
        .collect();
    children
        .into_iter()
        .map(|(child, results)| {
            let out = child.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
            results
        })
        .collect()
}

fn global(results: &Value) -> &Value {
    results["stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scope"] == "global")
        .unwrap()
}

#[test]
fn three_shards_merge_into_the_whole_run() {
    let dir = TempDir::new("merge");
    let plan = dir.file("plan.yaml", PLAN);
    let whole = dir.path("whole.json");
    let out = output(sseload().args(["run", &plan, "--quiet", "--results", &whole]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let files = run_shards(&dir, &plan);
    let merged = dir.path("merged.json");
    let html = dir.path("merged.html");
    let mut args = vec!["merge", "-o", &merged, "--html", &html];
    args.extend(files.iter().map(String::as_str));
    let out = output(sseload().args(&args));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("PASS  checks.failed_count (global) < 1"),
        "{stdout}"
    );
    let (merged, whole) = (dir.json("merged.json"), dir.json("whole.json"));
    assert_eq!(merged["meta"]["users_started"], 25);
    assert_eq!(
        merged["meta"]["users_started"],
        whole["meta"]["users_started"]
    );
    let shard_users: Vec<u64> = (1..=3)
        .map(|i| {
            dir.json(&format!("shard-{i}.json"))["meta"]["users_started"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(shard_users, [9, 8, 8]);
    let counts = |v: &Value| {
        let c = &global(v)["counts"];
        (c["ok"].clone(), c["ko"].clone())
    };
    assert_eq!(counts(&merged), counts(&whole));
    assert_eq!(
        merged["meta"]["shards"]["runs"].as_array().unwrap().len(),
        3
    );
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("sharded-clock"));

    // Refusals, each with exit 2 and the file named.
    let twice = output(sseload().args(["merge", "-o", &dir.path("x.json"), &files[0], &files[0]]));
    assert_eq!(twice.status.code(), Some(2));
    assert_eq!(
        stderr(&twice),
        format!(
            "error: shard 1/3 is in both {0} and {0}; each shard must be merged once\n",
            files[0]
        )
    );
    let other = dir.file("other.yaml", &PLAN.replace("sharded-clock", "another"));
    let other_results = dir.path("other.json");
    let run = output(sseload().args([
        "run",
        &other,
        "--quiet",
        "--shard",
        "2/3",
        "--results",
        &other_results,
        "--duration",
        "200ms",
    ]));
    assert!(run.status.code().is_some_and(|c| c < 2), "{}", stderr(&run));
    let different = output(sseload().args([
        "merge",
        "-o",
        &dir.path("x.json"),
        &files[0],
        &other_results,
    ]));
    assert_eq!(different.status.code(), Some(2));
    assert!(
        stderr(&different).starts_with(&format!(
            "error: {other_results}: plan `another` (fingerprint "
        )),
        "{}",
        stderr(&different)
    );
    let mut corrupted = dir.json("shard-2.json");
    corrupted["histograms"][0]["hdr"] = Value::String("SElTVA==".into());
    let corrupted_path = dir.file("corrupted.json", &corrupted.to_string());
    let refused = output(sseload().args([
        "merge",
        "-o",
        &dir.path("x.json"),
        &files[0],
        &corrupted_path,
    ]));
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains(&format!("{corrupted_path}: histogram ")),
        "{}",
        stderr(&refused)
    );
    assert!(
        stderr(&refused).contains("is corrupted"),
        "{}",
        stderr(&refused)
    );
    let not_results = dir.file("plan-as-results.json", "{\"meta\": 1}");
    let refused = output(sseload().args(["merge", "-o", &dir.path("x.json"), &not_results]));
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).starts_with(&format!(
            "error: {not_results} is not a results file of this sseload version: "
        )),
        "{}",
        stderr(&refused)
    );
    assert!(
        !dir.0.join("x.json").exists(),
        "nothing written on a refusal"
    );

    // A partial merge works and says what it lacks.
    let partial =
        output(sseload().args(["merge", "-o", &dir.path("p.json"), &files[0], &files[2]]));
    assert_eq!(partial.status.code(), Some(0), "{}", stderr(&partial));
    assert_eq!(
        stderr(&partial),
        "warning: shards 2 of 3 are not in this merge; it covers part of the run\n"
    );
}

/// A long run (3 users reading the stock feed for 60 s).
const LONG: &str = r#"
name: long
target: embedded
scenarios:
  - name: readers
    load: [ { at_once_users: 3 } ]
    steps:
      - sse_connect: { name: stocks, url: /stocks/prices }
      - pause: 60s
"#;

/// Starts the long run, writing a results snapshot every 200 ms.
fn spawn_long(plan: &str, results: &str) -> Child {
    sseload()
        .args(["run", plan, "--quiet", "--results", results])
        .args(["--results-every", "200ms"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (with a deadline) until the results file exists with events in it.
fn wait_for_snapshot(path: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            let v: Value = serde_json::from_str(&text).expect("a snapshot is always whole JSON");
            if global(&v)["counts"]["events"].as_u64().unwrap_or(0) > 0 {
                return v;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no snapshot with events in {path}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigkill_loses_at_most_the_last_snapshot_interval() {
    let dir = TempDir::new("kill");
    let plan = dir.file("long.yaml", LONG);
    let results = dir.path("r.json");
    let mut child = spawn_long(&plan, &results);
    let first = wait_for_snapshot(&results);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let last = dir.json("r.json");
    assert_eq!(last["meta"]["ended_by"], "running");
    assert!(
        global(&last)["counts"]["events"].as_u64() >= global(&first)["counts"]["events"].as_u64()
    );
    assert_eq!(last["meta"]["users_started"], 3);
    let report = output(sseload().args(["report", &results]));
    assert_eq!(report.status.code(), Some(0), "{}", stderr(&report));
}

#[test]
fn sigterm_stops_the_run_and_writes_what_was_measured() {
    let dir = TempDir::new("term");
    let plan = dir.file("long.yaml", LONG);
    let results = dir.path("r.json");
    let child = spawn_long(&plan, &results);
    wait_for_snapshot(&results);
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let last = dir.json("r.json");
    assert_eq!(last["meta"]["ended_by"], "interrupted");
    assert!(global(&last)["counts"]["events"].as_u64().unwrap() > 0);
    assert!(last["meta"]["duration_s"].as_f64().unwrap() < 30.0);
}

#[test]
fn target_overrides_the_plan_and_a_shard_leaves_the_verdict_to_the_merge() {
    let dir = TempDir::new("target");
    let plan = dir.file(
        "plan.yaml",
        &PLAN.replace("checks.failed_count, lt: 1", "events.count, gt: 0"),
    );
    let results = dir.path("r.json");
    // Nothing listens on port 1: every connect is refused, no event arrives.
    let base = [
        "run",
        &plan,
        "--quiet",
        "--target",
        "http://127.0.0.1:1",
        "--duration",
        "300ms",
        "--results",
        &results,
    ];
    let whole = output(sseload().args(base));
    assert_eq!(whole.status.code(), Some(1), "{}", stderr(&whole));
    let r = dir.json("r.json");
    assert_eq!(r["meta"]["target"], "http://127.0.0.1:1/");
    assert_eq!(r["errors"][0]["kind"], "connect_refused");
    let shard = output(sseload().args(base).args(["--shard", "1/2"]));
    assert_eq!(shard.status.code(), Some(0), "{}", stderr(&shard));
    assert!(
        stderr(&shard).contains("`sseload merge` decides on the whole run"),
        "{}",
        stderr(&shard)
    );
    let bad = output(sseload().args(["run", &plan, "--target", "ftp://x"]));
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("base URL \"ftp://x\" must use http or https"),
        "{}",
        stderr(&bad)
    );
}
