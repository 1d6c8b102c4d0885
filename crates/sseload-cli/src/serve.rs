//! `sseload serve`: the broadcast hub with its demo feeds, until SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use sseload_server::{
    CorsOrigin, Demo, ErrorStatus, Faults, RunningServer, Server, ServerBuilder, Token,
};

use crate::ExitStatus;

/// Options of `sseload serve`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = LONG_HELP)]
pub(crate) struct Args {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Keep an event log in DIR, so that a restart loses nothing acknowledged
    /// (without it everything is in memory: a restart loses it all, ids restart at 1).
    ///
    /// Every publish and topic close is synced to disk before it is answered,
    /// and a restart on the same DIR brings back the replay buffers, the id
    /// sequence and closed topics. Without --data-dir everything is in memory:
    /// a restart or crash loses every buffered event and ids start again from 1.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Events kept per topic for replay after Last-Event-ID (0: no replay).
    #[arg(long, default_value_t = 1024)]
    replay: usize,
    /// Messages queued per subscriber before it is dropped as too slow (the
    /// events of one publish are one message).
    #[arg(long, default_value_t = 256)]
    queue: usize,
    /// Heartbeat comment interval, e.g. 15s, or `off`.
    #[arg(long, default_value = "15s", value_parser = optional_duration)]
    heartbeat: MaybeDuration,
    /// The `retry` hint sent when a stream opens, e.g. 3s, or `off`.
    #[arg(long, default_value = "3s", value_parser = optional_duration)]
    retry: MaybeDuration,
    /// The longest a stream stays open before it ends cleanly, e.g. 5m, or `off`.
    #[arg(long, default_value = "off", value_parser = optional_duration)]
    lifetime: MaybeDuration,
    /// Bearer token required to publish and close topics.
    #[arg(long, env = "SSELOAD_PUBLISH_TOKEN", hide_env_values = true)]
    publish_token: Option<String>,
    /// Bearer token required to open streams.
    #[arg(long, env = "SSELOAD_SUBSCRIBE_TOKEN", hide_env_values = true)]
    subscribe_token: Option<String>,
    /// The largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_body: usize,
    /// The most connections served at once; more are answered 503.
    #[arg(long, default_value_t = 16_384)]
    max_connections: usize,
    /// The most topics held at once; publishing to one more is refused.
    #[arg(long, default_value_t = 10_000)]
    max_topics: usize,
    /// The most threads one publish to a large topic (2,048 subscribers or
    /// more) is written by [default: one per core but one].
    #[arg(long)]
    fanout_threads: Option<usize>,
    /// How long a client may take to send its request head, e.g. 30s, or `off`.
    #[arg(long, default_value = "30s", value_parser = optional_duration)]
    header_timeout: MaybeDuration,
    /// On SIGINT or SIGTERM, how long open connections may finish before they are cut.
    #[arg(long, default_value = "5s", value_parser = crate::args::duration)]
    shutdown_grace: Duration,
    /// The seed of the fault and demo random numbers (same seed, same run).
    #[arg(long, default_value_t = 0x5EED_10AD)]
    seed: u64,
    /// Let pages from this origin (like https://app.example.com), or from any
    /// origin with `*`, read the streams and replies (CORS).
    #[arg(long, value_name = "ORIGIN|*")]
    cors_origin: Option<String>,
    /// Demo feeds to run: a comma-separated list of stocks, clock, llm (completions
    /// and chat completions), or `none`.
    #[arg(long, default_value = "stocks,clock,llm", value_parser = demo_feeds)]
    demo: DemoFeeds,
    /// How often one stock price changes.
    #[arg(long, default_value = "200ms", value_parser = crate::args::duration)]
    stock_interval: Duration,
    /// How often the clock feed ticks.
    #[arg(long, default_value = "1s", value_parser = crate::args::duration)]
    clock_interval: Duration,
    /// The LLM feed's time to first token.
    #[arg(long, default_value = "200ms", value_parser = crate::args::duration)]
    ttft: Duration,
    /// The LLM feed's delay between tokens.
    #[arg(long, default_value = "20ms", value_parser = crate::args::duration)]
    itl: Duration,
    /// Fault: wait this long before the first byte of each stream.
    #[arg(long, value_parser = crate::args::duration, help_heading = "Faults (off by default; query parameters override them)")]
    delay: Option<Duration>,
    /// Fault: cut each stream's connection after this many events.
    #[arg(
        long,
        help_heading = "Faults (off by default; query parameters override them)"
    )]
    drop_after: Option<u64>,
    /// Fault: go silent after this many events...
    #[arg(
        long,
        help_heading = "Faults (off by default; query parameters override them)"
    )]
    stall_after: Option<u64>,
    /// ...for this long, then end the stream.
    #[arg(long, default_value = "30s", value_parser = crate::args::duration, help_heading = "Faults (off by default; query parameters override them)")]
    stall_for: Duration,
    /// Fault: the fraction of stream requests answered with --error-status.
    #[arg(
        long,
        default_value_t = 0.0,
        help_heading = "Faults (off by default; query parameters override them)"
    )]
    error_rate: f64,
    /// Fault: the status of injected errors, 500 or 503.
    #[arg(long, default_value_t = 503, value_parser = error_status, help_heading = "Faults (off by default; query parameters override them)")]
    error_status: u16,
}

