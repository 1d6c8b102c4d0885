//! `sseload listen URL`: curl for SSE.
//!
//! The flags are read into [`Args`] as given, resolved once into a client
//! builder and a request (every bad value is refused here, naming it), and
//! then each [`Item`] of the stream is printed as it arrives.
//!
//! The URL's credentials (user information, credential query parameters) and
//! the values of credential headers given with `-H` are masked in every note
//! and error; the events themselves are printed as received. `-k` prints a
//! warning naming the target on every run.

use std::io::{self, Write};
use std::num::NonZeroU64;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::StreamExt;
use http::{HeaderName, HeaderValue, Method};
use sseload_client::{
    Builder, Client, Closed, Event, EventStream, HttpVersion, Item, Opened, Policy, Reconnect,
    Reconnecting, Request,
};
use sseload_scenario::{Redactor, Secrets};

use crate::ExitStatus;

/// Options of `sseload listen`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The stream's URL (http or https).
    url: String,
    /// The request method [default: GET, or POST with --data].
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,
    /// A request header, as 'Name: value' (repeatable).
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The request body, or @FILE to send a file's contents.
    #[arg(short = 'd', long = "data", value_name = "BODY|@FILE")]
    data: Option<String>,
    /// Start from this last event id (sent as Last-Event-ID).
    #[arg(long, value_name = "ID")]
    last_event_id: Option<String>,
    /// Stop (exit 0) after this many events.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    max_events: Option<NonZeroU64>,
    /// Stop (exit 0) after this long, like 10s, 500ms, 2m or 1h.
    #[arg(long, value_name = "DURATION", value_parser = crate::args::duration)]
    timeout: Option<Duration>,
    /// The time allowed to connect (TCP and TLS) [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = crate::args::positive_duration)]
    connect_timeout: Option<Duration>,
    /// Reconnect when no bytes (not even a heartbeat comment) arrive for this
    /// long [default: wait for ever, as browsers do].
    #[arg(long, value_name = "DURATION", value_parser = crate::args::positive_duration)]
    idle_timeout: Option<Duration>,
    /// Do not reconnect: the first loss ends the command.
    #[arg(long, conflicts_with = "reconnect")]
    no_reconnect: bool,
    /// Reconnect even when the method is not GET. Without it, a POST (or any
    /// other non-GET) stream is not sent again when it ends: replaying a
    /// request such as an LLM completion would start a new one.
    #[arg(long)]
    reconnect: bool,
    /// How statuses are treated: `default` retries 5xx and 429; `browser`
    /// ends on every non-200, as browsers do.
    #[arg(long, value_enum, default_value_t = RetryPolicy::Default)]
    retry_policy: RetryPolicy,
    /// Also print comment lines (heartbeats).
    #[arg(long)]
    comments: bool,
    /// Print one JSON object per line: type, data, id and retry.
    #[arg(long)]
    json: bool,
    /// Report the connection lifecycle on stderr.
    #[arg(short, long)]
    verbose: bool,
    /// Speak HTTP/2 without negotiating it (cleartext h2c; ALPN h2 only over TLS).
    #[arg(long)]
    http2_prior_knowledge: bool,
    /// Accept any TLS certificate (for self-signed test targets).
    #[arg(short = 'k', long)]
    insecure: bool,
    /// Also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
}

/// `--retry-policy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RetryPolicy {
    Default,
    Browser,
}

/// What the flags resolve to.
struct Settings {
    client: Builder,
    request: Request,
    max_events: Option<NonZeroU64>,
    timeout: Option<Duration>,
}

pub(crate) async fn run(args: Args) -> anyhow::Result<ExitStatus> {
    let redactor = redactor(&args);
    if args.insecure {
        warn_insecure(&redactor.redact(&args.url))?;
    }
    let printer = Printer::new(args.json, args.verbose, redactor.clone());
    listen_until_done(&args, printer)
        .await
        .map_err(|err| masked(err, &redactor))
}

/// Masks the secrets of the URL and of the credential headers given.
fn redactor(args: &Args) -> Redactor {
    let mut secrets = Secrets::new();
    secrets.url(&args.url);
    for header in &args.headers {
        if let Some((name, value)) = header.split_once(':') {
            secrets.header(name, value);
        }
    }
    secrets.redactor()
}

/// The warning `-k` prints on every run, naming the target.
fn warn_insecure(target: &str) -> io::Result<()> {
    writeln!(
        io::stderr().lock(),
        "warning: TLS certificates are NOT verified for {target} (--insecure): anyone on the path can read and change this stream"
    )
}

/// The error with its secrets masked (kept as it is when it holds none, so
/// that a broken pipe is still recognised).
fn masked(err: anyhow::Error, redactor: &Redactor) -> anyhow::Error {
    let text = format!("{err:#}");
    match redactor.redact(&text) {
        std::borrow::Cow::Borrowed(_) => err,
        std::borrow::Cow::Owned(masked) => anyhow::Error::msg(masked),
    }
}

