//! Test support for the sseload workspace (not published).
//!
//! - [`Peer`] is a scripted raw-TCP HTTP/1.1 peer: for each connection it
//!   accepts, it checks the exact request bytes against an [`Exchange`] and
//!   answers with exact response bytes, then closes or holds the connection.
//!   It can speak TLS ([`Peer::start_tls`]) with a [`SelfSigned`] certificate.
//! - [`H2Peer`] is a small HTTP/2 (prior knowledge) server on hyper that serves
//!   one scripted event-stream body to every request and records the requests.
//! - [`Rogue`] misbehaves on cue for fault tests: per connection a [`Turn`]
//!   (bytes at once or one at a time, huge bodies, then a reset, a close or a
//!   hold), and a [`Served`] account of each; after the last turn it refuses.
//!
//! Every peer listens on `127.0.0.1:0`, so tests never share ports.
//!
//! ```
//! use sseload_test::{Exchange, Peer, Script};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let script = Script::new().exchange(
//!     Exchange::expect("GET / HTTP/1.1\r\nhost: {addr}\r\n\r\n").send("HTTP/1.1 204 No Content\r\n\r\n"),
//! );
//! let peer = Peer::start(script).await;
//! let mut tcp = tokio::net::TcpStream::connect(peer.addr()).await.unwrap();
//! let request = format!("GET / HTTP/1.1\r\nhost: {}\r\n\r\n", peer.addr());
//! tokio::io::AsyncWriteExt::write_all(&mut tcp, request.as_bytes()).await.unwrap();
//! let mut reply = String::new();
//! tokio::io::AsyncReadExt::read_to_string(&mut tcp, &mut reply).await.unwrap();
//! assert_eq!(reply, "HTTP/1.1 204 No Content\r\n\r\n");
//! peer.finish().await;
//! # });
//! ```

pub use crate::{
    h2::{H2Peer, RecordedRequest},
    peer::{Exchange, Peer, Script},
    rogue::{Ending, Rogue, SSE_HEAD, Served, Turn},
    tls::SelfSigned,
};

mod h2;
mod peer;
mod rogue;
mod tls;
