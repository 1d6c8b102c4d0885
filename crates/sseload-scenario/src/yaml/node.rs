//! The YAML document as a tree of nodes that remember where they were
//! written, read once with serde-saphyr.
//!
//! Typed deserialization then runs over this tree ([`super::de`]), so that
//! every error, including the ones found after parsing, can name a line and
//! column, and so that one bad step does not hide the problems in the next.

use serde::Deserialize;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::error::{Diagnostic, Pos};

/// A YAML node and its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) pos: Option<Pos>,
    pub(crate) kind: Kind,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Kind {
    /// How the node is called in error messages ("found a sequence").
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Self::Null => "nothing (null)",
            Self::Bool(_) => "a boolean",
            Self::Int(_) | Self::Uint(_) => "an integer",
            Self::Float(_) => "a number",
            Self::Str(_) => "a string",
            Self::Seq(_) => "a list",
            Self::Map(_) => "a mapping",
        }
    }
}

/// Parses YAML text into a node tree, or the one syntax error that stops it.
///
/// Booleans are YAML 1.2's only (`true`, `false`): a loop counter named `n`
/// or a value `no` stays text, as the YAML 1.1 spellings surprise people.
/// Duplicate keys are an error.
pub(crate) fn parse(source: &str) -> Result<Node, Diagnostic> {
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Node>(source, options).map_err(|err| syntax_error(&err))
}

fn syntax_error(err: &serde_saphyr::Error) -> Diagnostic {
    let at = err
        .location()
        .and_then(|loc| position(loc.line(), loc.column()));
    let text = err.without_snippet().to_string();
    let message = strip_location_prefix(&text);
    if let Some(key) = duplicate_key(message) {
        return Diagnostic::new(format!("invalid YAML: duplicate key `{key}`"), at)
            .hint("a key may appear only once in a mapping; keep one of them");
    }
    Diagnostic::new(format!("invalid YAML: {message}"), at)
}

/// The key of serde-saphyr's "duplicate mapping key: KEY, set
/// DuplicateKeyPolicy in Options if acceptable …", which names an API the
/// reader of a scenario cannot use.
fn duplicate_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("duplicate mapping key: ")?;
    Some(
        rest.split_once(", set DuplicateKeyPolicy")
            .map_or(rest, |(key, _)| key),
    )
}

/// serde-saphyr prefixes messages with "line L column C: "; we print the
/// position ourselves.
fn strip_location_prefix(text: &str) -> &str {
    if text.starts_with("line ")
        && let Some((_, rest)) = text.split_once(": ")
    {
        return rest;
    }
    text
}

fn position(line: u64, column: u64) -> Option<Pos> {
    let line = u32::try_from(line).ok().filter(|l| *l > 0)?;
    let column = u32::try_from(column).ok().filter(|c| *c > 0)?;
    Some(Pos { line, column })
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Kind>::deserialize(deserializer)?;
        let loc = spanned.referenced;
        Ok(Self {
            pos: position(loc.line(), loc.column()),
            kind: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Kind, E> {
        Ok(Kind::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Kind, E> {
        Ok(Kind::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Kind, E> {
        Ok(Kind::Uint(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Kind, E> {
        Ok(Kind::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Str(v.to_owned()))
    }

    fn visit_unit<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }

    fn visit_none<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        Kind::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(node) = seq.next_element()? {
            items.push(node);
        }
        Ok(Kind::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Kind::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_position() {
        let node = parse("a:\n  - 1\n  - x\n").unwrap();
        let Kind::Map(entries) = node.kind else {
            panic!("a mapping")
        };
        let Kind::Seq(items) = &entries[0].1.kind else {
            panic!("a list")
        };
        assert_eq!(items[1].pos, Some(Pos { line: 3, column: 5 }));
        assert_eq!(entries[0].0.pos, Some(Pos { line: 1, column: 1 }));
    }

    #[test]
    fn only_yaml_1_2_booleans() {
        let node = parse("[n, no, yes, off, true]").unwrap();
        let Kind::Seq(items) = node.kind else {
            panic!("a list")
        };
        let kinds: Vec<Kind> = items.into_iter().map(|n| n.kind).collect();
        let text = |s: &str| Kind::Str(s.to_owned());
        assert_eq!(
            kinds,
            vec![
                text("n"),
                text("no"),
                text("yes"),
                text("off"),
                Kind::Bool(true)
            ]
        );
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(err.at.map(|p| p.line), Some(2), "{}", err.message);
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse("a: [1, 2\nb: 3").unwrap_err();
        assert_eq!(err.at, Some(Pos { line: 2, column: 2 }));
        assert!(err.message.starts_with("invalid YAML: "), "{}", err.message);
    }
}
