//! From the raw document to the [`Plan`]: every value parsed into its real
//! type, every template and query compiled, every name checked against what
//! defines it. Problems are collected, never returned at the first one.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, Pos};
use crate::expr::{self, Template, VarId, Vars};
use crate::plan::Plan;
use crate::raw;
use crate::yaml::{Checked, Spanned};

mod assertion;
mod check;
mod document;
mod feeder;
mod load;
mod request;
mod scope;
mod staircase;
mod step;

use scope::Scope;

/// What resolution needs to know beyond the document.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The directory relative file names are resolved against.
    pub(crate) base_dir: PathBuf,
    /// The plan's name when the document gives none.
    pub(crate) default_name: String,
    /// Structural errors were already found: skip the checks that would
    /// only repeat them (a reference to a step that failed to parse).
    pub(crate) partial: bool,
}

/// Resolves `doc`; the plan is returned only when no problem was found.
pub(crate) fn resolve(doc: &raw::Document, options: &Options) -> (Option<Plan>, Vec<Diagnostic>) {
    let mut ctx = Ctx::new(options);
    let plan = document::document(&mut ctx, doc);
    let plan = plan.filter(|_| ctx.diags.is_empty() && !options.partial);
    (plan, ctx.diags)
}

/// The resolver's state: problems found, variables, the scope being resolved.
pub(crate) struct Ctx<'o> {
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) vars: Vars,
    pub(crate) options: &'o Options,
    pub(crate) scope: Scope,
    pub(crate) feeders: Vec<(String, Vec<VarId>)>,
}

impl<'o> Ctx<'o> {
    fn new(options: &'o Options) -> Self {
        Self {
            diags: Vec::new(),
            vars: Vars::default(),
            options,
            scope: Scope::default(),
            feeders: Vec::new(),
        }
    }

    /// Records a problem and gives `None` to the caller.
    pub(crate) fn fail<T>(&mut self, diagnostic: Diagnostic) -> Option<T> {
        self.diags.push(diagnostic);
        None
    }

    /// Records a problem.
    pub(crate) fn error<T>(&mut self, at: Option<Pos>, message: impl Into<String>) -> Option<T> {
        self.fail(Diagnostic::new(message, at))
    }

    /// Records a problem with a hint.
    pub(crate) fn error_hint<T>(
        &mut self,
        at: Option<Pos>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Option<T> {
        self.fail(Diagnostic::new(message, at).hint(hint))
    }

    /// The items that deserialized, noting whether some did not.
    pub(crate) fn valid<'i, T>(
        &mut self,
        items: &'i [Checked<Spanned<T>>],
    ) -> impl Iterator<Item = &'i Spanned<T>> + use<'i, T> {
        if items.iter().any(|i| i.valid().is_none()) {
            self.scope.incomplete = true;
            self.scope.incomplete_plan = true;
        }
        valid(items)
    }

