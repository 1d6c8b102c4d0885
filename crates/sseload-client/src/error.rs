//! The client's typed error.

use std::path::PathBuf;
use std::time::Duration;

/// A boxed error from the HTTP machinery, kept opaque so that its type is not
/// part of this crate's API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a stream could not be configured, opened or kept open.
///
/// Some of these only ever appear as the cause of a reconnect (for example
/// [`Error::Ended`]); the stream's terminal [`Item::Error`](crate::Item::Error)
/// carries the one that ended it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL cannot be parsed, or is not an `http`/`https` URL with a host.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An extra CA file could not be read or holds no usable certificate.
    #[error("cannot load CA certificates from {}: {reason}", path.display())]
    CaFile {
        /// The file, as given.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The TLS configuration was refused (for example, an unusable CA certificate).
    #[error("cannot configure TLS: {0}")]
    TlsConfig(String),
    /// The TCP connection could not be made.
    #[error("cannot connect to {authority}: {source}")]
    Connect {
        /// `host:port` of the target.
        authority: String,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// TCP (and TLS) were not established within the connect timeout.
    #[error("connecting to {authority} timed out after {after:?}")]
    ConnectTimeout {
        /// `host:port` of the target.
        authority: String,
        /// The connect timeout.
        after: Duration,
    },
    /// The TLS handshake failed (for example, the certificate was refused).
    #[error("TLS handshake with {authority} failed: {source}")]
    Tls {
        /// `host:port` of the target.
        authority: String,
        /// The handshake error.
        #[source]
        source: std::io::Error,
    },
    /// An HTTP protocol or connection error while sending the request or reading the body.
    #[error("HTTP error with {authority}: {source}")]
    Http {
        /// `host:port` of the target.
        authority: String,
        /// The error from the HTTP machinery.
        #[source]
        source: BoxError,
    },
    /// The response head did not arrive in time after the request was written.
    #[error("{authority} did not answer within {after:?}")]
    ResponseTimeout {
        /// `host:port` of the target.
        authority: String,
        /// The time allowed.
        after: Duration,
    },
    /// No bytes arrived for the idle timeout (counted as a dropped connection).
    #[error("no data from {authority} for {after:?}")]
    IdleTimeout {
        /// `host:port` of the target.
        authority: String,
        /// The idle timeout.
        after: Duration,
    },
    /// The server answered with a status that does not open a stream.
    #[error("{url} answered {status}")]
    Status {
        /// The URL that answered.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The server answered 200 with a content type other than `text/event-stream`.
    #[error("{url} answered with content type {content_type:?}, not text/event-stream")]
    ContentType {
        /// The URL that answered.
        url: String,
        /// The content type it sent (empty when none).
        content_type: String,
    },
    /// A redirect had no usable `Location`.
    #[error("{url} redirected to an unusable location {location:?}")]
    Redirect {
        /// The URL that redirected.
        url: String,
        /// The `Location` header (empty when missing).
        location: String,
    },
    /// More redirects in a row than allowed.
    #[error("more than {limit} redirects in a row, the last from {url}")]
    TooManyRedirects {
        /// The configured limit.
        limit: u32,
        /// The URL that redirected once too often.
        url: String,
    },
    /// The stream crossed a parser limit (a line or event too large).
    #[error("the event stream crossed a limit: {0}")]
    Parse(#[from] sseload_proto::ParseError),
    /// The server ended the response body (the cause of an ordinary reconnect).
    #[error("the server ended the response body")]
    Ended,
}

impl Error {
    /// Whether the connection itself could not be made (TCP, TLS or the connect timeout).
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. } | Self::ConnectTimeout { .. } | Self::Tls { .. }
        )
    }

    /// The HTTP status, when the error is a refused status.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}
