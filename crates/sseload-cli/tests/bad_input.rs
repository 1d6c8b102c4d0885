//! The bad-input matrix of the command line: every class of bad input is
//! refused with exit code 2 and one clear message naming the problem, the
//! exact text of which is checked here. Classes: unknown subcommands and
//! flags, missing arguments, bad option values (durations, counts, scales,
//! addresses, enums, `--set`), scenario files that are missing, directories,
//! unreadable, empty, not UTF-8 or not YAML, and bad URLs (scheme, host,
//! port). Scenario contents are covered in depth by the scenario crate's
//! `errors` tests; here they are checked through the binary once per class.

use std::path::PathBuf;
use std::process::{Command, Output};

fn sseload(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sseload"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs `sseload ARGS`, which must exit 2 with nothing on stdout; returns stderr.
fn refused(args: &[&str]) -> String {
    let output = sseload(args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(output.stdout.is_empty(), "{args:?} printed on stdout");
    stderr
}

/// A directory of its own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("sseload-bad-input-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const VALID: &str = "target: embedded\nvars: { region: eu }\nscenarios:\n  - name: s\n    load: [ { at_once_users: 1 } ]\n    steps: [ { pause: 1ms } ]\n";

#[test]
fn unknown_subcommands_and_flags() {
    assert_eq!(
        refused(&["frobnicate"]),
        "error: unrecognized subcommand 'frobnicate'\n\nUsage: sseload <COMMAND>\n\nFor more information, try '--help'.\n"
    );
    assert_eq!(
        refused(&["run", "--frob", "x.yaml"]),
        "error: unexpected argument '--frob' found\n\n  tip: to pass '--frob' as a value, use '-- --frob'\n\nUsage: sseload run [OPTIONS] [FILE]\n\nFor more information, try '--help'.\n"
    );
    assert_eq!(
        refused(&["serve", "--frob"]),
        "error: unexpected argument '--frob' found\n\nUsage: sseload serve [OPTIONS]\n\nFor more information, try '--help'.\n"
    );
    assert_eq!(
        refused(&[]).lines().next(),
        Some("sseload: load tests and tools for Server-Sent Events endpoints.")
    );
}

#[test]
fn missing_arguments() {
    assert_eq!(
        refused(&["run"]),
        "error: the following required arguments were not provided:\n  <FILE>\n\nUsage: sseload run <FILE>\n\nFor more information, try '--help'.\n"
    );
    assert_eq!(
        refused(&["listen"]),
        "error: the following required arguments were not provided:\n  <URL>\n\nUsage: sseload listen <URL>\n\nFor more information, try '--help'.\n"
    );
    assert_eq!(
        refused(&["report"]),
        "error: the following required arguments were not provided:\n  <RESULTS>\n\nUsage: sseload report <RESULTS>\n\nFor more information, try '--help'.\n"
    );
}

#[test]
fn scenario_files_that_cannot_be_read() {
    let dir = TempDir::new("files");
    let missing = format!("{}/missing.yaml", dir.path());
    for command in ["run", "validate"] {
        assert_eq!(
            refused(&[command, &missing]),
            format!(
                "error: cannot read scenario file {missing}: No such file or directory (os error 2)\n"
            )
        );
        assert_eq!(
            refused(&[command, dir.path()]),
            format!(
                "error: cannot read scenario file {}: Is a directory (os error 21)\n",
                dir.path()
            )
        );
    }
}

#[cfg(unix)]
#[test]
fn an_unreadable_scenario_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("unreadable");
    let file = dir.file("locked.yaml", VALID.as_bytes());
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&file).is_ok() {
        // Root reads any file: the permission class cannot arise here; the
        // directory case above takes the same path (a read error, named).
        return;
    }
    assert_eq!(
        refused(&["validate", &file]),
        format!("error: cannot read scenario file {file}: Permission denied (os error 13)\n")
    );
}

