//! Writing results files so that a reader never sees half of one: the JSON
//! goes to a temporary file beside the target, is flushed to disk, then
//! renamed over it. `--results-every` rewrites the file from a live report
//! while the run goes on, so even a SIGKILL loses at most one interval.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use sseload_engine::{Live, Report};

/// Writes `report` to `path` atomically (temporary file, fsync, rename).
pub(crate) fn write_atomic(path: &Path, report: &Report) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(report).context("cannot encode the results")?;
    write_bytes_atomic(path, &json)
}

/// Writes `bytes` to `path` atomically.
pub(crate) fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let temp = temp_path(path);
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

/// `dir/.name.tmp-PID`: beside the target, so the rename stays on one file system.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "results".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Rewrites `path` from `live` every `every` until aborted; a write that
/// fails is reported once on stderr and retried at the next interval.
pub(crate) fn snapshots(live: Live, path: PathBuf, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        let mut warned = false;
        loop {
            ticks.tick().await;
            let Some(report) = live.report() else {
                continue;
            };
            let written = tokio::task::block_in_place(|| write_atomic(&path, &report));
            if let (Err(err), false) = (written, warned) {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "warning: results snapshot: {err:#}"
                );
                warned = true;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_replaced_whole_and_no_temporary_file_stays() {
        let dir = std::env::temp_dir().join(format!("sseload-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.json");
        std::fs::write(&path, "old").unwrap();
        write_bytes_atomic(&path, b"{\"new\":1}").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"new\":1}");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["r.json"]);
        let missing = dir.join("no/such/dir/r.json");
        let err = format!("{:#}", write_bytes_atomic(&missing, b"x").unwrap_err());
        assert!(
            err.starts_with(&format!("cannot write {}", missing.display())),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
