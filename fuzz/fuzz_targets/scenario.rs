//! Fuzzes the YAML scenario loader: arbitrary bytes (read as UTF-8, invalid
//! sequences replaced) become a `Plan` or a list of diagnostics.
//!
//! Beyond "no panic", each input checks:
//! 1. every diagnostic has a message and a position inside the input: a line
//!    of the text (or the end of it) and a column within that line;
//! 2. the error renders (`Display` quotes the offending line) without panic;
//! 3. loading is deterministic: the same text loaded twice gives the same
//!    plan (compared by its `Debug` form, so a NaN bound compares equal) or
//!    the same diagnostics;
//! 4. a plan's one-line summary renders.
//!
//! Relative file names (feeders, bodies) resolve against an empty directory.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sseload_scenario::{Diagnostic, Error, Plan, from_str_in};

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let first = load(&text);
    let second = load(&text);
    match (&first, &second) {
        (Ok(a), Ok(b)) => {
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "two loads, two plans");
            let _ = a.summary();
        }
        (Err(a), Err(b)) => {
            let (a, b) = (diagnostics(a), diagnostics(b));
            assert_eq!(a, b, "two loads, two sets of diagnostics");
            assert!(!a.is_empty(), "an error without a diagnostic");
            for diagnostic in a {
                check_position(&text, diagnostic);
            }
        }
        _ => panic!("one load succeeded, the other failed"),
    }
});

fn load(text: &str) -> Result<Plan, Error> {
    from_str_in(text, "<fuzz>", empty_dir(), "fuzz")
}

/// An empty directory that relative file names resolve against.
fn empty_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sseload-fuzz-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create an empty directory");
        dir
    })
}

fn diagnostics(err: &Error) -> &[Diagnostic] {
    let diagnostics = err.diagnostics().expect("text input is never a read error");
    let _ = err.to_string();
    diagnostics.items()
}

/// The diagnostic names a line of the input and a column on that line (one
/// past the last character included, for "expected more here"); the line
/// after the last one is allowed for errors at the end of the input. Lines
/// end as YAML says: at `\n`, `\r\n` or a lone `\r`.
fn check_position(text: &str, diagnostic: &Diagnostic) {
    assert!(!diagnostic.message.is_empty(), "an empty message");
    // The one diagnostic the loader gives without a position, on purpose
    // (snapshotted by the scenario and CLI tests): a document with nothing
    // in it but comments and blanks. See .helpers/requests-fuzz.md.
    if diagnostic.at.is_none() && diagnostic.message == "the scenario is empty" {
        return;
    }
    let at = diagnostic
        .at
        .unwrap_or_else(|| panic!("no position: {:?}", diagnostic.message));
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    let line = at.line as usize;
    assert!(
        (1..=lines.len()).contains(&line),
        "line {line} of {} in {:?}",
        lines.len(),
        diagnostic.message
    );
    let width = lines[line - 1].chars().count();
    assert!(
        (1..=width + 1).contains(&(at.column as usize)),
        "column {} of a line {width} characters wide in {:?}",
        at.column,
        diagnostic.message
    );
}
