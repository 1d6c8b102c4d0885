//! A serde `Deserializer` over the node tree.
//!
//! It attaches the position of the innermost node to every error, words the
//! errors for scenario authors ("unknown key", with the keys that are
//! allowed as a hint), and lets [`Checked`](super::Checked) items record
//! their error in a sink and carry on, so that one run finds every
//! structural problem in the file.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, Visitor};

use super::node::{Kind, Node};
use super::wrap::{CHECKED, ONE_OR_MANY, SCALAR_OR, SPANNED};
use crate::error::{Diagnostic, Pos};

/// Splits a custom error message from its hint: the raw types' own
/// `Deserialize` impls are generic over the error type and can only pass text.
pub(crate) const HINT_SEPARATOR: &str = "\n= hint: ";

/// Where recovered errors go.
pub(crate) type Sink = RefCell<Vec<Diagnostic>>;

/// A deserialization error, positioned at the innermost node.
#[derive(Debug)]
pub(crate) struct DeError(Diagnostic);

impl DeError {
    fn at(mut self, pos: Option<Pos>) -> Self {
        if self.0.at.is_none() {
            self.0.at = pos;
        }
        self
    }

    pub(crate) fn into_diagnostic(self) -> Diagnostic {
        self.0
    }

    fn with_hint(message: String, hint: String) -> Self {
        Self(Diagnostic::new(message, None).hint(hint))
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for DeError {}

/// Rust type names, as serde's primitive visitors describe themselves, in words.
fn human(expected: &str) -> String {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128" => {
            "a whole number".to_owned()
        }
        "f32" | "f64" => "a number".to_owned(),
        "a string" => "text".to_owned(),
        other => other.to_owned(),
    }
}

fn one_of(expected: &[&str]) -> String {
    let names: Vec<String> = expected.iter().map(|e| format!("`{e}`")).collect();
    format!("expected one of {}", names.join(", "))
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let text = msg.to_string();
        match text.split_once(HINT_SEPARATOR) {
            Some((message, hint)) => Self::with_hint(message.to_owned(), hint.to_owned()),
            None => Self(Diagnostic::new(text, None)),
        }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::with_hint(format!("unknown key `{field}`"), one_of(expected))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::with_hint(format!("unknown kind `{variant}`"), one_of(expected))
    }

    fn missing_field(field: &'static str) -> Self {
        Self::with_hint(
            format!("missing key `{field}`"),
            format!("add `{field}:` to this mapping"),
        )
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self(Diagnostic::new(
            format!("key `{field}` is given twice"),
            None,
        ))
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        let expected = human(&exp.to_string());
        Self(Diagnostic::new(
            format!("expected {expected}, found {unexp}"),
            None,
        ))
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        Self(Diagnostic::new(
            format!("invalid value {unexp}: expected {exp}"),
            None,
        ))
    }
}

/// Deserializes `T` from `node`, recording recovered errors in `sink`.
pub(crate) fn from_node<T: de::DeserializeOwned>(
    node: &Node,
    sink: &Sink,
) -> Result<T, Diagnostic> {
    T::deserialize(NodeDe { node, sink }).map_err(DeError::into_diagnostic)
}

/// The deserializer for one node.
#[derive(Clone, Copy)]
pub(crate) struct NodeDe<'a> {
    node: &'a Node,
    sink: &'a Sink,
}

impl<'a> NodeDe<'a> {
    fn child(self, node: &'a Node) -> Self {
        Self {
            node,
            sink: self.sink,
        }
    }

    fn wrong_type(self, expected: &str) -> DeError {
        DeError(Diagnostic::new(
            format!("expected {expected}, found {}", self.node.kind.describe()),
            self.node.pos,
        ))
    }

    fn empty_map(self) -> MapAcc<'a> {
        MapAcc {
            entries: [].iter(),
            value: None,
            de: self,
        }
    }
}

macro_rules! forward_any {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.deserialize_any(visitor)
        })*
    };
}

