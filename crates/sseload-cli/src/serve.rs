//! `sseload serve` (being written by the server work).

use crate::ExitStatus;

/// Options of `sseload serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) async fn run(_args: Args) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`sseload serve` is not built yet")
}
