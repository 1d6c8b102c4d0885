//! Singular JSON Paths: a chain of member names and non-negative indexes
//! (`$.a`, `$['a'].b`, `$.choices[0].delta.content`), which select at most
//! one value. Checks read them from the event's text without building the
//! whole document (see [`super::walk`]).
//!
//! The source is parsed here for the shapes we know, then rendered back and
//! parsed again by `serde_json_path`: the path is taken as singular only if
//! that gives the very query the check was compiled to, so a misreading here
//! costs speed (the general path runs), never a different result.

use serde_json::Value;

/// One step of a singular path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// A member of an object.
    Name(String),
    /// An element of an array, from 0.
    Index(usize),
}

/// A path that selects at most one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SingularPath {
    steps: Box<[Step]>,
}

/// A step as written: `.name` or in brackets (the two are different queries
/// to `serde_json_path`, though they select the same).
struct Written {
    step: Step,
    dotted: bool,
}

/// The key serde_json uses for numbers when built with `arbitrary_precision`:
/// a path naming it would see numbers as objects, so it takes the general path.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

impl SingularPath {
    /// The singular form of `source`, if it has one and it means exactly `compiled`.
    pub(crate) fn of(source: &str, compiled: &serde_json_path::JsonPath) -> Option<Self> {
        let written = parse(source)?;
        let rendered = render(&written);
        let same = serde_json_path::JsonPath::parse(&rendered).is_ok_and(|p| &p == compiled);
        let steps: Box<[Step]> = written.into_iter().map(|w| w.step).collect();
        let plain = !steps
            .iter()
            .any(|s| matches!(s, Step::Name(n) if n == NUMBER_TOKEN));
        (same && plain).then_some(Self { steps })
    }

    /// The singular form of a JMESPath expression: fields, non-negative
    /// indexes and subexpressions of those (`a.b`, `choices[0].text`).
    pub(crate) fn of_jmespath(ast: &jmespath::ast::Ast) -> Option<Self> {
        let mut steps = Vec::new();
        jmespath_steps(ast, &mut steps)?;
        let plain = !steps
            .iter()
            .any(|s| matches!(s, Step::Name(n) if n == NUMBER_TOKEN));
        plain.then(|| Self {
            steps: steps.into(),
        })
    }

    /// The steps, from the root.
    pub(crate) fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The value at the path in an already parsed document.
    pub(crate) fn lookup<'v>(&self, mut value: &'v Value) -> Option<&'v Value> {
        for step in &self.steps {
            value = match step {
                Step::Name(name) => value.as_object()?.get(name)?,
                Step::Index(i) => value.as_array()?.get(*i)?,
            };
        }
        Some(value)
    }
}

/// Appends the steps of `ast`, or gives `None` when it is not a chain.
fn jmespath_steps(ast: &jmespath::ast::Ast, steps: &mut Vec<Step>) -> Option<()> {
    use jmespath::ast::Ast;
    match ast {
        Ast::Field { name, .. } => steps.push(Step::Name(name.clone())),
        Ast::Index { idx, .. } => steps.push(Step::Index(usize::try_from(*idx).ok()?)),
        Ast::Subexpr { lhs, rhs, .. } => {
            jmespath_steps(lhs, steps)?;
            jmespath_steps(rhs, steps)?;
        }
        Ast::Identity { .. } => {}
        _ => return None,
    }
    Some(())
}

/// The steps of `source`, or `None` when it is not a chain of names and indexes.
fn parse(source: &str) -> Option<Vec<Written>> {
    let mut rest = source.strip_prefix('$')?;
    let mut steps = Vec::new();
    loop {
        rest = rest.trim_start_matches(BLANK);
        let Some(c) = rest.chars().next() else {
            return Some(steps);
        };
        let (written, after) = match c {
            '.' => dotted(&rest[1..])?,
            '[' => bracketed(&rest[1..])?,
            _ => return None,
        };
        steps.push(written);
        rest = after;
    }
}

/// Blank space as RFC 9535 has it.
const BLANK: [char; 4] = [' ', '\t', '\n', '\r'];

/// A member-name shorthand (after the dot).
fn dotted(text: &str) -> Option<(Written, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii()))
        .unwrap_or(text.len());
    let name = &text[..end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let step = Step::Name(name.to_owned());
    Some((Written { step, dotted: true }, &text[end..]))
}

/// One name or index selector in brackets (after the `[`).
fn bracketed(text: &str) -> Option<(Written, &str)> {
    let text = text.trim_start_matches(BLANK);
    let (step, rest) = match text.chars().next()? {
        quote @ ('\'' | '"') => string_literal(&text[1..], quote)?,
        '0'..='9' => index(text)?,
        _ => return None,
    };
    let rest = rest.trim_start_matches(BLANK).strip_prefix(']')?;
    Some((
        Written {
            step,
            dotted: false,
        },
        rest,
    ))
}

/// A non-negative index without leading zeros.
fn index(text: &str) -> Option<(Step, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let digits = &text[..end];
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    Some((Step::Index(digits.parse().ok()?), &text[end..]))
}

/// A quoted name (after the opening `quote`), with its escapes decoded.
fn string_literal(text: &str, quote: char) -> Option<(Step, &str)> {
    let mut name = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c == quote => return Some((Step::Name(name), &text[at + 1..])),
            '\\' => name.push(escape(&mut chars)?),
            c if c < ' ' => return None,
            c => name.push(c),
        }
    }
    None
}

/// The character an escape stands for (after the backslash).
fn escape(chars: &mut std::str::CharIndices<'_>) -> Option<char> {
    Some(match chars.next()?.1 {
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        c @ ('/' | '\\' | '\'' | '"') => c,
        'u' => return unicode(chars),
        _ => return None,
    })
}

/// A `\uXXXX` escape (after the `u`), or a surrogate pair of two.
fn unicode(chars: &mut std::str::CharIndices<'_>) -> Option<char> {
    let high = hex4(chars)?;
    if !(0xD800..0xDC00).contains(&high) {
        return char::from_u32(high);
    }
    let (_, '\\') = chars.next()? else {
        return None;
    };
    let (_, 'u') = chars.next()? else {
        return None;
    };
    let low = hex4(chars)?;
    if !(0xDC00..0xE000).contains(&low) {
        return None;
    }
    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
}

fn hex4(chars: &mut std::str::CharIndices<'_>) -> Option<u32> {
    (0..4).try_fold(0, |acc, _| Some(acc * 16 + chars.next()?.1.to_digit(16)?))
}

/// The steps written back as a query: dotted names as they were, the others
/// in brackets with quotes, backslashes and control characters escaped.
fn render(written: &[Written]) -> String {
    let mut out = String::from("$");
    for w in written {
        match &w.step {
            Step::Name(name) if w.dotted => {
                out.push('.');
                out.push_str(name);
            }
            Step::Name(name) => {
                out.push_str("['");
                for c in name.chars() {
                    match c {
                        '\'' | '\\' => out.extend(['\\', c]),
                        c if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                        c => out.push(c),
                    }
                }
                out.push_str("']");
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests;
