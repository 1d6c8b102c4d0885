//! The server: the accept loop, one task per socket (served as
//! [`crate::conn`] serves any byte stream, with the socket shared with the
//! hub so that it can write events itself), and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::config::{Config, ServerBuilder};
use crate::demo;
use crate::durable::{Log, RecoveryReport};
use crate::error::ServerError;
use crate::fault::Dice;
use crate::hub::{Hub, Limits};
use crate::metrics::Counters;
use crate::tasks::{self, Expiry};

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
        let core = Core::start(self.config)?;
        let shared = Arc::clone(&core.shared);
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared), core.drain_tx));
        Ok(RunningServer {
            addr,
            hub: shared.hub.clone(),
            recovery: core.recovery,
            grace: shared.config.shutdown_grace,
            phase: core.phase,
            accept,
            drain: core.drain_rx,
        })
    }
}

/// A hub with its background tasks running, whatever serves its connections.
pub(crate) struct Core {
    pub(crate) shared: Arc<Shared>,
    /// Tells every task and connection to drain or stop.
    pub(crate) phase: watch::Sender<Phase>,
    /// Held by every tracked task; the receiver sees them all end.
    pub(crate) drain_tx: mpsc::Sender<()>,
    pub(crate) drain_rx: mpsc::Receiver<()>,
    /// What the data directory held at start-up.
    pub(crate) recovery: Option<RecoveryReport>,
}

impl Core {
    /// Opens the hub (from the data directory's log, if any) and starts the
    /// heartbeat, the lifetime sweeper and the demo feeds.
    pub(crate) fn start(config: Config) -> Result<Self, ServerError> {
        let (phase, phase_rx) = watch::channel(Phase::Running);
        let counters = Arc::new(Counters::default());
        let (hub, recovery) = open_hub(&config, &counters)?;
        let shared = Arc::new(Shared {
            hub,
            dice: Dice::new(config.seed),
            config,
            counters,
            expiry: Arc::new(Expiry::default()),
            phase: phase_rx,
        });
        let (drain_tx, drain_rx) = mpsc::channel(1);
        spawn_background(&shared, &drain_tx);
        Ok(Self {
            shared,
            phase,
            drain_tx,
            drain_rx,
            recovery,
        })
    }
}

/// The hub, rebuilt from the data directory's log when there is one.
fn open_hub(
    config: &Config,
    counters: &Arc<Counters>,
) -> Result<(Hub, Option<RecoveryReport>), ServerError> {
    let limits = Limits {
        replay: config.replay,
        queue: config.queue,
        max_topics: config.max_topics,
        fanout_threads: config.fanout_threads,
    };
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

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    // Small SSE frames must not wait for a delayed ACK (Nagle).
    let _ = stream.set_nodelay(true);
    let socket = Arc::new(stream);
    let io = crate::io::SharedTcp(Arc::clone(&socket));
    crate::conn::serve(io, Some(socket), shared).await;
}