/// The end of `sseload serve --help`.
const LONG_HELP: &str = "\
Durability: without --data-dir the hub keeps everything in memory. Events are
acknowledged as soon as they are buffered; a restart or crash loses every
buffered event and closed topic, ids start again from 1, and a client resuming
with Last-Event-ID gets an `sseload-gap` event instead of what it missed (or,
once the new ids have passed its old one, silently resumes at the wrong place). With
--data-dir DIR, each publish and close is written and synced to DIR before it
is answered, and a restart replays the log: resuming clients get every
acknowledged event after their Last-Event-ID exactly once, and new ids keep
increasing. See docs/server.md, \"Durability\".";

/// Which demo feeds were asked for.
#[derive(Debug, Clone, Copy)]
struct DemoFeeds {
    stocks: bool,
    clock: bool,
    llm: bool,
}

fn demo_feeds(text: &str) -> Result<DemoFeeds, String> {
    let mut feeds = DemoFeeds {
        stocks: false,
        clock: false,
        llm: false,
    };
    if text == "none" {
        return Ok(feeds);
    }
    for name in text.split(',') {
        match name {
            "stocks" => feeds.stocks = true,
            "clock" => feeds.clock = true,
            "llm" => feeds.llm = true,
            other => {
                return Err(format!(
                    "unknown demo feed {other:?} (expected stocks, clock, llm or none)"
                ));
            }
        }
    }
    Ok(feeds)
}

/// A duration that can be turned off (clap reads a bare `Option` as "flag not given").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MaybeDuration(Option<Duration>);

/// A duration, or `off` for none.
fn optional_duration(text: &str) -> Result<MaybeDuration, String> {
    if text == "off" {
        return Ok(MaybeDuration(None));
    }
    crate::args::duration(text).map(|d| MaybeDuration(Some(d)))
}

fn error_status(text: &str) -> Result<u16, String> {
    match text.parse() {
        Ok(code @ (500 | 503)) => Ok(code),
        _ => Err(format!("{text:?} is not 500 or 503")),
    }
}

/// Turns the flags into the server's configuration.
fn builder(args: &Args) -> ServerBuilder {
    let server = Server::builder();
    let mut server = match &args.data_dir {
        Some(dir) => server.data_dir(dir),
        None => server,
    };
    let mut demo = Demo::none();
    demo.stocks = args.demo.stocks;
    demo.clock = args.demo.clock;
    demo.llm = args.demo.llm;
    demo.stock_interval = args.stock_interval;
    demo.clock_interval = args.clock_interval;
    demo.time_to_first_token = args.ttft;
    demo.inter_token = args.itl;
    let mut faults = Faults::default();
    faults.delay = args.delay;
    faults.drop_after = args.drop_after;
    faults.stall_after = args.stall_after;
    faults.stall_for = args.stall_for;
    faults.error_rate = args.error_rate;
    faults.error_status = ErrorStatus::from_code(args.error_status).unwrap_or_default();
    if let Some(threads) = args.fanout_threads {
        server = server.fanout_threads(threads);
    }
    server
        .replay(args.replay)
        .queue(args.queue)
        .heartbeat(args.heartbeat.0)
        .retry(args.retry.0)
        .lifetime(args.lifetime.0)
        .publish_token(args.publish_token.clone().map(Token::new))
        .subscribe_token(args.subscribe_token.clone().map(Token::new))
        .max_body(args.max_body)
        .max_connections(args.max_connections)
        .max_topics(args.max_topics)
        .header_timeout(args.header_timeout.0)
        .shutdown_grace(args.shutdown_grace)
        .seed(args.seed)
        .cors_origin(args.cors_origin.as_deref().map(CorsOrigin::new))
        .demo(demo)
        .faults(faults)
}