impl<'de, 'a> Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            Kind::Null => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(*b),
            Kind::Int(i) => visitor.visit_i64(*i),
            Kind::Uint(u) => visitor.visit_u64(*u),
            Kind::Float(x) => visitor.visit_f64(*x),
            Kind::Str(s) => visitor.visit_str(s),
            Kind::Seq(items) => visitor.visit_seq(SeqAcc {
                items: items.iter(),
                de: self,
            }),
            Kind::Map(entries) => visitor.visit_map(MapAcc {
                entries: entries.iter(),
                value: None,
                de: self,
            }),
        };
        result.map_err(|e| e.at(self.node.pos))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.kind {
            Kind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // Numbers and booleans are accepted where text is expected, as YAML
        // authors write `id: 42` and mean the text "42".
        let text = match &self.node.kind {
            Kind::Str(s) => {
                return visitor
                    .visit_str(s)
                    .map_err(|e: DeError| e.at(self.node.pos));
            }
            Kind::Bool(b) => b.to_string(),
            Kind::Int(i) => i.to_string(),
            Kind::Uint(u) => u.to_string(),
            Kind::Float(x) => x.to_string(),
            _ => return Err(self.wrong_type("text")),
        };
        visitor
            .visit_string(text)
            .map_err(|e: DeError| e.at(self.node.pos))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            Kind::Seq(items) => visitor
                .visit_seq(SeqAcc {
                    items: items.iter(),
                    de: self,
                })
                .map_err(|e| e.at(self.node.pos)),
            _ => Err(self.wrong_type("a list")),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let access = match &self.node.kind {
            Kind::Map(entries) => MapAcc {
                entries: entries.iter(),
                value: None,
                de: self,
            },
            Kind::Null => self.empty_map(),
            _ => return Err(self.wrong_type("a mapping")),
        };
        visitor.visit_map(access).map_err(|e| e.at(self.node.pos))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let pos = self.node.pos;
        let result = match name {
            SPANNED => visitor.visit_seq(SpannedAcc { de: self, step: 0 }),
            CHECKED => visitor.visit_seq(CheckedAcc { de: Some(self) }),
            ONE_OR_MANY if matches!(self.node.kind, Kind::Seq(_)) => {
                visitor.visit_seq(match &self.node.kind {
                    Kind::Seq(items) => SeqAcc {
                        items: items.iter(),
                        de: self,
                    },
                    _ => SeqAcc {
                        items: [].iter(),
                        de: self,
                    },
                })
            }
            SCALAR_OR if matches!(self.node.kind, Kind::Map(_)) => visitor.visit_some(self),
            _ => visitor.visit_newtype_struct(self),
        };
        result.map_err(|e| e.at(pos))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let result = match &self.node.kind {
            Kind::Str(_) => visitor.visit_enum(EnumAcc {
                tag: self,
                content: None,
            }),
            Kind::Map(entries) if entries.len() == 1 => {
                let (key, value) = &entries[0];
                visitor.visit_enum(EnumAcc {
                    tag: self.child(key),
                    content: Some(self.child(value)),
                })
            }
            Kind::Map(entries) => Err(DeError::with_hint(
                format!("expected exactly one kind, found {} keys", entries.len()),
                format!("write each as its own list item; {}", one_of(variants)),
            )),
            _ => Err(DeError::with_hint(
                format!("expected a kind, found {}", self.node.kind.describe()),
                one_of(variants),
            )),
        };
        result.map_err(|e| e.at(self.node.pos))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    forward_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_char deserialize_bytes deserialize_byte_buf
        deserialize_unit
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }
}

struct SeqAcc<'a> {
    items: std::slice::Iter<'a, Node>,
    de: NodeDe<'a>,
}

impl<'de> de::SeqAccess<'de> for SeqAcc<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            Some(node) => seed
                .deserialize(self.de.child(node))
                .map(Some)
                .map_err(|e| e.at(node.pos)),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAcc<'a> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
    de: NodeDe<'a>,
}

