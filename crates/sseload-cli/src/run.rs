//! `sseload run FILE`: runs a scenario with the engine, shows a live view
//! each second, the summary, the errors and the assertions, writes the
//! results file, and exits 0 (every assertion passed), 1 (one failed) or 2.
//! `sseload run --results-schema` prints the results file's JSON Schema.
//! `--html`, `--csv`, `--junit` and `--summary-md` write the same reports
//! as `sseload report` does from a results file. `--metrics-addr` serves
//! live OpenMetrics text during the run ([`crate::openmetrics`]).
//! `--shard`/`--start-at` run one part of a distributed run
//! ([`crate::distribute`]); `--results` is written atomically, also
//! periodically with `--results-every`, and SIGINT or SIGTERM stop the run
//! and still write what was measured ([`crate::results_file`]).

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use sseload_engine::{Engine, Line, Options, Report, Snapshot, Stats};
use tokio::sync::mpsc;

use crate::ExitStatus;
use crate::distribute::{ProcessEnv, ShardArgs};
use crate::live::{Frame, LiveView};

/// Options of `sseload run`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The scenario file (YAML).
    #[arg(required_unless_present = "results_schema")]
    file: Option<PathBuf>,
    /// Print the JSON Schema of the results file instead (nothing runs).
    #[arg(long, conflicts_with = "file")]
    results_schema: bool,
    /// Override the default of a variable the plan declares under `vars:`
    /// (`key=value`; JSON values are read as JSON, anything else as text).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Run against this base URL instead of the plan's target (repeat it to
    /// hand users several in turn), e.g. one set per Kubernetes deployment.
    #[arg(long = "target", value_name = "URL", value_parser = parse_base_url)]
    targets: Vec<url::Url>,
    /// Stop the run after this long (`30s`, `2m`, `500ms`), whatever the profile says.
    #[arg(long, value_parser = crate::args::positive_duration)]
    duration: Option<Duration>,
    /// Multiply every user count and arrival rate by this (a count never drops below one).
    #[arg(long, default_value_t = 1.0, value_parser = parse_scale, allow_negative_numbers = true)]
    users_scale: f64,
    /// Write the results (JSON) to this file (atomically: a reader never sees half of it).
    #[arg(long, value_name = "FILE")]
    results: Option<PathBuf>,
    /// Also rewrite the results file this often during the run (`10s`), so
    /// that a killed process loses at most one interval.
    #[arg(long, value_name = "DURATION", value_parser = crate::args::positive_duration, requires = "results")]
    results_every: Option<Duration>,
    #[command(flatten)]
    distribute: ShardArgs,
    #[command(flatten)]
    outputs: crate::report::Outputs,
    /// Serve live metrics (OpenMetrics text) at `http://ADDR/metrics` during the run.
    #[arg(long, value_name = "ADDR")]
    metrics_addr: Option<String>,
    /// No live lines; only the summary.
    #[arg(long)]
    quiet: bool,
}

/// A base URL: absolute, http or https.
fn parse_base_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| {
        format!("invalid base URL {text:?}: {e} (write a full URL such as http://127.0.0.1:8080)")
    })?;
    if matches!(url.scheme(), "http" | "https") {
        Ok(url)
    } else {
        Err(format!("base URL {text:?} must use http or https"))
    }
}

/// A scale: a finite number above zero.
fn parse_scale(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(scale) if scale.is_finite() && scale > 0.0 => Ok(scale),
        _ => Err(format!(
            "{text:?} is not a number above zero (like 0.5 or 2)"
        )),
    }
}

