//! Session expressions: `#{…}` templates, compiled once into literal,
//! variable and function parts, with session variables interned as [`VarId`]s.
//!
//! The syntax is Gatling's expression language: `#{name}`, `#{name.key}`,
//! `#{name(0)}` (negative indexes count from the end), `#{name.size()}`,
//! `.random()`, `.exists()`, `.isUndefined()`, `.jsonStringify()`, and the
//! functions `randomInt`, `randomLong`, `randomDouble`, `randomUuid`,
//! `randomAlphanumeric`, `currentTimeMillis` and `currentDate` (RFC 3339).
//! `\#{` writes a literal `#{`.

mod parse;
mod render;
mod template;

pub use render::{Lookup, RenderError};
pub use template::{Access, Function, Part, Template, VarFunction, VarRef};

pub(crate) use parse::compile;

/// A session variable, interned: an index into [`Vars`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VarId(pub(crate) u32);

impl VarId {
    /// The index, for a session stored as a vector.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The names of every session variable a plan uses; a session can be a
/// vector indexed by [`VarId`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    names: Vec<String>,
}

impl Vars {
    /// The id of `name`, adding it if new.
    pub(crate) fn intern(&mut self, name: &str) -> VarId {
        if let Some(id) = self.get(name) {
            return id;
        }
        self.names.push(name.to_owned());
        VarId(u32::try_from(self.names.len() - 1).unwrap_or(u32::MAX))
    }

    /// The id of `name`, if the plan uses it.
    pub fn get(&self, name: &str) -> Option<VarId> {
        let index = self.names.iter().position(|n| n == name)?;
        u32::try_from(index).ok().map(VarId)
    }

    /// The name of a variable.
    pub fn name(&self, id: VarId) -> &str {
        self.names.get(id.index()).map_or("", String::as_str)
    }

    /// How many variables there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether the plan uses none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
