//! The server: the accept loop, one hyper HTTP/1 connection per socket, the
//! connection limit, and graceful shutdown.
//!
//! Connections are served by hyper's `server::conn::http1::Builder` directly
//! (no h1/h2 sniffing), which keeps an idle stream at about 11 KB.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use http::{HeaderValue, StatusCode, header};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::{Config, ServerBuilder};
use crate::durable::{Log, RecoveryReport};
use crate::error::ServerError;
use crate::fault::Dice;
use crate::hub::{Hub, Limits};
use crate::metrics::Counters;
use crate::respond::{self, Reply};
use crate::tasks::{self, Expiry};
use crate::{demo, routes};

/// Where the server is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Running,
    /// Not accepting; streams ended; waiting for connections to finish.
    Draining,
    /// The grace period is over: remaining connections are cut.
    Abort,
}

/// Resolves when the server stops running (or its handle is dropped).
pub(crate) async fn stopping(phase: &mut watch::Receiver<Phase>) {
    // The guard `wait_for` returns is not `Send`: drop it here.
    let _ = phase.wait_for(|p| *p != Phase::Running).await;
}

/// Resolves when the grace period is over (or the handle is dropped).
pub(crate) async fn aborting(phase: &mut watch::Receiver<Phase>) {
    let _ = phase.wait_for(|p| *p == Phase::Abort).await;
}

/// What every connection and handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) hub: Hub,
    pub(crate) config: Config,
    pub(crate) counters: Arc<Counters>,
    pub(crate) dice: Dice,
    pub(crate) expiry: Arc<Expiry>,
    pub(crate) phase: watch::Receiver<Phase>,
}

/// A configured SSE server, ready to start. Made by [`Server::builder`].
#[derive(Debug, Clone)]
pub struct Server {
    pub(crate) config: Config,
}

impl Server {
    /// A builder with the default settings.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::new()
    }

    pub(crate) fn new(config: Config) -> Self {
        Self { config }
    }

    /// Binds `addr` (port 0 picks a free port) and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    ///
    /// [`ServerError::Bind`] when the address cannot be bound.
    pub async fn start(self, addr: SocketAddr) -> Result<RunningServer, ServerError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        self.start_on(listener)
    }

    /// Starts serving on a listener that is already bound.
    ///
    /// # Errors
    ///
    /// [`ServerError::LocalAddr`] when the listener's address cannot be read;
    /// [`ServerError::Storage`] when the data directory cannot be used or its
    /// log is damaged anywhere but in its last record.
    pub fn start_on(self, listener: TcpListener) -> Result<RunningServer, ServerError> {
        let addr = listener.local_addr().map_err(ServerError::LocalAddr)?;
        let (phase_tx, phase_rx) = watch::channel(Phase::Running);
        let counters = Arc::new(Counters::default());
        let limits = Limits {
            replay: self.config.replay,
            queue: self.config.queue,
            max_topics: self.config.max_topics,
        };
        let (hub, recovery) = open_hub(&self.config, limits, &counters)?;
        let shared = Arc::new(Shared {
            hub: hub.clone(),
            dice: Dice::new(self.config.seed),
            config: self.config,
            counters,
            expiry: Arc::new(Expiry::default()),
            phase: phase_rx,
        });
        let (drain_tx, drain_rx) = mpsc::channel(1);
        spawn_background(&shared, &drain_tx);
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared), drain_tx));
        Ok(RunningServer {
            addr,
            hub,
            recovery,
            grace: shared.config.shutdown_grace,
            phase: phase_tx,
            accept,
            drain: drain_rx,
        })
    }
}

/// The hub, rebuilt from the data directory's log when there is one.
fn open_hub(
    config: &Config,
    limits: Limits,
    counters: &Arc<Counters>,
) -> Result<(Hub, Option<RecoveryReport>), ServerError> {
    let counters = Arc::clone(counters);
    let Some(dir) = &config.data_dir else {
        return Ok((Hub::new(limits, counters), None));
    };
    let mut state = crate::hub::State::default();
    let (log, report) = Log::open(dir, config.segment_bytes, &mut state, limits.replay)?;
    Ok((
        Hub::restored(limits, counters, state, Some(log)),
        Some(report),
    ))
}

