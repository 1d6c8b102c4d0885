//! Feeders: records loaded from CSV, JSON or the scenario itself.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::Ctx;
use crate::plan::{FeedStrategy, Feeder};
use crate::raw;
use crate::yaml::{Checked, Spanned};

type Records = Vec<BTreeMap<String, Value>>;

pub(crate) fn feeders(
    ctx: &mut Ctx<'_>,
    feeders: &BTreeMap<String, Checked<Spanned<raw::Feeder>>>,
) -> Option<Vec<Feeder>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (name, feeder) in feeders {
        let Some(feeder) = feeder.valid() else {
            ctx.scope.feeders_incomplete = true;
            continue;
        };
        match one(ctx, name, feeder) {
            Some(feeder) => {
                ctx.feeders.push((name.clone(), feeder.columns.clone()));
                out.push(feeder);
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn one(ctx: &mut Ctx<'_>, name: &str, feeder: &Spanned<raw::Feeder>) -> Option<Feeder> {
    let f = &feeder.value;
    let records = match (&f.csv, &f.json, &f.inline) {
        (Some(file), None, None) => read(ctx, file, csv),
        (None, Some(file), None) => read(ctx, file, json),
        (None, None, Some(inline)) => Some(inline.value.clone()),
        _ => {
            return ctx.error_hint(
                feeder.at,
                format!("feeder `{name}` needs exactly one of `csv`, `json` and `inline`"),
                "for example `users: {csv: users.csv}`",
            );
        }
    }?;
    if records.is_empty() {
        return ctx.error(feeder.at, format!("feeder `{name}` has no records"));
    }
    let columns = columns(&records);
    let secret = secret(ctx, name, &f.secret, &columns)?;
    let ids = columns.iter().map(|c| ctx.vars.intern(c)).collect();
    let rows = records
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| r.get(c).cloned().unwrap_or(Value::Null))
                .collect()
        })
        .collect::<Vec<_>>();
    Some(Feeder {
        name: name.to_owned(),
        columns: ids,
        records: Arc::from(rows),
        strategy: strategy(f.strategy),
        secret,
    })
}

/// The columns marked `secret`, each of which must be a column of the feeder.
fn secret(
    ctx: &mut Ctx<'_>,
    name: &str,
    marked: &[Spanned<String>],
    columns: &[String],
) -> Option<Vec<crate::expr::VarId>> {
    let mut ok = true;
    for column in marked.iter().filter(|c| !columns.contains(&c.value)) {
        let hint = format!("its columns are: {}", columns.join(", "));
        let message = format!(
            "feeder `{name}` marks `{}` secret, but it has no such column",
            column.value
        );
        ctx.error_hint::<()>(column.at, message, hint);
        ok = false;
    }
    ok.then(|| marked.iter().map(|c| ctx.vars.intern(&c.value)).collect())
}

fn strategy(strategy: Option<raw::FeedStrategy>) -> FeedStrategy {
    match strategy {
        None | Some(raw::FeedStrategy::Queue) => FeedStrategy::Queue,
        Some(raw::FeedStrategy::Random) => FeedStrategy::Random,
        Some(raw::FeedStrategy::Shuffle) => FeedStrategy::Shuffle,
        Some(raw::FeedStrategy::Circular) => FeedStrategy::Circular,
    }
}

/// Column names in order of first appearance.
fn columns(records: &Records) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for key in records.iter().flat_map(BTreeMap::keys) {
        if !columns.contains(key) {
            columns.push(key.clone());
        }
    }
    columns
}

fn read(
    ctx: &mut Ctx<'_>,
    file: &Spanned<String>,
    parse: fn(&Path) -> Result<Records, String>,
) -> Option<Records> {
    let path = ctx.path(&file.value);
    let hint = "relative file names are relative to the scenario file";
    parse(&path).map_or_else(|message| ctx.error_hint(file.at, message, hint), Some)
}

fn csv(path: &Path) -> Result<Records, String> {
    let shown = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_path(path)
        .map_err(|e| format!("cannot read CSV feeder `{shown}`: {e}"))?;
    let headers = reader
        .headers()
        .map_err(|e| format!("invalid CSV feeder `{shown}`: {e}"))?
        .clone();
    let mut records = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| format!("invalid CSV feeder `{shown}`: {e}"))?;
        records.push(
            headers
                .iter()
                .zip(row.iter())
                .map(|(h, v)| (h.to_owned(), Value::String(v.to_owned())))
                .collect(),
        );
    }
    Ok(records)
}

fn json(path: &Path) -> Result<Records, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read JSON feeder `{shown}`: {e}"))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("invalid JSON feeder `{shown}`: {e}"))?;
    let Value::Array(items) = value else {
        return Err(format!(
            "JSON feeder `{shown}` must hold an array of objects"
        ));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(map) => Ok(map.into_iter().collect()),
            _ => Err(format!(
                "JSON feeder `{shown}` must hold an array of objects"
            )),
        })
        .collect()
}
