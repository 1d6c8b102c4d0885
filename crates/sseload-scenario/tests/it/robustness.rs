//! Broken input never panics: every prefix of every example, and every
//! example with one line removed, either validates or gets diagnostics.

use std::path::PathBuf;

fn examples() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            texts.push(std::fs::read_to_string(path).unwrap());
        }
    }
    texts
}

fn outcome(text: &str) -> bool {
    match sseload_scenario::from_str(text) {
        Ok(_) => true,
        Err(err) => {
            let diagnostics = err.diagnostics().expect("text is never a read error");
            assert!(!diagnostics.is_empty());
            assert!(!diagnostics.to_string().is_empty());
            false
        }
    }
}

#[test]
fn every_prefix_of_every_example() {
    for text in examples() {
        let ends: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(11).collect();
        for end in ends {
            outcome(&text[..end]);
        }
        assert!(outcome(&text));
    }
}

#[test]
fn every_example_without_one_line() {
    for text in examples() {
        let lines: Vec<&str> = text.lines().collect();
        for skip in 0..lines.len() {
            let without: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            outcome(&without.join("\n"));
        }
    }
}
