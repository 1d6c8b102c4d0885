//! A Server-Sent Events broadcast hub: topics, replay with
//! `Last-Event-ID`, heartbeats, and demo feeds, over HTTP/1.1 (event
//! streams by a small built-in path, every other request by hyper).
//!
//! - [`Server`] is configured with a [`ServerBuilder`] and started on a
//!   Tokio runtime with [`Server::start`], which hands back a
//!   [`RunningServer`]: its address, its [`Hub`], and a graceful
//!   [`shutdown`](RunningServer::shutdown).
//! - [`Hub`] holds the topics. Each event is encoded once and the same bytes
//!   go to every subscriber; each topic keeps a bounded replay ring, so a
//!   client that reconnects with `Last-Event-ID` gets exactly what it missed
//!   (or a [`GAP_EVENT`] event saying it cannot).
//! - A slow subscriber never slows the others: each has a bounded queue, and
//!   one that overflows is disconnected and counted. An idle subscriber's
//!   socket is written by the publish itself, without waking its task.
//! - With a [`data_dir`](ServerBuilder::data_dir), every publish and close
//!   is appended to an event log and synced before it is answered; a
//!   restart rebuilds the replay rings and the id sequence from it and says
//!   what it found in a [`RecoveryReport`] (a damaged log is a
//!   [`StorageError`]).
//! - [`Demo`] feeds (stock prices, a clock, OpenAI-style completions and
//!   chat completions) and [`Faults`] knobs make it a ready-made target for
//!   load tests.
//!
//! The HTTP API is described in `docs/server.md`.
//!
//! ```
//! use sseload_server::{Demo, NewEvent, Server};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::builder().demo(Demo::none()).build()?;
//! let running = server.start("127.0.0.1:0".parse()?).await?;
//! let ids = running.hub().publish("news", &[NewEvent::new("hello").event("headline")])?;
//! assert_eq!(ids, ["1"]);
//! println!("serving on http://{}/topics/news", running.local_addr());
//! running.shutdown().await;
//! # Ok(())
//! # }
//! ```

// Handlers return `Result<_, Reply>` where the error is the HTTP response to
// send; it is built once per refused request, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

pub use crate::{
    config::{Demo, ErrorStatus, Faults, ServerBuilder, Token},
    conn::Connections,
    cors::CorsOrigin,
    durable::{RecoveryReport, TornTail},
    error::{ConfigError, PublishError, ServerError, StorageError, StreamError},
    hub::{Hub, MAX_TOPIC_LEN, NewEvent},
    replay::GAP_EVENT,
    server::{RunningServer, Server},
};

mod auth;
mod config;
mod conn;
mod cors;
mod delivery;
mod demo;
mod durable;
mod error;
mod fanout;
mod fault;
mod h1;
mod head;
mod hub;
mod io;
mod metrics;
mod outbox;
mod pending;
mod publish;
mod query;
mod replay;
mod respond;
mod routes;
mod server;
mod stream;
mod subscribe;
mod tasks;
mod wire;
