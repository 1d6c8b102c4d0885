//! The compiled form of a template.

use super::VarId;

/// A compiled `#{…}` template.
///
/// Equality compares the compiled parts, so a template built from the same
/// text compares equal however it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub(crate) source: String,
    pub(crate) parts: Vec<Part>,
}

impl Template {
    /// The text the template was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The text, when the template has no `#{…}` at all.
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [Part::Literal(text)] => Some(text),
            _ => None,
        }
    }

    /// The session variables the template reads.
    pub fn vars(&self) -> impl Iterator<Item = &VarRef> {
        self.parts.iter().filter_map(|part| match part {
            Part::Var(var) => Some(var),
            _ => None,
        })
    }
}

/// One part of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// Text copied as is.
    Literal(String),
    /// A session variable, possibly reached into.
    Var(VarRef),
    /// A built-in function.
    Call(Function),
}

/// A read of a session variable: `#{name.key(0).size()}`.
#[derive(Debug, Clone, PartialEq)]
pub struct VarRef {
    /// The expression as written between `#{` and `}`, for error messages.
    pub text: String,
    /// The variable.
    pub var: VarId,
    /// Keys and indexes to follow into its value.
    pub path: Vec<Access>,
    /// A function applied to what was reached.
    pub then: Option<VarFunction>,
}

/// One step into a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// An object key: `.key`.
    Key(String),
    /// A list index: `(n)`; negative counts from the end.
    Index(i64),
}

/// A function applied to a variable's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarFunction {
    /// `.size()`: the length of a list, object or text.
    Size,
    /// `.random()`: a random element of a list.
    Random,
    /// `.exists()`: `true` if the value is set.
    Exists,
    /// `.isUndefined()`: `true` if the value is not set.
    IsUndefined,
    /// `.jsonStringify()`: the value encoded as JSON.
    JsonStringify,
}

/// A built-in function.
#[derive(Debug, Clone, PartialEq)]
pub enum Function {
    /// `randomInt()` or `randomInt(min, max)`: an integer in `[min, max)`.
    RandomInt {
        /// Smallest value.
        min: i64,
        /// One past the largest value.
        max: i64,
    },
    /// `randomLong(…)`: as `randomInt`, with 64-bit bounds by default.
    RandomLong {
        /// Smallest value.
        min: i64,
        /// One past the largest value.
        max: i64,
    },
    /// `randomDouble(min, max)` or `randomDouble(min, max, digits)`.
    RandomDouble {
        /// Smallest value.
        min: f64,
        /// Upper bound (excluded).
        max: f64,
        /// Digits after the decimal point, if rounded.
        digits: Option<u32>,
    },
    /// `randomUuid()`: a random (v4) UUID.
    RandomUuid,
    /// `randomAlphanumeric(n)`: n random letters and digits.
    RandomAlphanumeric(usize),
    /// `currentTimeMillis()`: milliseconds since the Unix epoch.
    CurrentTimeMillis,
    /// `currentDate()`: the current time in RFC 3339 (ISO 8601), UTC.
    CurrentDate,
}
