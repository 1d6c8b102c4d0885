//! Typed errors of the server and the hub.

use std::net::SocketAddr;
use std::path::PathBuf;

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
    /// The data directory's event log could not be opened or read back.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why the event log in the data directory could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A file operation failed.
    #[error("cannot {op} {}", path.display())]
    Io {
        /// What was being done: create, read, write, rename, sync, remove, truncate.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A segment file does not start with the log's header.
    #[error("{}: not an sseload event log: {reason}", file.display())]
    Header {
        /// The segment file.
        file: PathBuf,
        /// What is wrong with the header.
        reason: String,
    },
    /// A damaged record that is not the last one: the events after it cannot
    /// be trusted, so the server refuses to start rather than skip them.
    #[error(
        "{}: corrupt record at byte {offset}: {reason} (the log is not the last write cut short; move the file away to start without it)",
        file.display()
    )]
    Corrupt {
        /// The segment file.
        file: PathBuf,
        /// The byte offset of the damaged record in the file.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// An earlier failed write could not be taken back; nothing more is written.
    #[error("{}: an earlier failed write could not be undone; restart the server", .0.display())]
    Broken(PathBuf),
}

impl StorageError {
    /// The message with its causes, on one line.
    pub(crate) fn chain(&self) -> String {
        match std::error::Error::source(self) {
            Some(source) => format!("{self}: {source}"),
            None => self.to_string(),
        }
    }
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
    /// The event log could not be written; nothing was published.
    #[error("cannot write the event log: {0}")]
    Storage(String),
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
