//! Server configuration: the [`ServerBuilder`], validated into a [`Server`].

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::cors::CorsOrigin;
use crate::error::ConfigError;
use crate::server::Server;

/// A bearer token; its `Debug` output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The status code of injected errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ErrorStatus {
    /// 500 Internal Server Error.
    InternalServerError,
    /// 503 Service Unavailable (the default).
    #[default]
    ServiceUnavailable,
}

impl ErrorStatus {
    /// The numeric status code.
    pub fn code(self) -> u16 {
        match self {
            Self::InternalServerError => 500,
            Self::ServiceUnavailable => 503,
        }
    }

    /// The status for a code: 500 or 503.
    pub fn from_code(code: u16) -> Option<Self> {
        match code {
            500 => Some(Self::InternalServerError),
            503 => Some(Self::ServiceUnavailable),
            _ => None,
        }
    }
}

/// Fault knobs, all off by default. Every stream endpoint applies them, and
/// each can be overridden per request by a query parameter (see `docs/server.md`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Faults {
    /// Wait this long after the response headers before the first byte of the stream.
    pub delay: Option<Duration>,
    /// Cut the connection (no clean end) after this many events.
    pub drop_after: Option<u64>,
    /// Go silent (no events, no heartbeats) after this many events...
    pub stall_after: Option<u64>,
    /// ...for this long, then end the stream.
    pub stall_for: Duration,
    /// The fraction of stream requests answered with [`error_status`](Self::error_status).
    pub error_rate: f64,
    /// The status of injected errors.
    pub error_status: ErrorStatus,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            delay: None,
            drop_after: None,
            stall_after: None,
            stall_for: Duration::from_secs(30),
            error_rate: 0.0,
            error_status: ErrorStatus::default(),
        }
    }
}

/// Which demo feeds run, and their pace.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Demo {
    /// Stock prices at `GET /stocks/prices`.
    pub stocks: bool,
    /// The time at `GET /clock`.
    pub clock: bool,
    /// OpenAI-style completions at `POST /v1/completions` and chat
    /// completions at `POST /v1/chat/completions`.
    pub llm: bool,
    /// How often one stock price changes.
    pub stock_interval: Duration,
    /// How often the clock ticks.
    pub clock_interval: Duration,
    /// The LLM feed's time to first token.
    pub time_to_first_token: Duration,
    /// The LLM feed's delay between tokens.
    pub inter_token: Duration,
}

impl Default for Demo {
    fn default() -> Self {
        Self {
            stocks: true,
            clock: true,
            llm: true,
            stock_interval: Duration::from_millis(200),
            clock_interval: Duration::from_secs(1),
            time_to_first_token: Duration::from_millis(200),
            inter_token: Duration::from_millis(20),
        }
    }
}

impl Demo {
    /// No demo feed.
    pub fn none() -> Self {
        Self {
            stocks: false,
            clock: false,
            llm: false,
            ..Self::default()
        }
    }
}

/// The validated configuration a [`Server`] runs with.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) replay: usize,
    pub(crate) queue: usize,
    pub(crate) max_topics: usize,
    pub(crate) fanout_threads: usize,
    pub(crate) heartbeat: Option<Duration>,
    pub(crate) retry: Option<Duration>,
    pub(crate) lifetime: Option<Duration>,
    pub(crate) publish_token: Option<Token>,
    pub(crate) subscribe_token: Option<Token>,
    pub(crate) max_body: usize,
    pub(crate) max_connections: usize,
    pub(crate) shutdown_grace: Duration,
    pub(crate) header_timeout: Option<Duration>,
    pub(crate) demo: Demo,
    pub(crate) faults: Faults,
    pub(crate) seed: u64,
    pub(crate) cors: Option<CorsOrigin>,
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) segment_bytes: u64,
}