    /// A file name relative to the scenario file.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        let path = Path::new(name);
        if path.is_absolute() {
            path.to_owned()
        } else {
            self.options.base_dir.join(path)
        }
    }

    /// Compiles a template and records the variables it reads.
    pub(crate) fn template(&mut self, text: &Spanned<String>) -> Option<Template> {
        self.template_at(&text.value, text.at)
    }

    /// Compiles a template written at `at`.
    pub(crate) fn template_at(&mut self, text: &str, at: Option<Pos>) -> Option<Template> {
        match expr::compile(text, &mut self.vars) {
            Ok(template) => {
                // `exists()` and `isUndefined()` ask whether a variable is set,
                // so reading one that never is is no mistake.
                let asks = |v: &&expr::VarRef| {
                    matches!(
                        v.then,
                        Some(expr::VarFunction::Exists | expr::VarFunction::IsUndefined)
                    )
                };
                for var in template.vars().filter(|v| !asks(v)) {
                    self.scope.read(var.var, at);
                }
                Some(template)
            }
            Err(err) => self.error_hint(at, err.message, err.hint),
        }
    }

    /// A variable some step sets.
    pub(crate) fn set_var(&mut self, name: &Spanned<String>) -> Option<VarId> {
        let id = self.var(name)?;
        self.scope.set(id);
        Some(id)
    }

    /// A variable declared under `vars:`.
    pub(crate) fn declare_var(&mut self, name: &Spanned<String>) -> Option<VarId> {
        let id = self.var(name)?;
        self.scope.declare(id);
        Some(id)
    }

    /// A variable name checked and interned.
    fn var(&mut self, name: &Spanned<String>) -> Option<VarId> {
        let valid = !name.value.is_empty()
            && name
                .value
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if !valid {
            return self.error_hint(
                name.at,
                format!("`{}` is not a valid variable name", name.value),
                "use letters, digits, `_` and `-`, so that #{name} can read it",
            );
        }
        Some(self.vars.intern(&name.value))
    }

    /// An optional loop counter.
    pub(crate) fn counter(&mut self, name: Option<&Spanned<String>>) -> Option<Option<VarId>> {
        match name {
            Some(name) => self.set_var(name).map(Some),
            None => Some(None),
        }
    }

    /// A whole number from 1.
    pub(crate) fn positive(&mut self, n: &Spanned<i64>, what: &str) -> Option<NonZeroU32> {
        let value = u32::try_from(n.value).ok().and_then(NonZeroU32::new);
        value.or_else(|| {
            let message = format!(
                "{what} must be a whole number from 1 to {}, found {}",
                u32::MAX,
                n.value
            );
            self.error_hint(n.at, message, "such as 1, 10 or 500")
        })
    }

    /// A whole number from 0.
    pub(crate) fn count(&mut self, n: &Spanned<i64>, what: &str) -> Option<u32> {
        let value = u32::try_from(n.value).ok();
        value.or_else(|| {
            let message = format!(
                "{what} must be a whole number from 0 to {}, found {}",
                u32::MAX,
                n.value
            );
            self.error_hint(n.at, message, "such as 0, 10 or 500")
        })
    }

    /// A finite number above zero.
    pub(crate) fn above_zero(&mut self, x: &Spanned<f64>, what: &str) -> Option<f64> {
        if x.value.is_finite() && x.value > 0.0 {
            return Some(x.value);
        }
        self.error_hint(
            x.at,
            format!("{what} must be above 0, found {}", x.value),
            "a positive number, such as 0.5, 20 or 1000",
        )
    }

    /// A finite number from zero.
    pub(crate) fn not_negative(&mut self, x: &Spanned<f64>, what: &str) -> Option<f64> {
        if x.value.is_finite() && x.value >= 0.0 {
            return Some(x.value);
        }
        self.error_hint(
            x.at,
            format!("{what} cannot be negative, found {}", x.value),
            "0 or a positive number, such as 0.5 or 20",
        )
    }

    /// A stream name, defaulting to `default`.
    pub(crate) fn stream_name(name: Option<&Spanned<String>>) -> String {
        name.map_or_else(
            || crate::plan::DEFAULT_STREAM.to_owned(),
            |n| n.value.clone(),
        )
    }
}

/// An optional value that failed (`Some(None)`) becomes a failure (`None`);
/// an absent one stays absent (`Some(None)`).
pub(crate) fn optional<T>(value: Option<Option<T>>) -> Option<Option<T>> {
    match value {
        None => Some(None),
        Some(inner) => inner.map(Some),
    }
}

/// The items that deserialized, with the position of each.
pub(crate) fn valid<T>(items: &[Checked<Spanned<T>>]) -> impl Iterator<Item = &Spanned<T>> {
    items.iter().filter_map(Checked::valid)
}

/// Resolves every item; `None` if any failed (their errors are recorded).
pub(crate) fn all<T, U>(
    items: impl IntoIterator<Item = T>,
    mut f: impl FnMut(T) -> Option<U>,
) -> Option<Vec<U>> {
    let mut out = Vec::new();
    let mut ok = true;
    for item in items {
        match f(item) {
            Some(value) => out.push(value),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// "`a`, `b` and `c`", for hints.
pub(crate) fn list(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let names: BTreeSet<String> = names
        .into_iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect();
    let names: Vec<String> = names.into_iter().collect();
    match names.as_slice() {
        [] => "none".to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
