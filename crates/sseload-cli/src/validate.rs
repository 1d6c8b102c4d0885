//! `sseload validate FILE`: reads a scenario and reports every problem at
//! once, with file, line, column and a hint; or, when it is valid, a
//! one-line summary of the plan.
//!
//! Nothing is shown with its secrets in clear: the summary goes through the
//! plan's redactor, and the diagnostics (which quote the file) through one
//! that masks credentials by their shape, since an invalid file has no plan.

use std::io::Write as _;
use std::path::PathBuf;

use sseload_scenario::Redactor;

use crate::ExitStatus;

/// Options of `sseload validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The scenario file (YAML).
    #[arg(required_unless_present = "schema")]
    file: Option<PathBuf>,
    /// Print the JSON Schema of the scenario format instead (FILE is not read).
    #[arg(long, conflicts_with = "file")]
    schema: bool,
}

/// Exit 0 with a summary on stdout when the scenario is valid; exit 2 with
/// every problem on stderr when it is not.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    if args.schema {
        std::io::stdout()
            .lock()
            .write_all(sseload_scenario::json_schema().as_bytes())?;
        return Ok(ExitStatus::Success);
    }
    let Some(file) = args.file else {
        anyhow::bail!("no scenario file given");
    };
    match sseload_scenario::from_path(&file) {
        Ok(plan) => {
            let summary = plan.summary();
            let summary = plan.redactor().redact(&summary).into_owned();
            writeln!(std::io::stdout().lock(), "valid: {summary}")?;
            Ok(ExitStatus::Success)
        }
        Err(sseload_scenario::Error::Invalid(diagnostics)) => {
            let text = Redactor::new()
                .redact(&diagnostics.to_string())
                .into_owned();
            writeln!(std::io::stderr().lock(), "{text}")?;
            Ok(ExitStatus::Error)
        }
        Err(err) => Err(anyhow::anyhow!(
            "{}",
            Redactor::new().redact(&format!("{:#}", anyhow::Error::from(err)))
        )),
    }
}