async fn listen_until_done(args: &Args, mut printer: Printer) -> anyhow::Result<ExitStatus> {
    let settings = resolve(args)?;
    let client = settings.client.build()?;
    printer.note(&format!(
        "{} {}",
        settings.request.method(),
        settings.request.url()
    ))?;
    let listening = listen(&client, settings.request, settings.max_events, &mut printer);
    let Some(limit) = settings.timeout else {
        return listening.await;
    };
    match tokio::time::timeout(limit, listening).await {
        Ok(outcome) => outcome,
        Err(_) => {
            printer.note(&format!(
                "stopping: --timeout {limit:?} elapsed on {}",
                args.url
            ))?;
            Ok(ExitStatus::Success)
        }
    }
}

/// Prints the stream's items until it ends or `--max-events` is reached.
async fn listen(
    client: &Client,
    request: Request,
    max_events: Option<NonZeroU64>,
    printer: &mut Printer,
) -> anyhow::Result<ExitStatus> {
    let url = request.url().to_string();
    let mut stream: EventStream = client.stream(request);
    let mut events = 0u64;
    let mut opened = false;
    while let Some(item) = stream.next().await {
        match item {
            Item::Opened(head) => {
                opened = true;
                printer.opened(&head)?;
            }
            Item::Event { event, .. } => {
                printer.event(&event)?;
                events += 1;
                if max_events.is_some_and(|max| events >= max.get()) {
                    printer.note(&format!(
                        "stopping: {events} events received (--max-events)"
                    ))?;
                    return Ok(ExitStatus::Success);
                }
            }
            Item::Comment { text, .. } => printer.comment(&text)?,
            Item::Reconnecting(lost) if !opened && lost.cause.is_connect() => {
                return Err(anyhow::Error::new(lost.cause).context(format!("cannot open {url}")));
            }
            Item::Reconnecting(lost) => printer.reconnecting(&lost)?,
            Item::Closed(closed) => {
                printer.closed(closed)?;
                return Ok(ExitStatus::Success);
            }
            Item::Error(err) if err.is_connect() => {
                return Err(anyhow::Error::new(err).context(format!("cannot open {url}")));
            }
            Item::Error(err) => return Err(err.into()),
            _ => {}
        }
    }
    Ok(ExitStatus::Success)
}

fn resolve(args: &Args) -> anyhow::Result<Settings> {
    let method = match &args.method {
        Some(method) => Method::from_bytes(method.as_bytes())
            .with_context(|| format!("invalid method {method:?}"))?,
        None if args.data.is_some() => Method::POST,
        None => Method::GET,
    };
    let replays_safely = method == Method::GET;
    let mut request = Request::new(method, &args.url)?.comments(args.comments);
    for header in &args.headers {
        let (name, value) = parse_header(header)?;
        request = request.header(name, value);
    }
    if let Some(data) = &args.data {
        request = request.body(read_body(data)?);
    }
    if let Some(id) = &args.last_event_id {
        request = request.last_event_id(id);
    }
    Ok(Settings {
        client: client_builder(args, replays_safely),
        request,
        max_events: args.max_events,
        timeout: args.timeout,
    })
}

fn client_builder(args: &Args, replays_safely: bool) -> Builder {
    let mut builder = Client::builder()
        .policy(match args.retry_policy {
            RetryPolicy::Default => Policy::Default,
            RetryPolicy::Browser => Policy::Browser,
        })
        .danger_accept_invalid_certs(args.insecure)
        .idle_timeout(args.idle_timeout);
    if let Some(timeout) = args.connect_timeout {
        builder = builder.connect_timeout(Some(timeout));
    }
    if args.no_reconnect || !(replays_safely || args.reconnect) {
        builder = builder.reconnect(Reconnect::Never);
    }
    if args.http2_prior_knowledge {
        builder = builder.http_version(HttpVersion::Http2PriorKnowledge);
    }
    if let Some(path) = &args.cacert {
        builder = builder.add_root_certificates_file(path);
    }
    builder
}

/// `Name: value`, as curl takes it.
fn parse_header(raw: &str) -> anyhow::Result<(HeaderName, HeaderValue)> {
    let Some((name, value)) = raw.split_once(':') else {
        bail!("invalid header {raw:?}: expected 'Name: value'");
    };
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .with_context(|| format!("invalid header {raw:?}: bad name {:?}", name.trim()))?;
    let value = HeaderValue::from_str(value.trim())
        .with_context(|| format!("invalid header {raw:?}: bad value {:?}", value.trim()))?;
    Ok((name, value))
}

