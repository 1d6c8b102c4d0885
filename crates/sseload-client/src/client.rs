//! The shared [`Client`] and its [`Builder`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sseload_proto::Limits;

use crate::error::Error;
use crate::request::Request;
use crate::stream::EventStream;
use crate::tls::{self, Roots};

/// The reconnection time used until the server sends a `retry` field (the spec's suggestion).
pub const DEFAULT_RETRY: Duration = Duration::from_millis(3000);

/// How the client treats response statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Policy {
    /// 200 opens, 204 stops, redirects are followed, 5xx and 429 are retried
    /// with back-off (honouring `Retry-After`), anything else ends the stream.
    #[default]
    Default,
    /// As the spec and browsers do: redirects are followed, 204 stops, and
    /// every other non-200 status ends the stream without a reconnect.
    Browser,
}

/// How many times in a row the client may reconnect before giving up.
///
/// The count restarts at zero each time a stream opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reconnect {
    /// Never reconnect: the first loss ends the stream.
    Never,
    /// Reconnect for as long as the stream is polled.
    #[default]
    Forever,
    /// At most this many reconnection attempts in a row (`AtMost(0)` is `Never`).
    AtMost(u32),
}

impl Reconnect {
    /// Whether attempt number `attempt` (1-based) is allowed.
    pub(crate) fn allows(self, attempt: u32) -> bool {
        match self {
            Self::Never => false,
            Self::Forever => true,
            Self::AtMost(limit) => attempt <= limit,
        }
    }
}

/// Which HTTP versions the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum HttpVersion {
    /// HTTP/1.1 on plain TCP; over TLS, HTTP/2 when ALPN picks it, else HTTP/1.1.
    #[default]
    Auto,
    /// HTTP/1.1 only.
    Http1,
    /// HTTP/2 only: with prior knowledge on plain TCP, by ALPN over TLS.
    Http2PriorKnowledge,
}

/// Which implementation speaks HTTP/1.1 (HTTP/2 is always hyper's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Http1Engine {
    /// The client's own response path, made for event streams: no task per
    /// connection, no write buffer kept, a read buffer only while the
    /// response head is read. Errors in the response carry an
    /// [`Http1Error`](crate::Http1Error) as their source.
    #[default]
    Builtin,
    /// hyper's HTTP/1.1 client connection (a driver task, read and write
    /// buffers of at least 8 KiB per connection).
    Hyper,
}

/// The back-off applied to repeated failures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Backoff {
    pub(crate) default_retry: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) jitter: f64,
}

/// Configures a [`Client`].
#[derive(Debug, Clone)]
pub struct Builder {
    connect_timeout: Option<Duration>,
    response_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    policy: Policy,
    reconnect: Reconnect,
    backoff: Backoff,
    max_redirects: u32,
    http: HttpVersion,
    roots: Vec<RootSource>,
    accept_invalid_certs: bool,
    limits: Limits,
    h2_stream_window: u32,
    http1: Http1Engine,
}

#[derive(Debug, Clone)]
enum RootSource {
    File(PathBuf),
    Pem(Vec<u8>),
}

impl Default for Builder {
    fn default() -> Self {
        Self {
            connect_timeout: Some(Duration::from_secs(10)),
            response_timeout: Some(Duration::from_secs(60)),
            idle_timeout: None,
            policy: Policy::Default,
            reconnect: Reconnect::Forever,
            backoff: Backoff {
                default_retry: DEFAULT_RETRY,
                max_delay: Duration::from_secs(30),
                jitter: 0.5,
            },
            max_redirects: 20,
            http: HttpVersion::Auto,
            roots: Vec::new(),
            accept_invalid_certs: false,
            limits: Limits::default(),
            h2_stream_window: 256 * 1024,
            http1: Http1Engine::default(),
        }
    }
}

impl Builder {
    /// The time allowed for TCP and TLS to be established (default 10 s; `None` for no limit).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The time allowed from the request written to the response head
    /// (default 60 s, as Gatling's request timeout; `None` for no limit). A
    /// server that accepts and never answers is then a
    /// [`Error::ResponseTimeout`], retried like a dropped connection, instead
    /// of a stream that waits for ever. The idle timeout, when shorter, also
    /// bounds this wait.
    #[must_use]
    pub fn response_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// After the request is sent, no bytes for this long counts as a dropped
    /// connection (default `None`: wait for ever, as browsers do).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How response statuses are treated (default [`Policy::Default`]).
    #[must_use]
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// How many reconnection attempts in a row are allowed (default [`Reconnect::Forever`]).
    #[must_use]
    pub fn reconnect(mut self, reconnect: Reconnect) -> Self {
        self.reconnect = reconnect;
        self
    }

