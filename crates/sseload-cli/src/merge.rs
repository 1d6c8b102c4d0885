//! `sseload merge A.json B.json … -o merged.json`: combines the results
//! files of the shards of one run into the results of the whole run (counts
//! add, histograms add exactly, series align on wall-clock seconds), prints
//! the summary, writes the same reports `sseload report` does, and exits 0
//! when every assertion holds on the merged data, 1 when one fails, 2 when
//! the files do not merge.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sseload_engine::{Part, Report};

use crate::ExitStatus;

/// Options of `sseload merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The results files of the shards (`sseload run --shard I/N --results FILE`).
    #[arg(required = true, value_name = "RESULTS")]
    files: Vec<PathBuf>,
    /// Write the merged results (JSON) to this file.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    outputs: crate::report::Outputs,
    /// No summary on stdout.
    #[arg(long)]
    quiet: bool,
}

/// Merges, writes, and decides the exit code from the merged assertions.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let parts = args
        .files
        .iter()
        .map(|path| read(path))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let merged = sseload_engine::merge(&parts)?;
    crate::results_file::write_atomic(&args.output, &merged)?;
    warn_missing(&merged)?;
    if !args.quiet {
        crate::run::write_summary(&mut std::io::stdout().lock(), &merged)?;
    }
    args.outputs.write_report(&merged)?;
    Ok(if merged.assertions.iter().all(|a| a.passed) {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// One results file, named by its path in every error.
fn read(path: &Path) -> anyhow::Result<Part> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let report: Report = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a results file of this sseload version",
            path.display()
        )
    })?;
    Ok(Part {
        label: path.display().to_string(),
        report,
    })
}

/// A partial merge is allowed (merging is associative), but said.
fn warn_missing(merged: &Report) -> anyhow::Result<()> {
    let missing = merged.meta.shards.missing();
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(u32::to_string).collect();
        writeln!(
            std::io::stderr().lock(),
            "warning: shards {} of {} are not in this merge; it covers part of the run",
            list.join(", "),
            merged.meta.shards.count
        )?;
    }
    Ok(())
}