/// Runs the scenario; see the module docs for the exit codes.
pub(crate) async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    if args.results_schema {
        std::io::stdout()
            .lock()
            .write_all(sseload_engine::results_schema().as_bytes())?;
        return Ok(ExitStatus::Success);
    }
    let Some(file) = &args.file else {
        anyhow::bail!("no scenario file given");
    };
    let mut plan = match sseload_scenario::from_path(file) {
        Ok(plan) => plan,
        Err(sseload_scenario::Error::Invalid(diagnostics)) => {
            // The diagnostics quote the file: mask what looks like a credential.
            let text = diagnostics.to_string();
            let masked = sseload_scenario::Redactor::new().redact(&text);
            writeln!(std::io::stderr().lock(), "{masked}")?;
            return Ok(ExitStatus::Error);
        }
        Err(err) => return Err(err.into()),
    };
    if !args.targets.is_empty() {
        plan.target = sseload_scenario::Target::BaseUrls(args.targets.clone());
    }
    // Loud on every run, even with --quiet: nobody should forget it is on.
    if let Some(warning) = plan.tls_warning() {
        writeln!(std::io::stderr().lock(), "{warning}")?;
    }
    let initial = args
        .set
        .iter()
        .map(|pair| initial_value(&plan, pair))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let options = Options {
        duration: args.duration,
        users_scale: args.users_scale,
        initial,
        shard: args.distribute.shard(&ProcessEnv)?,
        start_at: args.distribute.start_at(SystemTime::now())?,
        fingerprint: Some(fingerprint(file, &args)?),
    };
    let shard = options.shard;
    let listener = match &args.metrics_addr {
        Some(addr) => Some(crate::openmetrics::bind(addr).await?),
        None => None,
    };
    let limits = crate::limits::raise();
    let engine = Engine::start(plan, options)
        .await
        .context("the run could not start")?;
    if let Some(warning) = limits.and_then(|l| crate::limits::warning(engine.peak_users(), l)) {
        writeln!(std::io::stderr().lock(), "{warning}")?;
    }
    let metrics = listener.map(|l| endpoint(l, &engine)).transpose()?;
    stop_on_signals(engine.stopper())?;
    let snapshots = match (&args.results, args.results_every) {
        (Some(path), Some(every)) => Some(crate::results_file::snapshots(
            engine.live(),
            path.clone(),
            every,
        )),
        _ => None,
    };
    let (tx, rx) = mpsc::channel(8);
    let live = tokio::spawn(live(rx, args.quiet));
    if let (false, Some(url)) = (args.quiet, engine.embedded_url()) {
        writeln!(std::io::stdout().lock(), "embedded server on {url}")?;
    }
    if !shard.is_whole() {
        writeln!(std::io::stderr().lock(), "running shard {shard}")?;
    }
    let report = engine.run(Some(tx)).await;
    let _ = live.await;
    if let Some(snapshots) = snapshots {
        // Wait for a snapshot being written to finish, so it cannot land
        // after the final results.
        snapshots.abort();
        let _ = snapshots.await;
    }
    save(&args, &report)?;
    say_if_late(&report)?;
    write_summary(&mut std::io::stdout().lock(), &report)?;
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    args.outputs.write_report(&report)?;
    if !shard.is_whole() {
        writeln!(
            std::io::stderr().lock(),
            "shard {shard}: the assertions above judge one slice of the load; `sseload merge` decides on the whole run, so a shard exits 0"
        )?;
        return Ok(ExitStatus::Success);
    }
    Ok(if report.assertions.iter().all(|a| a.passed) {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Starts the metrics endpoint and says where it is (on stderr, even with `--quiet`).
fn endpoint(
    listener: tokio::net::TcpListener,
    engine: &Engine,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let addr = listener.local_addr()?;
    writeln!(std::io::stderr().lock(), "metrics on http://{addr}/metrics")?;
    Ok(crate::openmetrics::serve(listener, engine.live()))
}

/// Writes the results file first (before anything else can fail), so a
/// summary or report that cannot be written never costs what was measured.
fn save(args: &Args, report: &Report) -> anyhow::Result<()> {
    match &args.results {
        Some(path) => crate::results_file::write_atomic(path, report),
        None => Ok(()),
    }
}

/// Identifies the scenario file's bytes and every option that shapes the
/// load, so that only shards of the same run merge.
fn fingerprint(file: &std::path::Path, args: &Args) -> anyhow::Result<String> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut sets: Vec<&str> = args.set.iter().map(String::as_str).collect();
    sets.sort_unstable();
    let sets = sets.join("\n");
    let scale = args.users_scale.to_bits().to_le_bytes();
    let duration = format!("{:?}", args.duration);
    let parts = [&bytes[..], sets.as_bytes(), &scale, duration.as_bytes()];
    Ok(sseload_engine::fingerprint(&parts))
}

/// Says on stderr when a shard started more than a second after `--start-at`.
fn say_if_late(report: &Report) -> anyhow::Result<()> {
    for run in &report.meta.shards.runs {
        if let Some(late) = run.late_ms.filter(|ms| *ms > 1000) {
            writeln!(
                std::io::stderr().lock(),
                "warning: shard {}/{} started {:.1} s after --start-at; the results say so",
                run.index,
                report.meta.shards.count,
                late as f64 / 1e3
            )?;
        }
    }
    Ok(())
}

/// Ctrl-C (SIGINT) or SIGTERM stop the run and the results are still
/// written; a second Ctrl-C exits at once.
fn stop_on_signals(stopper: sseload_engine::Stopper) -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("cannot listen for SIGTERM")?;
    tokio::spawn(async move {
        tokio::select! {
            r = tokio::signal::ctrl_c() => if r.is_err() { return },
            _ = term.recv() => {}
        }
        stopper.stop();
        if tokio::signal::ctrl_c().await.is_ok() {
            interrupt_now();
        }
    });
    Ok(())
}