impl<'de> de::MapAccess<'de> for MapAcc<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(self.de.child(key))
            .map(Some)
            .map_err(|e| e.at(key.pos))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value without its key"))?;
        seed.deserialize(self.de.child(node))
            .map_err(|e| e.at(node.pos))
    }
}

/// Hands a [`Spanned`](super::Spanned) visitor the line, the column, then the value.
struct SpannedAcc<'a> {
    de: NodeDe<'a>,
    step: u8,
}

impl<'de> de::SeqAccess<'de> for SpannedAcc<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        self.step += 1;
        let pos = self.de.node.pos;
        match self.step {
            1 => seed
                .deserialize(pos.map_or(0, |p| p.line).into_deserializer())
                .map(Some),
            2 => seed
                .deserialize(pos.map_or(0, |p| p.column).into_deserializer())
                .map(Some),
            3 => seed.deserialize(self.de).map(Some),
            _ => Ok(None),
        }
    }
}

/// Hands a [`Checked`](super::Checked) visitor its value, or nothing after
/// recording the error in the sink.
struct CheckedAcc<'a> {
    de: Option<NodeDe<'a>>,
}

impl<'de> de::SeqAccess<'de> for CheckedAcc<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(de) = self.de.take() else {
            return Ok(None);
        };
        match seed.deserialize(de) {
            Ok(value) => Ok(Some(value)),
            Err(err) => {
                de.sink
                    .borrow_mut()
                    .push(err.at(de.node.pos).into_diagnostic());
                Ok(None)
            }
        }
    }
}

struct EnumAcc<'a> {
    tag: NodeDe<'a>,
    content: Option<NodeDe<'a>>,
}

impl<'de, 'a> de::EnumAccess<'de> for EnumAcc<'a> {
    type Error = DeError;
    type Variant = VariantAcc<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantAcc<'a>), DeError> {
        let value = seed
            .deserialize(self.tag)
            .map_err(|e| e.at(self.tag.node.pos))?;
        Ok((
            value,
            VariantAcc {
                tag: self.tag,
                content: self.content,
            },
        ))
    }
}

/// The value under a kind's key; a bare `- kind` list item has none, which
/// reads as an empty mapping so that `- sse_close` means `sse_close: {}`.
struct VariantAcc<'a> {
    tag: NodeDe<'a>,
    content: Option<NodeDe<'a>>,
}

impl<'de> de::VariantAccess<'de> for VariantAcc<'_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.content {
            Some(content) if !matches!(content.node.kind, Kind::Null) => {
                let name = match &self.tag.node.kind {
                    Kind::Str(s) => s.as_str(),
                    _ => "this kind",
                };
                Err(DeError(Diagnostic::new(
                    format!("`{name}` takes no value"),
                    content.node.pos,
                )))
            }
            _ => Ok(()),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        match self.content {
            Some(content) => seed.deserialize(content),
            None => seed.deserialize(NullDe { tag: self.tag }),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        match self.content {
            Some(content) => content.deserialize_seq(visitor),
            None => Err(self.tag.wrong_type("a list")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.content {
            Some(content) => content.deserialize_map(visitor),
            None => visitor.visit_map(self.tag.empty_map()),
        }
    }
}

/// Deserializes a missing value as null, positioned at the kind's name.
struct NullDe<'a> {
    tag: NodeDe<'a>,
}

impl<'de> Deserializer<'de> for NullDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor
            .visit_unit()
            .map_err(|e: DeError| e.at(self.tag.node.pos))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor
            .visit_map(self.tag.empty_map())
            .map_err(|e| e.at(self.tag.node.pos))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_name_the_type_in_words() {
        let tree = super::super::node::parse("many").unwrap();
        let sink = Sink::default();
        let err = from_node::<i64>(&tree, &sink).unwrap_err();
        assert_eq!(
            err.message,
            "expected a whole number, found string \"many\""
        );
    }
}
