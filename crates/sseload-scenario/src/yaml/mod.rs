//! Reading YAML: a position-aware node tree ([`node`]), a deserializer over
//! it that collects errors ([`de`]), and the wrappers raw types use ([`wrap`]).

pub(crate) mod de;
pub(crate) mod node;
pub(crate) mod wrap;

pub(crate) use wrap::{Checked, OneOrMany, ScalarOr, Spanned};