/// A second Ctrl-C exits at once (130, as shells report SIGINT).
#[allow(clippy::exit, reason = "the user asked twice to stop now")]
fn interrupt_now() {
    std::process::exit(130);
}

/// `key=value` for a variable the plan declares under `vars:`.
fn initial_value(
    plan: &sseload_scenario::Plan,
    pair: &str,
) -> anyhow::Result<(sseload_scenario::VarId, serde_json::Value)> {
    let (key, value) = pair
        .split_once('=')
        .with_context(|| format!("--set {pair:?}: expected KEY=VALUE"))?;
    let var = plan.declared(key).with_context(|| {
        let declared = plan.declared_names();
        let declared = if declared.is_empty() {
            "none".to_owned()
        } else {
            declared.join(", ")
        };
        format!(
            "--set {key}: the plan declares no variable `{key}` (declared under `vars:`: {declared}); declare it with a default under `vars:` to set it from the command line"
        )
    })?;
    let value =
        serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()));
    Ok((var, value))
}

/// Shows each snapshot: a dashboard redrawn in place on a terminal, one
/// plain line per second otherwise (see [`crate::live`]).
async fn live(mut rx: mpsc::Receiver<Snapshot>, quiet: bool) {
    let mut view = LiveView::new(std::io::stdout().is_terminal());
    while let Some(snapshot) = rx.recv().await {
        if !quiet {
            let text = view.next(&Frame::from(&snapshot));
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        }
    }
}

/// The summary: statistics, errors, assertions.
pub(crate) fn write_summary(out: &mut impl std::io::Write, report: &Report) -> std::io::Result<()> {
    let m = &report.meta;
    writeln!(
        out,
        "\n{} — {} — {:.1}s, {} users, ended: {}",
        m.plan, m.target, m.duration_s, m.users_started, m.ended_by
    )?;
    if m.shards.count > 1 {
        let held: Vec<String> = m.shards.runs.iter().map(|r| r.index.to_string()).collect();
        writeln!(out, "shards {} of {}", held.join(", "), m.shards.count)?;
    }
    for stats in &report.stats {
        write_stats(out, stats)?;
    }
    if !report.errors.is_empty() {
        writeln!(out, "\nerrors")?;
        writeln!(
            out,
            "  {:<16} {:<24} {:>8}  message",
            "kind", "name", "count"
        )?;
        for e in &report.errors {
            writeln!(
                out,
                "  {:<16} {:<24} {:>8}  {}",
                e.kind.name(),
                e.name,
                e.count,
                e.message
            )?;
        }
    }
    if !report.assertions.is_empty() {
        writeln!(out, "\nassertions")?;
        for a in &report.assertions {
            let verdict = if a.passed { "PASS" } else { "FAIL" };
            let measured = match (a.measured, &a.note) {
                (Some(v), _) => format!(
                    "measured {v:.3}{}",
                    if a.unit.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", a.unit)
                    }
                ),
                (None, Some(note)) => note.clone(),
                (None, None) => String::new(),
            };
            writeln!(out, "  {verdict}  {}  ({measured})", a.assertion)?;
        }
    }
    Ok(())
}

fn write_stats(out: &mut impl std::io::Write, s: &Stats) -> std::io::Result<()> {
    let title = match (s.scope.as_str(), &s.name, &s.scenario) {
        ("name", Some(name), Some(scenario)) => match &s.group {
            Some(group) => format!("{group} / {name} ({scenario})"),
            None => format!("{name} ({scenario})"),
        },
        ("scenario", _, Some(scenario)) => format!("scenario {scenario}"),
        _ => "global".to_owned(),
    };
    let c = &s.counts;
    writeln!(
        out,
        "\n{title}: count {} OK {} KO {} rate {:.2}/s  events {} bytes {} reconnects {} missed {} duplicates {} unmatched {} left open {}",
        c.ok + c.ko,
        c.ok,
        c.ko,
        s.rate,
        c.events,
        c.bytes,
        c.reconnects,
        c.missed,
        c.duplicates,
        c.unmatched,
        c.closed_at_user_end
    )?;
    if s.metrics.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "  {:<20} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "metric (ms)", "count", "rate/s", "min", "p50", "p75", "p95", "p99", "max", "mean"
    )?;
    for (metric, l) in &s.metrics {
        write_line(out, metric, l)?;
    }
    Ok(())
}

fn write_line(out: &mut impl std::io::Write, metric: &str, l: &Line) -> std::io::Result<()> {
    writeln!(
        out,
        "  {metric:<20} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
        l.count, l.rate, l.min, l.p50, l.p75, l.p95, l.p99, l.max, l.mean
    )
}