#[test]
fn scenario_files_that_are_empty_binary_or_not_yaml() {
    let dir = TempDir::new("contents");
    let empty = dir.file("empty.yaml", b"");
    assert_eq!(
        refused(&["run", &empty]),
        format!(
            "error: the scenario is empty\n --> {empty}\n  = hint: a scenario needs at least `target:` and `scenarios:`\n1 error in {empty}\n"
        )
    );
    let binary = dir.file("binary.yaml", b"target: \xff\xfe embedded\n");
    assert_eq!(
        refused(&["validate", &binary]),
        format!(
            "error: the file is not UTF-8 text: invalid byte 0xff\n --> {binary}:1:9\n  |\n1 | target: \u{fffd}\u{fffd} embedded\n  |         ^\n  = hint: scenario files are UTF-8 text (YAML); save it as UTF-8\n1 error in {binary}\n"
        )
    );
    let yaml = dir.file("broken.yaml", b"target: [unclosed\n");
    assert_eq!(
        refused(&["validate", &yaml]),
        format!(
            "error: invalid YAML: unclosed bracket '[' at line 1, column 9\n --> {yaml}:1:9\n  |\n1 | target: [unclosed\n  |         ^\n1 error in {yaml}\n"
        )
    );
    let prose = dir.file("prose.yaml", b"Dear reader,\n");
    assert_eq!(
        refused(&["run", &prose]),
        format!(
            "error: expected a mapping, found a string\n --> {prose}:1:1\n  |\n1 | Dear reader,\n  | ^\n1 error in {prose}\n"
        )
    );
}

#[test]
fn bad_run_option_values() {
    let dir = TempDir::new("options");
    let file = dir.file("ok.yaml", VALID.as_bytes());
    let cases: &[(&[&str], &str)] = &[
        (
            &["--duration", "5parsecs"],
            "error: invalid value '5parsecs' for '--duration <DURATION>': invalid duration \"5parsecs\": expected a number and a unit (ms, s, m, h), like 10s or 500ms\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--duration", "0s"],
            "error: invalid value '0s' for '--duration <DURATION>': invalid duration \"0s\": it must be longer than zero\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--users-scale", "abc"],
            "error: invalid value 'abc' for '--users-scale <USERS_SCALE>': \"abc\" is not a number above zero (like 0.5 or 2)\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--users-scale", "0"],
            "error: invalid value '0' for '--users-scale <USERS_SCALE>': \"0\" is not a number above zero (like 0.5 or 2)\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--users-scale", "-1"],
            "error: invalid value '-1' for '--users-scale <USERS_SCALE>': \"-1\" is not a number above zero (like 0.5 or 2)\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--users-scale", "NaN"],
            "error: invalid value 'NaN' for '--users-scale <USERS_SCALE>': \"NaN\" is not a number above zero (like 0.5 or 2)\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--metrics-addr", "nonsense"],
            "error: --metrics-addr \"nonsense\": not an address (expected IP:PORT, e.g. 127.0.0.1:9464)\n",
        ),
        (
            &["--set", "novalue"],
            "error: --set \"novalue\": expected KEY=VALUE\n",
        ),
        (
            &["--set", "colour=blue"],
            "error: --set colour: the plan declares no variable `colour` (declared under `vars:`: region); declare it with a default under `vars:` to set it from the command line\n",
        ),
    ];
    for (options, expected) in cases {
        let args: Vec<&str> = ["run", file.as_str()]
            .iter()
            .chain(*options)
            .copied()
            .collect();
        assert_eq!(refused(&args), *expected, "{options:?}");
    }
}

