//! Fuzzes the expression side of scenarios: `#{…}` templates (compiled and
//! rendered), and the queries of checks (JSON Path, JMESPath, regex
//! extractors, `matches` validators) compiled by the loader and evaluated on
//! an event.
//!
//! Input, line by line: the kind (`t` template, `p` json_path, `j`
//! jmes_path, `r` regex, `m` matches), the text, then the event data (JSON
//! when it parses; its object keys are the session's variables).
//!
//! Beyond "no panic", each input checks:
//! 1. the text written into a scenario (as a YAML double-quoted scalar) is
//!    accepted by the loader exactly when it compiles on its own, and every
//!    diagnostic points at that scalar (line and column);
//! 2. compiling and rendering are deterministic (same seed, same output);
//! 3. a render error names an expression of the template; presence tests
//!    (`exists()`, `isUndefined()`) never fail;
//! 4. a template without `#{` renders to its text with `\#{` unescaped, and
//!    a template that is one built-in call renders in its range and shape;
//! 5. a failing query criterion names its query in its message.
#![no_main]

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;
use sseload_scenario::check::{Env, EventView, Subject};
use sseload_scenario::expr::{Function, Part, VarFunction};
use sseload_scenario::fuzzing::compile_template;
use sseload_scenario::{Criterion, Plan, Step, Template, Vars};

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let mut lines = text.splitn(3, '\n');
    let (Some(kind), Some(source)) = (lines.next(), lines.next()) else {
        return;
    };
    let data = lines.next().unwrap_or_default();
    let Some(kind) = Kind::from_line(kind) else {
        return;
    };
    match kind {
        Kind::Template => template(source, serde_json::from_str::<Value>(data).ok().as_ref()),
        _ => query(kind, source, data),
    }
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Template,
    JsonPath,
    JmesPath,
    Regex,
    Matches,
}

impl Kind {
    fn from_line(line: &str) -> Option<Self> {
        Some(match line.trim_end_matches('\r') {
            "t" => Self::Template,
            "p" => Self::JsonPath,
            "j" => Self::JmesPath,
            "r" => Self::Regex,
            "m" => Self::Matches,
            _ => return None,
        })
    }

    /// The criterion's lines in the scenario, the text quoted at `{}`.
    fn criterion(self) -> &'static str {
        match self {
            Self::Template => "- data: {}",
            Self::JsonPath => "- json_path: {}",
            Self::JmesPath => "- jmes_path: {}",
            Self::Regex => "- regex: {}",
            Self::Matches => "- field: data\n                      matches: {}",
        }
    }

    /// How a failure message of the criterion starts.
    fn describe(self, source: &str) -> String {
        match self {
            Self::Template | Self::Matches => "field `data`".to_owned(),
            Self::JsonPath => format!("json_path `{source}`"),
            Self::JmesPath => format!("jmes_path `{source}`"),
            Self::Regex => format!("regex `{source}`"),
        }
    }
}

const NOW_MS: u64 = 1_763_737_445_123;

fn template(source: &str, session_json: Option<&Value>) {
    let compiled = compile_template(source);
    assert_eq!(
        compiled,
        compile_template(source),
        "compiled twice, differently"
    );
    let loaded = load(Kind::Template, source);
    let Ok((template, vars)) = compiled else {
        assert!(
            loaded.is_err(),
            "the loader accepts what the compiler refuses: {source:?}"
        );
        return;
    };
    if let Err(messages) = &loaded {
        let unset = |m: &String| m.starts_with("session variable `") && m.contains("is never set");
        assert!(
            messages.iter().all(unset),
            "the loader refuses a template that compiles: {messages:?}"
        );
    }
    assert_eq!(template.source(), source);
    let session = session(&template, &vars, session_json);
    let first = render(&template, &session);
    assert_eq!(
        first,
        render(&template, &session),
        "rendered twice, differently"
    );
    check_render(source, &template, &first);
}

fn render(template: &Template, session: &Vec<Option<Value>>) -> Result<String, String> {
    let now = UNIX_EPOCH + Duration::from_millis(NOW_MS);
    let mut rng = StdRng::seed_from_u64(7);
    template
        .render_to_string(session, &mut rng, now)
        .map_err(|e| e.to_string())
}

/// Each variable of the template: the key of that name in the data object.
fn session(template: &Template, vars: &Vars, json: Option<&Value>) -> Vec<Option<Value>> {
    let mut session = vec![None; vars.len()];
    for var in template.vars() {
        session[var.var.index()] = json.and_then(|j| j.get(vars.name(var.var))).cloned();
    }
    session
}

fn check_render(source: &str, template: &Template, rendered: &Result<String, String>) {
    let parts = template.parts();
    match rendered {
        Err(message) => {
            let named = template
                .vars()
                .any(|v| message.starts_with(&format!("cannot render `#{{{}}}`", v.text)));
            assert!(
                named,
                "a render error names no expression of the template: {message}"
            );
            let presence = |p: &Part| matches!(p, Part::Var(v) if matches!(v.then, Some(VarFunction::Exists | VarFunction::IsUndefined)));
            assert!(
                !parts
                    .iter()
                    .all(|p| presence(p) || matches!(p, Part::Literal(_) | Part::Call(_))),
                "a presence test failed: {message}"
            );
        }
        Ok(out) => {
            if parts.iter().all(|p| matches!(p, Part::Literal(_))) {
                assert_eq!(*out, source.replace("\\#{", "#{"), "a literal template");
            }
            if let [Part::Call(call)] = parts {
                check_call(call, out);
            }
        }
    }
}

