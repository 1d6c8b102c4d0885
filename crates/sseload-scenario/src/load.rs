//! Entry points: a scenario file or text to a [`Plan`], reporting every
//! problem at once.

use std::path::Path;

use crate::error::{Diagnostic, Diagnostics, Error, Pos};
use crate::plan::Plan;
use crate::raw::Document;
use crate::resolve::{self, Options};
use crate::yaml::{de, node};

/// Reads and validates a scenario file. Relative file names in it (feeders,
/// bodies, CA files) are resolved against the file's directory.
pub fn from_path(path: impl AsRef<Path>) -> Result<Plan, Error> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let source = String::from_utf8(bytes).map_err(|e| not_utf8(path, &e))?;
    let base_dir = path.parent().map(Path::to_owned).unwrap_or_default();
    let name = path.file_stem().map_or_else(
        || "scenario".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    from_str_in(&source, &path.display().to_string(), &base_dir, &name)
}

/// Validates scenario text; relative file names resolve against the current directory.
pub fn from_str(source: &str) -> Result<Plan, Error> {
    from_str_in(source, "<string>", Path::new("."), "scenario")
}

/// Validates scenario text read from `origin` (shown in errors), resolving
/// relative file names against `base_dir`; `default_name` names the plan
/// when the text does not.
pub fn from_str_in(
    source: &str,
    origin: &str,
    base_dir: &Path,
    default_name: &str,
) -> Result<Plan, Error> {
    let invalid = |items| Error::Invalid(Diagnostics::new(origin, source, items));
    if is_empty(source) {
        let empty = Diagnostic::new("the scenario is empty", None)
            .hint("a scenario needs at least `target:` and `scenarios:`");
        return Err(invalid(vec![empty]));
    }
    let tree = node::parse(source).map_err(|d| invalid(vec![d]))?;
    let sink = de::Sink::default();
    let parsed = de::from_node::<Document>(&tree, &sink);
    let mut diags = sink.into_inner();
    let doc = match parsed {
        Ok(doc) => doc,
        Err(fatal) => {
            diags.push(fatal);
            return Err(invalid(diags));
        }
    };
    let options = Options {
        base_dir: base_dir.to_owned(),
        default_name: default_name.to_owned(),
        partial: !diags.is_empty(),
    };
    let (plan, more) = resolve::resolve(&doc, &options);
    diags.extend(more);
    match plan {
        Some(plan) if diags.is_empty() => Ok(plan),
        _ => Err(invalid(diags)),
    }
}

/// Nothing but blank lines, comments and document markers.
fn is_empty(source: &str) -> bool {
    source.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    })
}

/// A file that is not UTF-8: where the first bad byte is.
fn not_utf8(path: &Path, err: &std::string::FromUtf8Error) -> Error {
    let bytes = err.as_bytes();
    let valid = err.utf8_error().valid_up_to();
    let before = String::from_utf8_lossy(&bytes[..valid]);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let at = Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    };
    let message = format!(
        "the file is not UTF-8 text: invalid byte 0x{:02x}",
        bytes[valid]
    );
    let item = Diagnostic::new(message, Some(at))
        .hint("scenario files are UTF-8 text (YAML); save it as UTF-8");
    let source = String::from_utf8_lossy(bytes).into_owned();
    Error::Invalid(Diagnostics::new(
        path.display().to_string(),
        source,
        vec![item],
    ))
}
