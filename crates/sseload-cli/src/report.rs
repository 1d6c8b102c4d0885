//! `sseload report RESULTS.json`: turns a results file written by
//! `sseload run --results` into an HTML page, CSV files, JUnit XML, a
//! Markdown summary or a JSON summary. With no output option it prints the
//! Markdown summary.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sseload_report::Results;

use crate::ExitStatus;

/// Options of `sseload report`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The results file (`sseload run --results FILE`).
    results: PathBuf,
    #[command(flatten)]
    outputs: Outputs,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// The report files to write; `sseload run` takes the same flags.
#[derive(Debug, clap::Args)]
pub(crate) struct Outputs {
    /// Write the self-contained HTML report to this file.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write one CSV per table and per time series into this folder (created if missing).
    #[arg(long, value_name = "DIR")]
    csv: Option<PathBuf>,
    /// Write JUnit XML (one test case per assertion) to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a Markdown summary (for a CI job page) to this file.
    #[arg(long, value_name = "FILE")]
    summary_md: Option<PathBuf>,
}

impl Outputs {
    /// Returns true if and only if no output file was asked for.
    pub(crate) fn is_empty(&self) -> bool {
        self.html.is_none()
            && self.csv.is_none()
            && self.junit.is_none()
            && self.summary_md.is_none()
    }

    /// Writes every output file asked for from an engine report.
    pub(crate) fn write_report(&self, report: &sseload_engine::Report) -> anyhow::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let json = serde_json::to_string(report).context("cannot encode the results")?;
        let results = Results::from_json(&json).context("cannot read back the results")?;
        self.write(&results)
    }

    /// Writes every output file asked for.
    pub(crate) fn write(&self, results: &Results) -> anyhow::Result<()> {
        if let Some(path) = &self.html {
            write(path, &sseload_report::html::render(results)?)?;
        }
        if let Some(dir) = &self.csv {
            write_csv(dir, results)?;
        }
        if let Some(path) = &self.junit {
            write(path, &sseload_report::junit::render(results))?;
        }
        if let Some(path) = &self.summary_md {
            write(path, &sseload_report::markdown::render(results))?;
        }
        Ok(())
    }
}

/// Reads the results and writes every output asked for; exit 0 when all were
/// written, whatever the assertions say (`sseload run` is the gate).
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let results = read(&args.results)?;
    args.outputs.write(&results)?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        stdout.write_all(sseload_report::json::render(&results)?.as_bytes())?;
    } else if args.outputs.is_empty() {
        stdout.write_all(sseload_report::markdown::render(&results).as_bytes())?;
    }
    Ok(ExitStatus::Success)
}

fn read(path: &Path) -> anyhow::Result<Results> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Results::from_json(&text).with_context(|| format!("{}", path.display()))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn write_csv(dir: &Path, results: &Results) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    for file in sseload_report::csv::files(results)? {
        write(&dir.join(&file.name), &file.text)?;
    }
    Ok(())
}