pub(crate) async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    if let Some(dir) = args.data_dir.as_ref().filter(|d| d.exists() && !d.is_dir()) {
        anyhow::bail!("--data-dir {}: not a directory", dir.display());
    }
    let server = builder(&args).build().context("invalid server settings")?;
    let running = server.start(args.bind).await?;
    // Listen for the signals before the banner says the server is up: a
    // SIGTERM sent right after it must stop the server cleanly, not kill it.
    let signal = shutdown_signal()?;
    if let Some(torn) = running.recovery().and_then(|r| r.torn_tail.as_ref()) {
        print_warning(&format!("warning: {torn}"));
    }
    print_banner(&running, args.demo);
    let signal = signal.await;
    print_line(&format!("{signal}: shutting down"));
    running.shutdown().await;
    Ok(ExitStatus::Success)
}

/// Starts listening for SIGINT (Ctrl-C) and SIGTERM; the future resolves
/// with the name of the first that comes.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = &'static str>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        }
    })
}

fn print_banner(running: &RunningServer, demo: DemoFeeds) {
    let base = format!("http://{}", running.local_addr());
    let mut lines = vec![
        format!("sseload serve: listening on {base}"),
        format!("  topics   GET {base}/topics/{{name}}   (POST to publish, DELETE to close)"),
    ];
    let feeds = [
        (demo.stocks, "stocks   GET", "/stocks/prices"),
        (demo.clock, "clock    GET", "/clock"),
        (demo.llm, "llm      POST", "/v1/completions"),
        (demo.llm, "chat     POST", "/v1/chat/completions"),
    ];
    for (_, label, path) in feeds.iter().filter(|(on, _, _)| *on) {
        lines.push(format!("  {label} {base}{path}"));
    }
    if let Some(report) = running.recovery() {
        lines.push(format!(
            "  data     {}: recovered {}, {}, last id {}",
            report.segment.display(),
            count(report.events, "event"),
            count(report.topics, "topic"),
            report.last_id
        ));
    }
    lines.push(format!(
        "  page     {base}/   metrics {base}/metrics   health {base}/healthz"
    ));
    let example = if demo.clock { "/clock" } else { "/topics/demo" };
    lines.push(format!("try:\n  sseload listen {base}{example}"));
    print_line(&lines.join("\n"));
}

#[allow(clippy::print_stdout)]
fn print_line(text: &str) {
    println!("{text}");
}

/// `1 event`, `2 events`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[allow(clippy::print_stderr)]
fn print_warning(text: &str) {
    eprintln!("{text}");
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{demo_feeds, optional_duration};

    #[test]
    fn durations_or_off() {
        assert_eq!(optional_duration("off").map(|d| d.0), Ok(None));
        assert_eq!(
            optional_duration("2m").map(|d| d.0),
            Ok(Some(Duration::from_secs(120)))
        );
        assert!(optional_duration("5x").is_err());
    }

    #[test]
    fn feeds() {
        assert!(demo_feeds("clock,llm").is_ok_and(|f| f.clock && f.llm && !f.stocks));
        assert!(demo_feeds("none").is_ok_and(|f| !f.clock && !f.llm && !f.stocks));
        assert_eq!(
            demo_feeds("clock,tv").unwrap_err(),
            "unknown demo feed \"tv\" (expected stocks, clock, llm or none)"
        );
    }
}
