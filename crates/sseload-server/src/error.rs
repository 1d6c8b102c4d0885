//! Typed errors of the server and the hub.

use std::net::SocketAddr;

use sseload_proto::EncodeError;

/// Why a server configuration was refused by [`ServerBuilder::build`](crate::ServerBuilder::build).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A duration that must be positive was zero.
    #[error("{name} must be longer than zero")]
    ZeroDuration {
        /// The setting's name.
        name: &'static str,
    },
    /// A count that must be positive was zero.
    #[error("{name} must be at least 1")]
    ZeroCount {
        /// The setting's name.
        name: &'static str,
    },
    /// The injected error rate is not a fraction between 0 and 1.
    #[error("error rate {0} is not between 0 and 1")]
    ErrorRate(f64),
    /// An empty bearer token, which would accept an empty `Authorization`.
    #[error("the {0} token is empty")]
    EmptyToken(&'static str),
    /// A CORS origin that is neither `*` nor `scheme://host[:port]`.
    #[error(
        "invalid CORS origin {0:?} (expected * or scheme://host[:port], like https://app.example.com)"
    )]
    CorsOrigin(String),
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The bound socket's address could not be read.
    #[error("cannot read the listening address")]
    LocalAddr(#[source] std::io::Error),
}

/// Why events could not be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The topic name is empty, too long, or holds characters other than
    /// ASCII letters, digits, `-`, `_` and `.`.
    #[error("invalid topic name {0:?} (use 1 to 128 of A-Z a-z 0-9 - _ .)")]
    InvalidTopic(String),
    /// The topic has been closed.
    #[error("topic {0:?} is closed")]
    Closed(String),
    /// An event of the batch cannot be encoded.
    #[error("events[{index}]: {source}")]
    Encode {
        /// The event's position in the batch.
        index: usize,
        /// The encoder's reason.
        #[source]
        source: EncodeError,
    },
    /// An event of the batch sets an empty id, which would reset the client's last id.
    #[error("events[{index}].id: must not be empty")]
    EmptyId {
        /// The event's position in the batch.
        index: usize,
    },
    /// Creating the topic would pass the hub's topic limit.
    #[error("too many topics (the limit is {0})")]
    TooManyTopics(usize),
    /// The hub is shutting down.
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// Why a subscription was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SubscribeError {
    /// A topic has been closed (answered with 204 so that clients stop).
    #[error("topic {0:?} is closed")]
    Closed(String),
    /// Creating a topic would pass the hub's topic limit.
    #[error("too many topics (the limit is {0})")]
    TooManyTopics(usize),
    /// The hub is shutting down.
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// Why a stream was cut on purpose (the drop-after fault knob).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The stream was cut after the configured number of events.
    #[error("connection dropped after {0} events (fault injection)")]
    Dropped(u64),
}
