//! Errors: one [`Diagnostic`] per problem found, all of them collected in
//! [`Diagnostics`], and the crate's [`Error`].

use std::fmt;
use std::path::PathBuf;

/// A position in a scenario file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// The line, counted from 1.
    pub line: u32,
    /// The column, counted from 1, in characters.
    pub column: u32,
}

/// One problem in a scenario: what is wrong, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, naming the offending value.
    pub message: String,
    /// A suggestion for fixing it, when there is one.
    pub hint: Option<String>,
    /// Where in the file it is, when the scenario came from a file.
    pub at: Option<Pos>,
}

impl Diagnostic {
    /// A problem at `at` (or at no known place).
    pub(crate) fn new(message: impl Into<String>, at: Option<Pos>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            at,
        }
    }

    /// Adds a hint.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// Every problem found in one scenario, in file order, with the source they
/// point into so that [`Display`](fmt::Display) can quote the offending lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    origin: String,
    source: String,
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Collects `items` about `source`, read from `origin` (a path, or
    /// `<builder>` for the Rust API).
    pub(crate) fn new(
        origin: impl Into<String>,
        source: impl Into<String>,
        mut items: Vec<Diagnostic>,
    ) -> Self {
        items.sort_by_key(|d| d.at.map_or((u32::MAX, u32::MAX), |p| (p.line, p.column)));
        items.dedup();
        Self {
            origin: origin.into(),
            source: source.into(),
            items,
        }
    }

    /// The problems, in file order.
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none (never true for a returned error).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn write_one(&self, f: &mut fmt::Formatter<'_>, item: &Diagnostic) -> fmt::Result {
        writeln!(f, "error: {}", item.message)?;
        let gutter = " ".repeat(item.at.map_or(1, |p| p.line.to_string().len()));
        match item.at {
            Some(pos) => {
                writeln!(f, "{gutter}--> {}:{}:{}", self.origin, pos.line, pos.column)?;
                self.write_snippet(f, pos, &gutter)?;
            }
            None => writeln!(f, "{gutter}--> {}", self.origin)?,
        }
        match &item.hint {
            Some(hint) => writeln!(f, "{gutter} = hint: {hint}"),
            None => Ok(()),
        }
    }

    /// Quotes the line and points at the column, as rustc does.
    fn write_snippet(&self, f: &mut fmt::Formatter<'_>, pos: Pos, gutter: &str) -> fmt::Result {
        let Some(line) = self.source.lines().nth(pos.line.saturating_sub(1) as usize) else {
            return Ok(());
        };
        let caret = " ".repeat(pos.column.saturating_sub(1) as usize);
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{} | {line}", pos.line)?;
        writeln!(f, "{gutter} | {caret}^")
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            self.write_one(f, item)?;
        }
        let count = self.items.len();
        let plural = if count == 1 { "" } else { "s" };
        write!(f, "{count} error{plural} in {}", self.origin)
    }
}

impl std::error::Error for Diagnostics {}

/// Why a scenario could not become a [`Plan`](crate::Plan).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The scenario file could not be read.
    #[error("cannot read scenario file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The scenario is invalid; every problem found is listed.
    #[error("{0}")]
    Invalid(Diagnostics),
}

impl Error {
    /// The problems found, when the scenario was read but is invalid.
    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        match self {
            Self::Invalid(d) => Some(d),
            Self::Read { .. } => None,
        }
    }
}