    /// The reconnection time until the server sends `retry` (default [`DEFAULT_RETRY`]).
    #[must_use]
    pub fn default_retry(mut self, retry: Duration) -> Self {
        self.backoff.default_retry = retry;
        self
    }

    /// The cap on the exponential back-off of repeated failures (default 30 s).
    ///
    /// The cap never shortens the server's own reconnection time.
    #[must_use]
    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.backoff.max_delay = max;
        self
    }

    /// The jitter of the back-off, as a fraction: a delay `d` becomes a random
    /// delay in `[(1 - jitter) * d, d]` (default 0.5; clamped to 0..=1).
    #[must_use]
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.backoff.jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(0.0, 1.0)
        };
        self
    }

    /// The most redirects followed in a row (default 20).
    #[must_use]
    pub fn max_redirects(mut self, max: u32) -> Self {
        self.max_redirects = max;
        self
    }

    /// Which HTTP versions to speak (default [`HttpVersion::Auto`]).
    #[must_use]
    pub fn http_version(mut self, version: HttpVersion) -> Self {
        self.http = version;
        self
    }

    /// Also trusts the CA certificates in this PEM file (read by [`build`](Self::build)).
    #[must_use]
    pub fn add_root_certificates_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.roots.push(RootSource::File(path.into()));
        self
    }

    /// Also trusts the CA certificates in these PEM bytes.
    #[must_use]
    pub fn add_root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots.push(RootSource::Pem(pem.into()));
        self
    }

    /// Accepts any server certificate, valid or not. For self-signed load
    /// targets only: this turns off the protection TLS gives.
    #[must_use]
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// The parser's limits on line and event size.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The HTTP/2 stream flow-control window, in bytes (default 256 KiB).
    ///
    /// It bounds what the server may send ahead of a slow reader.
    #[must_use]
    pub fn http2_stream_window(mut self, bytes: u32) -> Self {
        self.h2_stream_window = bytes;
        self
    }

    /// Which implementation speaks HTTP/1.1 (default [`Http1Engine::Builtin`]).
    #[must_use]
    pub fn http1_engine(mut self, engine: Http1Engine) -> Self {
        self.http1 = engine;
        self
    }

    /// Builds the client, reading the extra CA files.
    ///
    /// # Errors
    ///
    /// [`Error::CaFile`] when a CA file cannot be read or holds no
    /// certificate, [`Error::TlsConfig`] when rustls refuses the configuration.
    pub fn build(self) -> Result<Client, Error> {
        let tls = self.tls_config()?;
        Ok(Client {
            inner: Arc::new(Inner {
                connect_timeout: self.connect_timeout,
                response_timeout: self.response_timeout,
                idle_timeout: self.idle_timeout,
                policy: self.policy,
                reconnect: self.reconnect,
                backoff: self.backoff,
                max_redirects: self.max_redirects,
                http: self.http,
                limits: self.limits,
                h2_stream_window: self.h2_stream_window,
                http1: self.http1,
                tls,
            }),
        })
    }
}

impl Builder {
    /// The TLS configuration the built client's connections use: the
    /// webpki roots plus the extra CAs, [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs),
    /// and ALPN offering what [`http_version`](Self::http_version) allows
    /// (`http/1.1` only for [`HttpVersion::Http1`]).
    ///
    /// For connections made beside the client's streams (plain HTTP
    /// requests to the same target) with the same trust, for example
    /// through `tokio_rustls::TlsConnector::from(config)`.
    ///
    /// # Errors
    ///
    /// As [`build`](Self::build): [`Error::CaFile`] or [`Error::TlsConfig`].
    pub fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, Error> {
        let mut roots = Roots::webpki();
        for source in &self.roots {
            match source {
                RootSource::File(path) => roots.add_file(path)?,
                RootSource::Pem(pem) => roots.add_pem(pem, None)?,
            }
        }
        tls::client_config(roots, self.accept_invalid_certs, self.http)
    }
}

/// What every stream of a client shares.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) response_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) policy: Policy,
    pub(crate) reconnect: Reconnect,
    pub(crate) backoff: Backoff,
    pub(crate) max_redirects: u32,
    pub(crate) http: HttpVersion,
    pub(crate) limits: Limits,
    pub(crate) h2_stream_window: u32,
    pub(crate) http1: Http1Engine,
    pub(crate) tls: Arc<rustls::ClientConfig>,
}

/// A reconnecting EventSource client: configuration shared by every stream
/// it opens. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl Client {
    /// A [`Builder`] with the defaults.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// Starts a stream for `request`. Nothing happens until the stream is polled.
    pub fn stream(&self, request: Request) -> EventStream {
        EventStream::new(self.clone(), request)
    }
}
