//! Reading one value out of JSON text without building the document.
//!
//! serde_json's deserializer walks the text once: along the path, each
//! object or array is visited and only the member or element the next step
//! names is descended into; everything else is read and dropped, borrowed
//! where it can be. The value at the end of the path is the only one built.
//!
//! Every part of the text goes through the same deserializer calls as
//! parsing it into a [`Value`] does (`deserialize_any`, string keys, the
//! end-of-input check), so the same texts are accepted and the same errors
//! come out, at the same positions. serde's `IgnoredAny` would be cheaper
//! but is laxer: it does not check that numbers fit (`1e400`) nor that
//! `\u` escapes pair up, which parsing into a `Value` rejects.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::singular::Step;

/// The value at `steps` in `text`, or `None`; `Err` when `text` is not JSON.
/// With duplicate keys the last one counts, as in a parsed [`Value`].
pub(crate) fn find(steps: &[Step], text: &str) -> Result<Option<Value>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let found = Descend { steps }.deserialize(&mut de)?;
    de.end()?;
    Ok(found)
}

/// Whether `text` is JSON whose top level is an object or an array.
pub(crate) fn is_container(text: &str) -> bool {
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_any(Skip { container: true })
        .and_then(|container| de.end().map(|()| container))
        .unwrap_or(false)
}

/// Reads a value, keeping only what is at `steps` below it.
struct Descend<'p> {
    steps: &'p [Step],
}

impl<'de> DeserializeSeed<'de> for Descend<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        match self.steps.split_first() {
            None => Value::deserialize(d).map(Some),
            Some((step, rest)) => d.deserialize_any(Select { step, rest }),
        }
    }
}

/// Visits a value for its member or element `step`.
struct Select<'p> {
    step: &'p Step,
    rest: &'p [Step],
}

impl<'de> Visitor<'de> for Select<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Step::Name(name) = self.step else {
            return Skip::entries(map).map(|_| None);
        };
        let mut found = None;
        while let Some(hit) = map.next_key_seed(KeyIs(name))? {
            if hit {
                found = map.next_value_seed(Descend { steps: self.rest })?;
            } else {
                map.next_value_seed(Skip::default())?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let Step::Index(index) = *self.step else {
            return Skip::elements(seq).map(|_| None);
        };
        for _ in 0..index {
            if seq.next_element_seed(Skip::default())?.is_none() {
                return Ok(None);
            }
        }
        let Some(found) = seq.next_element_seed(Descend { steps: self.rest })? else {
            return Ok(None);
        };
        Skip::elements(seq)?;
        Ok(found)
    }
}

/// Reads a key and says whether it is the name.
struct KeyIs<'p>(&'p str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}

/// Reads a value and drops it; says whether it was an object or an array
/// when `container` (else always `false`).
#[derive(Default, Clone, Copy)]
struct Skip {
    container: bool,
}

impl Skip {
    fn entries<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Self::default())?.is_some() {
            map.next_value_seed(Self::default())?;
        }
        Ok(())
    }

    fn elements<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Self::default())?.is_some() {}
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        Self::entries(map).map(|()| self.container)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        Self::elements(seq).map(|()| self.container)
    }
}
