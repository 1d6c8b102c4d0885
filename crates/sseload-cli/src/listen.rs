//! `sseload listen URL` (being written by the client work).

use crate::ExitStatus;

/// Options of `sseload listen`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The stream's URL.
    url: String,
}

pub(crate) async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`sseload listen {}` is not built yet", args.url)
}