/// `-d BODY`, or `-d @FILE` for a file's contents.
fn read_body(data: &str) -> anyhow::Result<Vec<u8>> {
    match data.strip_prefix('@') {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("cannot read the request body from {path:?}")),
        None => Ok(data.as_bytes().to_vec()),
    }
}

/// A count above zero.
fn parse_count(text: &str) -> Result<NonZeroU64, String> {
    text.parse()
        .map_err(|_| format!("invalid count {text:?}: expected a whole number above zero, like 10"))
}

/// Writes events to stdout (flushed per event) and, with `-v`, the
/// connection lifecycle to stderr.
struct Printer {
    json: bool,
    verbose: bool,
    redactor: Redactor,
}

/// One `--json` line; the field order is the documented one.
#[derive(serde::Serialize)]
struct JsonEvent<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    data: &'a str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry: Option<u128>,
}

impl Printer {
    fn new(json: bool, verbose: bool, redactor: Redactor) -> Self {
        Self {
            json,
            verbose,
            redactor,
        }
    }

    fn event(&mut self, event: &Event) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if self.json {
            let line = JsonEvent {
                event_type: event.event_type(),
                data: event.data(),
                id: event.id(),
                retry: event.retry().map(|retry| retry.as_millis()),
            };
            serde_json::to_writer(&mut out, &line)?;
            out.write_all(b"\n")?;
        } else {
            write_block(&mut out, event)?;
        }
        out.flush()
    }

    fn comment(&mut self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if self.json {
            serde_json::to_writer(&mut out, &serde_json::json!({ "comment": text }))?;
            out.write_all(b"\n")?;
        } else {
            writeln!(out, ": {text}")?;
        }
        out.flush()
    }

    fn opened(&mut self, opened: &Opened) -> io::Result<()> {
        let timing = &opened.timing;
        let connect = timing.connected.duration_since(timing.connect_started);
        let response = timing
            .headers_received
            .duration_since(timing.request_written);
        self.note(&format!(
            "opened {} ({:?} {}): connect {connect:?}, response {response:?}",
            opened.url, opened.version, opened.status
        ))
    }

    fn reconnecting(&mut self, lost: &Reconnecting) -> io::Result<()> {
        self.note(&format!(
            "reconnecting in {:?} (attempt {}): {}",
            lost.delay, lost.attempt, lost.cause
        ))
    }

    fn closed(&mut self, closed: Closed) -> io::Result<()> {
        match closed {
            Closed::NoContent => self.note("closed: the server answered 204 No Content"),
            _ => self.note("closed: the server ended the stream"),
        }
    }

    /// A lifecycle line on stderr, only with `-v`, secrets masked.
    fn note(&mut self, text: &str) -> io::Result<()> {
        if self.verbose {
            writeln!(io::stderr().lock(), "* {}", self.redactor.redact(text))?;
        }
        Ok(())
    }
}

/// The readable format: the event as a normalised SSE block (`event:` when
/// not `message`, `id:` when not empty, `retry:` when its block had one,
/// one `data:` line per line), then a blank line.
fn write_block(out: &mut impl Write, event: &Event) -> io::Result<()> {
    let mut block = String::with_capacity(event.data().len() + 32);
    if event.event_type() != sseload_proto::DEFAULT_EVENT_TYPE {
        block.push_str(&format!("event: {}\n", event.event_type()));
    }
    if !event.id().is_empty() {
        block.push_str(&format!("id: {}\n", event.id()));
    }
    if let Some(retry) = event.retry() {
        block.push_str(&format!("retry: {}\n", retry.as_millis()));
    }
    for line in event.data().split('\n') {
        block.push_str("data: ");
        block.push_str(line);
        block.push('\n');
    }
    block.push('\n');
    out.write_all(block.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_name_colon_value() {
        let (name, value) = parse_header("X-Token:  abc ").unwrap();
        assert_eq!((name.as_str(), value.to_str().unwrap()), ("x-token", "abc"));
        let err = parse_header("NoColon").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid header \"NoColon\": expected 'Name: value'"
        );
        let err = parse_header("Bad Name: x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid header \"Bad Name: x\": bad name \"Bad Name\""
        );
        let err = parse_header("X: a\u{7f}b").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid header \"X: a\\u{7f}b\": bad value"),
            "{err}"
        );
    }

    #[test]
    fn the_readable_block_normalises_the_event() {
        let event = Event::new("tick", "one\ntwo", "7").with_retry(Duration::from_millis(1500));
        let mut out = Vec::new();
        write_block(&mut out, &event).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "event: tick\nid: 7\nretry: 1500\ndata: one\ndata: two\n\n"
        );
        let mut out = Vec::new();
        write_block(&mut out, &Event::new("", "", "")).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "data: \n\n");
    }
}