/// Configures a [`Server`]; [`build`](Self::build) checks the settings.
///
/// ```
/// use std::time::Duration;
/// use sseload_server::Server;
///
/// let server = Server::builder()
///     .replay(4096)
///     .heartbeat(Some(Duration::from_secs(5)))
///     .lifetime(Some(Duration::from_secs(300)))
///     .build()?;
/// # drop(server);
/// # Ok::<(), sseload_server::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServerBuilder {
    config: Config,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerBuilder {
    /// The defaults: replay 1024 events per topic, queue 256 messages per
    /// subscriber, heartbeat every 15 s, `retry` hint 3 s, no lifetime limit,
    /// no tokens, 1 MiB bodies, 16,384 connections, every demo feed, no faults.
    pub fn new() -> Self {
        let config = Config {
            replay: 1024,
            queue: 256,
            max_topics: 10_000,
            fanout_threads: crate::fanout::default_threads(),
            heartbeat: Some(Duration::from_secs(15)),
            retry: Some(Duration::from_secs(3)),
            lifetime: None,
            publish_token: None,
            subscribe_token: None,
            max_body: 1 << 20,
            max_connections: 16_384,
            shutdown_grace: Duration::from_secs(5),
            header_timeout: Some(Duration::from_secs(30)),
            demo: Demo::default(),
            faults: Faults::default(),
            seed: 0x5EED_10AD,
            cors: None,
            data_dir: None,
            segment_bytes: crate::durable::DEFAULT_SEGMENT_BYTES,
        };
        Self { config }
    }

    /// How many events each topic keeps for replay (0 disables replay).
    #[must_use]
    pub fn replay(mut self, events: usize) -> Self {
        self.config.replay = events;
        self
    }

    /// How many messages may wait for one subscriber before it is dropped as
    /// too slow; the events of one publish count as one message.
    #[must_use]
    pub fn queue(mut self, messages: usize) -> Self {
        self.config.queue = messages;
        self
    }

    /// The most topics the hub holds at once.
    #[must_use]
    pub fn max_topics(mut self, topics: usize) -> Self {
        self.config.max_topics = topics;
        self
    }

    /// The most threads one publish is written to a topic's subscribers
    /// by (a topic with fewer than 2,048 subscribers always uses one). The
    /// default is one per core but one, leaving a core to everything else
    /// (and to the readers, when a load test runs on the same machine); on
    /// a machine of its own the server may use them all.
    #[must_use]
    pub fn fanout_threads(mut self, threads: usize) -> Self {
        self.config.fanout_threads = threads;
        self
    }

    /// The heartbeat comment interval, `None` for no heartbeats.
    #[must_use]
    pub fn heartbeat(mut self, interval: Option<Duration>) -> Self {
        self.config.heartbeat = interval;
        self
    }

    /// The `retry` hint sent when a stream opens, `None` to send none.
    #[must_use]
    pub fn retry(mut self, retry: Option<Duration>) -> Self {
        self.config.retry = retry;
        self
    }

    /// The longest a hub stream stays open before it ends cleanly.
    #[must_use]
    pub fn lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.config.lifetime = lifetime;
        self
    }

    /// The bearer token required to publish and close topics.
    #[must_use]
    pub fn publish_token(mut self, token: Option<Token>) -> Self {
        self.config.publish_token = token;
        self
    }

    /// The bearer token required to open streams.
    #[must_use]
    pub fn subscribe_token(mut self, token: Option<Token>) -> Self {
        self.config.subscribe_token = token;
        self
    }

    /// The largest request body accepted, in bytes.
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.config.max_body = bytes;
        self
    }

    /// The most connections served at once; more are answered 503.
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.config.max_connections = connections;
        self
    }

    /// How long a shutdown waits for connections to finish before cutting them.
    #[must_use]
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.shutdown_grace = grace;
        self
    }

    /// How long a client may take to send its request head (`None`: no limit).
    #[must_use]
    pub fn header_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.header_timeout = timeout;
        self
    }

    /// Which demo feeds run.
    #[must_use]
    pub fn demo(mut self, demo: Demo) -> Self {
        self.config.demo = demo;
        self
    }

    /// The default fault knobs.
    #[must_use]
    pub fn faults(mut self, faults: Faults) -> Self {
        self.config.faults = faults;
        self
    }

    /// The seed of the fault and demo random numbers (fixed by default, for repeatable runs).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Lets pages from another origin read the responses: every response
    /// carries `Access-Control-Allow-Origin`, and `OPTIONS` preflight requests
    /// are answered (default `None`: same-origin only, as browsers enforce).
    #[must_use]
    pub fn cors_origin(mut self, origin: Option<CorsOrigin>) -> Self {
        self.config.cors = origin;
        self
    }

    /// Keeps an event log in `dir` (created if missing): every publish and
    /// close is written and synced to disk before it is answered, and a
    /// server started again on the same directory rebuilds its replay rings
    /// and id sequence from it, so resuming clients miss nothing that was
    /// acknowledged. Without it (the default) everything is in memory and a
    /// restart starts from nothing, ids from 1 again. See "Durability" in
    /// `docs/server.md`.
    #[must_use]
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.data_dir = Some(dir.into());
        self
    }

    /// The size at which the event log's segment is compacted into a new one
    /// holding only the replay rings (default 16 MiB).
    #[must_use]
    pub fn log_segment_bytes(mut self, bytes: u64) -> Self {
        self.config.segment_bytes = bytes;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for a zero queue, connection or body limit, a zero
    /// interval, an error rate outside 0..=1, an empty token, or a CORS origin
    /// that is not `*` or `scheme://host[:port]`.
    pub fn build(self) -> Result<Server, ConfigError> {
        let c = &self.config;
        for (name, count) in [
            ("queue", c.queue),
            ("max_topics", c.max_topics),
            ("fanout_threads", c.fanout_threads),
            ("max_body", c.max_body),
            ("max_connections", c.max_connections),
            (
                "log_segment_bytes",
                usize::try_from(c.segment_bytes).unwrap_or(usize::MAX),
            ),
        ] {
            if count == 0 {
                return Err(ConfigError::ZeroCount { name });
            }
        }
        check_durations(c)?;
        check_faults(&c.faults)?;
        for (name, token) in [
            ("publish", &c.publish_token),
            ("subscribe", &c.subscribe_token),
        ] {
            if token.as_ref().is_some_and(|t| t.0.is_empty()) {
                return Err(ConfigError::EmptyToken(name));
            }
        }
        if let Some(cors) = &c.cors {
            cors.check()?;
        }
        Ok(Server::new(self.config))
    }
}

fn check_durations(c: &Config) -> Result<(), ConfigError> {
    let d = &c.demo;
    let durations = [
        ("heartbeat", c.heartbeat),
        ("header_timeout", c.header_timeout),
        ("lifetime", c.lifetime),
        ("stock_interval", Some(d.stock_interval)),
        ("clock_interval", Some(d.clock_interval)),
    ];
    match durations
        .into_iter()
        .find(|(_, d)| d.is_some_and(|d| d.is_zero()))
    {
        Some((name, _)) => Err(ConfigError::ZeroDuration { name }),
        None => Ok(()),
    }
}

pub(crate) fn check_faults(faults: &Faults) -> Result<(), ConfigError> {
    if !(0.0..=1.0).contains(&faults.error_rate) {
        return Err(ConfigError::ErrorRate(faults.error_rate));
    }
    Ok(())
}