#[test]
fn bad_listen_option_values_and_urls() {
    let url = "http://127.0.0.1:9/";
    let cases: &[(&[&str], &str)] = &[
        (
            &["--timeout", "10", url],
            "error: invalid value '10' for '--timeout <DURATION>': invalid duration \"10\": expected a number and a unit (ms, s, m, h), like 10s or 500ms\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--idle-timeout", "0s", url],
            "error: invalid value '0s' for '--idle-timeout <DURATION>': invalid duration \"0s\": it must be longer than zero\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--max-events", "0", url],
            "error: invalid value '0' for '--max-events <N>': invalid count \"0\": expected a whole number above zero, like 10\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--retry-policy", "never", url],
            "error: invalid value 'never' for '--retry-policy <RETRY_POLICY>'\n  [possible values: default, browser]\n\nFor more information, try '--help'.\n",
        ),
        (
            &["-X", "BAD METHOD", url],
            "error: invalid method \"BAD METHOD\": invalid HTTP method\n",
        ),
        (
            &["-H", "NoColon", url],
            "error: invalid header \"NoColon\": expected 'Name: value'\n",
        ),
        (
            &["-d", "@/nonexistent/body.json", url],
            "error: cannot read the request body from \"/nonexistent/body.json\": No such file or directory (os error 2)\n",
        ),
        (
            &["--cacert", "/nonexistent/ca.pem", url],
            "error: cannot load CA certificates from /nonexistent/ca.pem: No such file or directory (os error 2)\n",
        ),
        (
            &["ftp://127.0.0.1/x"],
            "error: invalid URL \"ftp://127.0.0.1/x\": scheme \"ftp\" is not http or https\n",
        ),
        (&["http://"], "error: invalid URL \"http://\": empty host\n"),
        (
            &["http://127.0.0.1:99999/"],
            "error: invalid URL \"http://127.0.0.1:99999/\": invalid port number\n",
        ),
        (
            &["http://[::1/"],
            "error: invalid URL \"http://[::1/\": invalid IPv6 address\n",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = ["listen"].iter().chain(*args).copied().collect();
        assert_eq!(refused(&args), *expected, "{args:?}");
    }
}

#[test]
fn bad_urls_in_a_scenario() {
    let dir = TempDir::new("urls");
    let plan = "target: { base_url: \"http://h:99999/\" }\nscenarios:\n  - name: s\n    load: [ { at_once_users: 1 } ]\n    steps:\n      - http: { name: a, url: \"ftp://h/x\" }\n";
    let file = dir.file("urls.yaml", plan.as_bytes());
    assert_eq!(
        refused(&["run", &file]),
        format!(
            "error: invalid base URL `http://h:99999/`: invalid port number\n --> {file}:1:21\n  |\n1 | target: {{ base_url: \"http://h:99999/\" }}\n  |                     ^\n  = hint: write a full URL such as http://127.0.0.1:8080\n\nerror: URL `ftp://h/x` is neither absolute nor a path\n --> {file}:6:31\n  |\n6 |       - http: {{ name: a, url: \"ftp://h/x\" }}\n  |                               ^\n  = hint: start it with `/` (relative to the target) or `http(s)://`\n2 errors in {file}\n"
        )
    );
}

#[test]
fn bad_serve_option_values() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--bind", "nonsense"],
            "error: invalid value 'nonsense' for '--bind <BIND>': invalid socket address syntax\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--data-dir", "/etc/passwd"],
            "error: --data-dir /etc/passwd: not a directory\n",
        ),
        (
            &["--heartbeat", "5x"],
            "error: invalid value '5x' for '--heartbeat <HEARTBEAT>': invalid duration \"5x\": expected a number and a unit (ms, s, m, h), like 10s or 500ms\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--replay", "many"],
            "error: invalid value 'many' for '--replay <REPLAY>': invalid digit found in string\n\nFor more information, try '--help'.\n",
        ),
        (
            &["--queue", "0"],
            "error: invalid server settings: queue must be at least 1\n",
        ),
        (
            &["--lifetime", "0s"],
            "error: invalid server settings: lifetime must be longer than zero\n",
        ),
    ];
    for (case, expected) in cases {
        let mut args = vec!["serve"];
        args.extend_from_slice(case);
        if !case.contains(&"--bind") {
            args.extend(["--bind", "127.0.0.1:0"]);
        }
        assert_eq!(refused(&args), *expected, "{args:?}");
    }
}

#[test]
fn bad_results_files_for_report() {
    let dir = TempDir::new("report");
    let missing = format!("{}/missing.json", dir.path());
    assert_eq!(
        refused(&["report", &missing]),
        format!("error: cannot read {missing}: No such file or directory (os error 2)\n")
    );
    assert_eq!(
        refused(&["report", dir.path()]),
        format!(
            "error: cannot read {}: Is a directory (os error 21)\n",
            dir.path()
        )
    );
    let empty = dir.file("empty.json", b"");
    assert_eq!(
        refused(&["report", &empty]),
        format!(
            "error: {empty}: not a sseload results file: EOF while parsing a value at line 1 column 0\n"
        )
    );
}
