//! Entry points: a scenario file or text to a [`Plan`], reporting every
//! problem at once.

use std::path::Path;

use crate::error::{Diagnostics, Error};
use crate::plan::Plan;
use crate::raw::Document;
use crate::resolve::{self, Options};
use crate::yaml::{de, node};

/// Reads and validates a scenario file. Relative file names in it (feeders,
/// bodies, CA files) are resolved against the file's directory.
pub fn from_path(path: impl AsRef<Path>) -> Result<Plan, Error> {
    let path = path.as_ref();
    let source = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
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