fn check_call(call: &Function, out: &str) {
    match call {
        Function::RandomInt { min, max } | Function::RandomLong { min, max } => {
            let n: i64 = out.parse().expect("an integer");
            assert!((*min..*max).contains(&n), "{n} outside {min}..{max}");
        }
        Function::RandomDouble { min, max, digits } => {
            let x: f64 = out.parse().expect("a number");
            let slack = digits.map_or(0.0, |d| 0.5 * 10f64.powi(-(d as i32)));
            assert!(
                x >= min - slack && x <= max + slack,
                "{x} outside {min}..{max}"
            );
            if let Some(d) = digits {
                let decimals = out.split_once('.').map_or(0, |(_, f)| f.len());
                assert_eq!(decimals, *d as usize, "{out} with {d} digits");
            }
        }
        Function::RandomAlphanumeric(n) => {
            assert_eq!(out.len(), *n);
            assert!(out.chars().all(|c| c.is_ascii_alphanumeric()));
        }
        Function::RandomUuid => assert_eq!(out.len(), 36),
        Function::CurrentTimeMillis => assert_eq!(out, NOW_MS.to_string()),
        Function::CurrentDate => assert_eq!(out, "2025-11-21T15:04:05.123Z"),
    }
}

fn query(kind: Kind, source: &str, data: &str) {
    let Ok(plan) = load(kind, source) else { return };
    let criterion = last_criterion(&plan);
    let vars: Vec<Option<Value>> = vec![None; plan.vars.len()];
    let event = EventView {
        event_type: "message",
        id: Some("1"),
        data,
        retry: None,
    };
    let first = evaluate(criterion, event, &vars);
    assert_eq!(
        first,
        evaluate(criterion, event, &vars),
        "evaluated twice, differently"
    );
    if let Err(message) = first {
        assert!(
            message.starts_with(&kind.describe(source)),
            "a failure that does not name its query: {message}"
        );
    }
}

fn evaluate(
    criterion: &Criterion,
    event: EventView<'_>,
    vars: &Vec<Option<Value>>,
) -> Result<(), String> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut env = Env {
        vars,
        rng: &mut rng,
        now: SystemTime::UNIX_EPOCH,
    };
    criterion.evaluate(&Subject::event(event), &mut env).result
}

fn last_criterion(plan: &Plan) -> &Criterion {
    let Step::SseConnect(connect) = &plan.scenarios[0].steps[0] else {
        panic!("the step is sse_connect")
    };
    connect.sequences[0].checks[0]
        .check
        .last()
        .expect("a criterion")
}

/// The line and column the quoted text starts at in [`scenario`].
const TEXT_LINE: u32 = 16;

/// A scenario whose one check holds the text.
fn scenario(kind: Kind, source: &str) -> String {
    let criterion = kind.criterion().replace("{}", &yaml_quote(source));
    format!(
        "name: fuzz
target: embedded
scenarios:
  - name: s
    load:
      - at_once_users: 1
    steps:
      - sse_connect:
          name: c
          url: /x
          await:
            - timeout: 1s
              checks:
                - name: k
                  check:
                    {criterion}
"
    )
}

/// A YAML double-quoted scalar: printable ASCII as is, everything else escaped.
fn yaml_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {
                let _ = write!(out, "\\U{:08X}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// Loads the scenario; every diagnostic must point at the quoted text.
fn load(kind: Kind, source: &str) -> Result<Plan, Vec<String>> {
    let yaml = scenario(kind, source);
    let (line, column) = text_position(kind, &yaml);
    let err = match sseload_scenario::from_str_in(&yaml, "<fuzz>", empty_dir(), "fuzz") {
        Ok(plan) => return Ok(plan),
        Err(err) => err,
    };
    let diagnostics = err
        .diagnostics()
        .expect("text input is never a read error")
        .items();
    for d in diagnostics {
        let at = d.at.unwrap_or_else(|| panic!("no position: {}", d.message));
        assert_eq!(
            (at.line, at.column),
            (line, column),
            "{} in\n{yaml}",
            d.message
        );
    }
    Err(diagnostics.iter().map(|d| d.message.clone()).collect())
}

fn text_position(kind: Kind, yaml: &str) -> (u32, u32) {
    let line = if kind == Kind::Matches {
        TEXT_LINE + 1
    } else {
        TEXT_LINE
    };
    let text = yaml.lines().nth(line as usize - 1).expect("the line");
    let column = text.find('"').expect("the quote") + 1;
    (line, u32::try_from(column).expect("a short line"))
}

fn empty_dir() -> &'static std::path::PathBuf {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("sseload-fuzz-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create an empty directory");
        dir
    })
}