/// Starts the heartbeat ticker, the lifetime sweeper and the demo feeds.
fn spawn_background(shared: &Arc<Shared>, drain: &mpsc::Sender<()>) {
    let hub = &shared.hub;
    let phase = &shared.phase;
    if let Some(interval) = shared.config.heartbeat {
        spawn_tracked(
            drain,
            tasks::heartbeat(hub.clone(), interval, phase.clone()),
        );
    }
    if shared.config.lifetime.is_some() {
        spawn_tracked(
            drain,
            Arc::clone(&shared.expiry).run(hub.clone(), phase.clone()),
        );
    }
    for feed in demo::feeds(shared) {
        spawn_tracked(drain, feed);
    }
}

/// Spawns a task that shutdown waits for.
pub(crate) fn spawn_tracked(
    drain: &mpsc::Sender<()>,
    task: impl Future<Output = ()> + Send + 'static,
) {
    let token = drain.clone();
    tokio::spawn(async move {
        task.await;
        drop(token);
    });
}

/// A server that is serving. Call [`shutdown`](Self::shutdown) to stop it
/// cleanly; dropping it stops it abruptly (open connections are cut).
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    hub: Hub,
    recovery: Option<RecoveryReport>,
    grace: Duration,
    phase: watch::Sender<Phase>,
    accept: JoinHandle<()>,
    drain: mpsc::Receiver<()>,
}

impl RunningServer {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The hub, to publish or close topics in-process.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// What was found in the data directory at start-up (`None` without one),
    /// including a torn last record that was cut off.
    pub fn recovery(&self) -> Option<&RecoveryReport> {
        self.recovery.as_ref()
    }

    /// Serves until `signal` completes, then shuts down.
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }

    /// Stops accepting, ends every stream cleanly, and waits for the
    /// connections to finish; those still open after the grace period are cut.
    pub async fn shutdown(mut self) {
        let _ = self.phase.send(Phase::Draining);
        self.hub.shut_down();
        let _ = (&mut self.accept).await;
        let drained = tokio::time::timeout(self.grace, self.drain.recv()).await;
        if drained.is_err() {
            let _ = self.phase.send(Phase::Abort);
            let _ = self.drain.recv().await;
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, drain: mpsc::Sender<()>) {
    let mut phase = shared.phase.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => spawn_tracked(&drain, connection(stream, Arc::clone(&shared))),
                // Out of file descriptors, most likely: give the open connections
                // a moment to close instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            () = crate::server::stopping(&mut phase) => return,
        }
    }
}

/// Counts an open connection for as long as it lives.
struct OpenConnection(Arc<Shared>);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.counters.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    // Small SSE frames must not wait for a delayed ACK (Nagle).
    let _ = stream.set_nodelay(true);
    let open = shared.counters.connections.fetch_add(1, Ordering::Relaxed) + 1;
    let over_limit = open > shared.config.max_connections as u64;
    if over_limit {
        shared.counters.refused.fetch_add(1, Ordering::Relaxed);
    }
    let _open = OpenConnection(Arc::clone(&shared));
    let mut phase = shared.phase.clone();
    let service_shared = Arc::clone(&shared);
    let service = service_fn(move |request| {
        let shared = Arc::clone(&service_shared);
        async move {
            if over_limit {
                return Ok::<_, Infallible>(refuse(&shared));
            }
            Ok(routes::handle(shared, request).await)
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.header_timeout)
        .keep_alive(!over_limit);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = crate::server::stopping(&mut phase) => conn.as_mut().graceful_shutdown(),
    }
    tokio::select! {
        _ = conn.as_mut() => {}
        () = crate::server::aborting(&mut phase) => {}
    }
}

fn refuse(shared: &Shared) -> Reply {
    let limit = shared.config.max_connections;
    let mut reply = respond::error(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("too many connections (the limit is {limit})"),
    );
    let headers = reply.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    reply
}
