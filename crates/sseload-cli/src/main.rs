//! `sseload`: load tests and tools for Server-Sent Events endpoints.
//!
//! The binary is thin: each subcommand lives in its own module, resolves its
//! flags into the library crates' typed configuration, runs, and reports an
//! [`ExitStatus`]. Only this crate prints, and only `main` decides exit codes.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod args;
mod distribute;
mod limits;
mod listen;
mod live;
mod merge;
mod openmetrics;
mod report;
mod results_file;
mod run;
mod serve;
mod validate;

/// Load tests and tools for Server-Sent Events endpoints.
#[derive(Debug, Parser)]
#[command(name = "sseload", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the events of one SSE stream as they arrive: curl for SSE.
    Listen(listen::Args),
    /// Merge the results files of a run's shards into the results of the whole run.
    Merge(merge::Args),
    /// Turn a results file into HTML, CSV, JUnit XML, Markdown or JSON reports.
    Report(report::Args),
    /// Run a scenario: virtual users, live view, summary, CI gates.
    Run(run::Args),
    /// Run the SSE broadcast hub with its demo feeds.
    Serve(serve::Args),
    /// Check a scenario file and report every problem in it at once.
    Validate(validate::Args),
}

/// How a command ended; turned into the process exit code in one place.
///
/// Exit code 1 means "the run worked but an assertion failed" (`sseload run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Everything worked (exit 0).
    Success,
    /// The command ran, but an assertion failed (exit 1).
    Failure,
    /// Invalid input, or the command could not run (exit 2).
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => Self::SUCCESS,
            ExitStatus::Failure => Self::from(1),
            ExitStatus::Error => Self::from(2),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            return report(&anyhow::Error::new(err).context("cannot start the async runtime"));
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Listen(args) => listen::run(args).await,
            Command::Merge(args) => merge::run(args).await,
            Command::Report(args) => report::run(args).await,
            Command::Run(args) => run::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Validate(args) => validate::run(args).await,
        }
    });
    match outcome {
        Ok(status) => status.into(),
        Err(err) => report(&err),
    }
}

/// Prints an error chain on one line and picks the exit code.
///
/// A broken pipe (`sseload listen URL | head`) is how a reader says it has
/// seen enough, so it counts as success, as it does for ripgrep.
#[allow(clippy::print_stderr)]
fn report(err: &anyhow::Error) -> ExitCode {
    let broken_pipe = err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {err:#}");
    ExitStatus::Error.into()
}
