//! Wrappers that the raw types use to talk to the node deserializer:
//! [`Spanned`] keeps a value's position, [`Checked`] lets one bad item be
//! reported without losing the rest, [`OneOrMany`] and [`ScalarOr`] accept
//! the short forms of the format.
//!
//! Each asks for itself through `deserialize_newtype_struct` with a private
//! name that only [`super::de`] answers; their JSON Schema is the schema of
//! what they wrap.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::error::Pos;

pub(super) const SPANNED: &str = "\0sseload::Spanned";
pub(super) const CHECKED: &str = "\0sseload::Checked";
pub(super) const ONE_OR_MANY: &str = "\0sseload::OneOrMany";
pub(super) const SCALAR_OR: &str = "\0sseload::ScalarOr";

/// A value and where it was written (nowhere, for the builder).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) at: Option<Pos>,
}

impl<T> Spanned<T> {
    /// A value with no position, as the builder makes them.
    pub(crate) fn new(value: T) -> Self {
        Self { value, at: None }
    }
}

impl<T> From<T> for Spanned<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(SPANNED, SpannedVisitor(PhantomData))
    }
}

struct SpannedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
    type Value = Spanned<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Spanned<T>, A::Error> {
        let line: u32 = seq.next_element()?.unwrap_or(0);
        let column: u32 = seq.next_element()?.unwrap_or(0);
        let value = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("a value is missing"))?;
        let at = (line > 0).then_some(Pos { line, column });
        Ok(Spanned { value, at })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Spanned<T>, D::Error> {
        T::deserialize(d).map(Spanned::new)
    }
}

/// An item that may have failed to deserialize; its error went to the sink.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Checked<T> {
    /// It deserialized.
    Valid(T),
    /// It did not; the problem is already recorded.
    Invalid,
}

impl<T> Checked<T> {
    /// The value, if it deserialized.
    pub(crate) fn valid(&self) -> Option<&T> {
        match self {
            Self::Valid(v) => Some(v),
            Self::Invalid => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Checked<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(CHECKED, CheckedVisitor(PhantomData))
    }
}

struct CheckedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for CheckedVisitor<T> {
    type Value = Checked<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked<T>, A::Error> {
        Ok(seq.next_element()?.map_or(Checked::Invalid, Checked::Valid))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Checked<T>, D::Error> {
        T::deserialize(d).map(Checked::Valid)
    }
}

/// One item, or a list of them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OneOrMany<T>(pub(crate) Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(ONE_OR_MANY, OneOrManyVisitor(PhantomData))
    }
}

struct OneOrManyVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = OneOrMany<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("one item or a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany<T>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(OneOrMany(items))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<OneOrMany<T>, D::Error> {
        T::deserialize(d).map(|one| OneOrMany(vec![one]))
    }
}

/// A short scalar form (`pause: 2s`) or the full mapping (`pause: {min: 1s, max: 3s}`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ScalarOr<S, M> {
    /// The short form.
    Scalar(S),
    /// The mapping.
    Map(M),
}

impl<'de, S: Deserialize<'de>, M: Deserialize<'de>> Deserialize<'de> for ScalarOr<S, M> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(SCALAR_OR, ScalarOrVisitor(PhantomData))
    }
}

struct ScalarOrVisitor<S, M>(PhantomData<(S, M)>);

impl<'de, S: Deserialize<'de>, M: Deserialize<'de>> Visitor<'de> for ScalarOrVisitor<S, M> {
    type Value = ScalarOr<S, M>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or a mapping")
    }

    /// The node deserializer calls this for a mapping.
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<ScalarOr<S, M>, D::Error> {
        M::deserialize(d).map(ScalarOr::Map)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<ScalarOr<S, M>, D::Error> {
        S::deserialize(d).map(ScalarOr::Scalar)
    }
}

macro_rules! transparent_schema {
    ($ty:ident) => {
        impl<T: JsonSchema> JsonSchema for $ty<T> {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                T::schema_name()
            }

            fn schema_id() -> Cow<'static, str> {
                T::schema_id()
            }

            fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
                generator.subschema_for::<T>()
            }
        }
    };
}

transparent_schema!(Spanned);
transparent_schema!(Checked);

impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        let one = generator.subschema_for::<T>();
        json_schema!({ "anyOf": [one, { "type": "array", "items": one }] })
    }
}

impl<S: JsonSchema, M: JsonSchema> JsonSchema for ScalarOr<S, M> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("{}_or_{}", S::schema_name(), M::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> schemars::Schema {
        let scalar = generator.subschema_for::<S>();
        let map = generator.subschema_for::<M>();
        json_schema!({ "anyOf": [scalar, map] })
    }
}
