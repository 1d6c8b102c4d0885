//! [`Engine`]: starts a run (refusing what it cannot run), injects users
//! per scenario, samples a point each second, stops on the duration cap or
//! a [`Stopper`], and hands back the [`Report`].

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sseload_scenario::{Load, Plan, Target, VarId};
use sseload_server::{RunningServer, Server};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use url::Url;

use crate::context::RunCtx;
use crate::error::Error;
use crate::inject;
use crate::live::Live;
use crate::meta::{Meta, ShardRun, Shards};
use crate::report::{Report, Totals, secs};
use crate::series::{self, Snapshot};
use crate::shard::{Shard, slice_plan};
use crate::user;

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct Options {
    /// Stop the run after this long (overrides the plan's `max_duration`).
    pub duration: Option<Duration>,
    /// Multiply every user count and arrival rate by this (above zero).
    pub users_scale: f64,
    /// Session values every user starts with, over the defaults of the
    /// plan's declared variables (`vars:`).
    pub initial: Vec<(VarId, Value)>,
    /// This process's part of a run split over several (see [`Shard`]).
    pub shard: Shard,
    /// Wait until this wall-clock time to start, so that shards start together.
    pub start_at: Option<SystemTime>,
    /// Identifies the plan and the options that shape it, for merging
    /// results ([`fingerprint`](crate::fingerprint)); by default one is made
    /// from the plan's name, summary and the scale.
    pub fingerprint: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            duration: None,
            users_scale: 1.0,
            initial: Vec::new(),
            shard: Shard::WHOLE,
            start_at: None,
            fingerprint: None,
        }
    }
}

/// What the run has done so far: its start and its seconds, shared with
/// [`Live`] so that a report can be taken while it runs.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    pub(crate) started: Option<Started>,
    pub(crate) series: Vec<series::Point>,
}

/// When the run started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Started {
    pub(crate) at: Instant,
    pub(crate) wall: SystemTime,
    pub(crate) late_ms: Option<u64>,
}

/// Stops a run: injection ends, users stop and close their streams, and
/// the report of what was measured is still produced.
#[derive(Debug, Clone)]
pub struct Stopper(Arc<watch::Sender<bool>>);

impl Stopper {
    /// Asks the run to stop.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// A run, ready to start.
#[derive(Debug)]
pub struct Engine {
    ctx: Arc<RunCtx>,
    options: Arc<Options>,
    embedded: Option<RunningServer>,
    stop: Arc<watch::Sender<bool>>,
    progress: Arc<Mutex<Progress>>,
}

impl Engine {
    /// Builds the clients (SSE streams and `http` steps share the plan's TLS
    /// options) and starts the embedded server when the target asks for it.
    ///
    /// # Errors
    ///
    /// [`Error::Option`] (also a feeder with fewer records than shards),
    /// [`Error::Client`], [`Error::Embedded`].
    pub async fn start(mut plan: Plan, mut options: Options) -> Result<Self, Error> {
        if !(options.users_scale.is_finite() && options.users_scale > 0.0) {
            return Err(Error::Option {
                option: "users scale",
                reason: format!("{} is not a number above zero", options.users_scale),
            });
        }
        if options.fingerprint.is_none() {
            let (scale, summary) = (options.users_scale.to_bits().to_le_bytes(), plan.summary());
            let parts = [plan.name.as_bytes(), summary.as_bytes(), &scale];
            options.fingerprint = Some(crate::meta::fingerprint(&parts));
        }
        slice_plan(&mut plan, options.shard)?;
        let (bases, embedded) = target(&plan.target).await?;
        // Later values win: `--set` overrides a declared default.
        let initial: Vec<_> = plan
            .declared
            .iter()
            .chain(&options.initial)
            .cloned()
            .collect();
        let ctx = RunCtx::new(plan, bases, initial)?;
        Ok(Self {
            ctx: Arc::new(ctx),
            options: Arc::new(options),
            embedded,
            stop: Arc::new(watch::channel(false).0),
            progress: Arc::default(),
        })
    }

    /// The address of the embedded server, when the target is `embedded`.
    pub fn embedded_url(&self) -> Option<&Url> {
        self.embedded.as_ref().map(|_| &self.ctx.bases[0])
    }

    /// A handle that reads the cumulative figures while the run goes on.
    pub fn live(&self) -> Live {
        Live::new(
            Arc::clone(&self.ctx),
            Arc::clone(&self.options),
            Arc::clone(&self.progress),
        )
    }

    /// A handle that stops the run.
    pub fn stopper(&self) -> Stopper {
        Stopper(Arc::clone(&self.stop))
    }

    /// The most users this process can have running at once: every
    /// arrival of the open profiles (an upper bound: users that end free
    /// their place) plus the largest target of the closed ones, for this shard.
    pub fn peak_users(&self) -> u64 {
        let (scale, shard) = (self.options.users_scale, self.options.shard);
        let scenarios = self.ctx.plan.scenarios.iter().enumerate();
        scenarios
            .map(|(index, s)| match &s.load {
                Load::Open(steps) => {
                    inject::arrivals(steps, scale, index as u64, shard).count() as u64
                }
                Load::Closed(steps) => inject::closed_peak(steps, scale, shard),
            })
            .sum()
    }

    /// How long the load profile lasts, capped by the duration options.
    pub fn planned(&self) -> Duration {
        let profile = self
            .ctx
            .plan
            .scenarios
            .iter()
            .map(|s| profile_length(&s.load))
            .max()
            .unwrap_or_default();
        self.cap().map_or(profile, |cap| cap.min(profile))
    }

    fn cap(&self) -> Option<Duration> {
        self.options.duration.or(self.ctx.plan.max_duration)
    }

    /// Waits for the start time if one was given, then runs to the end; a
    /// snapshot goes to `snapshots` each second.
    pub async fn run(self, snapshots: Option<mpsc::Sender<Snapshot>>) -> Report {
        let late_ms = self.wait_for_start().await;
        let start = Instant::now();
        let started = Started {
            at: start,
            wall: SystemTime::now(),
            late_ms,
        };
        self.progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .started = Some(started);
        let planned = self.planned();
        self.ctx.start_throttles(start);
        let mut injectors = JoinSet::new();
        for index in 0..self.ctx.plan.scenarios.len() {
            let (ctx, stop) = (Arc::clone(&self.ctx), self.stop.subscribe());
            let how = (self.options.users_scale, self.options.shard);
            injectors.spawn(scenario(ctx, index, how, start, stop));
        }
        let mut sampler = Sampler {
            carry: series::Carry::new(),
            progress: Arc::clone(&self.progress),
            start,
            planned,
        };
        let cap = self.cap().map(|c| start + c);
        let ended_by = self
            .wait(&mut injectors, &mut sampler, cap, snapshots.as_ref())
            .await;
        let elapsed = start.elapsed();
        sampler.tick(&self.ctx, snapshots.as_ref()).await;
        if let Some(server) = self.embedded {
            server.shutdown().await;
        }
        let series = std::mem::take(
            &mut self
                .progress
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .series,
        );
        report(&self.ctx, &self.options, series, started, elapsed, ended_by)
    }

    /// Sleeps until the start time, if any (a stop ends the wait); how late
    /// the run then starts, in milliseconds.
    async fn wait_for_start(&self) -> Option<u64> {
        let at = self.options.start_at?;
        if let Ok(wait) = at.duration_since(SystemTime::now()) {
            let mut stop = self.stop.subscribe();
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = stopped(&mut stop) => {}
            }
        }
        let late = SystemTime::now().duration_since(at).unwrap_or_default();
        Some(u64::try_from(late.as_millis()).unwrap_or(u64::MAX))
    }

    /// Waits for every scenario to end, sampling each second; stops at the cap.
    async fn wait(
        &self,
        injectors: &mut JoinSet<()>,
        sampler: &mut Sampler,
        cap: Option<Instant>,
        snapshots: Option<&mpsc::Sender<Snapshot>>,
    ) -> &'static str {
        let mut ticks = tokio::time::interval_at(
            sampler.start + Duration::from_secs(1),
            Duration::from_secs(1),
        );
        let mut stop = self.stop.subscribe();
        let mut ended_by = "completed";
        let far = sampler.start + Duration::from_secs(86_400 * 365);
        loop {
            tokio::select! {
                next = injectors.join_next() => if next.is_none() {
                    // A stop the scenarios obeyed before this loop saw it.
                    let stopped = ended_by == "completed" && *self.stop.borrow();
                    return if stopped { "interrupted" } else { ended_by };
                },
                _ = ticks.tick() => sampler.tick(&self.ctx, snapshots).await,
                () = tokio::time::sleep_until(cap.unwrap_or(far)), if ended_by == "completed" && cap.is_some() => {
                    ended_by = "duration";
                    self.stop.send_replace(true);
                }
                _ = stopped(&mut stop), if ended_by == "completed" => ended_by = "interrupted",
            }
        }
    }
}

struct Sampler {
    carry: series::Carry,
    progress: Arc<Mutex<Progress>>,
    start: Instant,
    planned: Duration,
}

impl Sampler {
    async fn tick(&mut self, ctx: &RunCtx, snapshots: Option<&mpsc::Sender<Snapshot>>) {
        let elapsed = self.start.elapsed();
        let rounded = elapsed.as_secs_f64().round() as u64;
        let last = self.last_second();
        // The last point (taken when the run ends) closes a partial second.
        let second = last.map_or(rounded, |s| rounded.max(s + 1));
        let point = series::sample(&ctx.recorder, second, &mut self.carry);
        if let Some(tx) = snapshots {
            let gauges = &ctx.recorder.gauges;
            let snapshot = Snapshot {
                elapsed,
                planned: self.planned,
                arrivals_total: gauges.arrivals.load(Ordering::Relaxed),
                users_done: gauges.users_done.load(Ordering::Relaxed),
                point: point.clone(),
            };
            let _ = tx.try_send(snapshot);
        }
        self.progress
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .series
            .push(point);
    }

    fn last_second(&self) -> Option<u64> {
        let progress = self.progress.lock().unwrap_or_else(PoisonError::into_inner);
        progress.series.last().map(|p| p.second)
    }
}

fn profile_length(load: &Load) -> Duration {
    match load {
        Load::Open(steps) => steps.iter().map(inject::open_step_duration).sum(),
        Load::Closed(steps) => steps.iter().map(inject::closed_step_duration).sum(),
    }
}

/// The base URLs, starting the embedded server if asked.
async fn target(target: &Target) -> Result<(Vec<Url>, Option<RunningServer>), Error> {
    match target {
        Target::BaseUrls(urls) => Ok((urls.clone(), None)),
        Target::Embedded => {
            let server = Server::builder()
                .build()
                .map_err(|e| Error::Embedded(e.to_string()))?;
            let addr = "127.0.0.1:0"
                .parse()
                .map_err(|_| Error::Embedded("bad address".into()))?;
            let running = server
                .start(addr)
                .await
                .map_err(|e| Error::Embedded(e.to_string()))?;
            let url = Url::parse(&format!("http://{}/", running.local_addr()))
                .map_err(|e| Error::Embedded(e.to_string()))?;
            Ok((vec![url], Some(running)))
        }
    }
}

/// Runs one scenario's injection, then waits for its users.
async fn scenario(
    ctx: Arc<RunCtx>,
    index: usize,
    (scale, shard): (f64, Shard),
    start: Instant,
    mut stop: watch::Receiver<bool>,
) {
    let (users_stop, users_rx) = watch::channel(false);
    let mut users = JoinSet::new();
    let spawner = Spawner {
        ctx: Arc::clone(&ctx),
        index,
        shard,
        stop: users_rx,
    };
    let closed = match &ctx.plan.scenarios[index].load {
        Load::Open(steps) => {
            let arrivals = inject::arrivals(steps, scale, index as u64, shard);
            open(&spawner, &mut users, arrivals, start, &mut stop).await;
            false
        }
        Load::Closed(steps) => {
            closed(&spawner, &mut users, steps, scale, start, &mut stop).await;
            true
        }
    };
    let stopping = *stop.borrow();
    let mut stopping = closed || stopping;
    if stopping {
        users_stop.send_replace(true);
    }
    loop {
        tokio::select! {
            next = users.join_next() => if next.is_none() { break },
            () = stopped(&mut stop), if !stopping => {
                stopping = true;
                users_stop.send_replace(true);
            }
        }
    }
}

struct Spawner {
    ctx: Arc<RunCtx>,
    index: usize,
    shard: Shard,
    stop: watch::Receiver<bool>,
}

impl Spawner {
    /// Starts a user; its number is unique over every shard of the run.
    fn spawn(&self, users: &mut JoinSet<()>) {
        let gauges = &self.ctx.recorder.gauges;
        let id = self
            .shard
            .global(gauges.arrivals.fetch_add(1, Ordering::Relaxed));
        let (ctx, stop, index) = (Arc::clone(&self.ctx), self.stop.clone(), self.index);
        users.spawn(async move {
            user::run(Arc::clone(&ctx), index, id, stop).await;
            ctx.recorder
                .gauges
                .users_done
                .fetch_add(1, Ordering::Relaxed);
        });
        while users.try_join_next().is_some() {}
    }
}

/// Starts a user at each arrival offset, from the clock only.
async fn open(
    spawner: &Spawner,
    users: &mut JoinSet<()>,
    arrivals: impl Iterator<Item = Duration>,
    start: Instant,
    stop: &mut watch::Receiver<bool>,
) {
    for offset in arrivals {
        tokio::select! {
            biased;
            _ = stopped(stop) => return,
            () = tokio::time::sleep_until(start + offset) => spawner.spawn(users),
        }
    }
}

/// Keeps the target number of users running until the profile ends.
async fn closed(
    spawner: &Spawner,
    users: &mut JoinSet<()>,
    steps: &[sseload_scenario::ClosedStep],
    scale: f64,
    start: Instant,
    stop: &mut watch::Receiver<bool>,
) {
    let step = Duration::from_millis(10);
    while let Some(target) = inject::closed_target(steps, scale, start.elapsed(), spawner.shard) {
        while (users.len() as u64) < target {
            spawner.spawn(users);
        }
        tokio::select! {
            biased;
            _ = stopped(stop) => return,
            _ = users.join_next(), if !users.is_empty() => {}
            () = tokio::time::sleep(step) => {}
        }
    }
}

/// The report of what was measured up to now.
pub(crate) fn report(
    ctx: &RunCtx,
    options: &Options,
    series: Vec<series::Point>,
    started: Started,
    elapsed: Duration,
    ended_by: &str,
) -> Report {
    let totals = Totals::collect(&ctx.recorder, ctx.names.list(), secs(elapsed));
    let scenarios: Vec<String> = ctx.plan.scenarios.iter().map(|s| s.name.clone()).collect();
    Report {
        meta: meta(ctx, options, started, elapsed, ended_by),
        stats: totals.all_stats(&scenarios),
        histograms: totals.serialized(),
        errors: totals.errors.clone(),
        series,
        assertions: crate::assert::evaluate(&ctx.plan.assertions, &totals),
    }
}

fn meta(
    ctx: &RunCtx,
    options: &Options,
    started: Started,
    elapsed: Duration,
    ended_by: &str,
) -> Meta {
    let target = match &ctx.plan.target {
        Target::Embedded => format!("embedded ({})", ctx.bases[0]),
        // Credentials in a base URL never reach the results.
        Target::BaseUrls(urls) => (urls.iter())
            .map(sseload_scenario::redact_url)
            .collect::<Vec<_>>()
            .join(", "),
    };
    let ms = |t: SystemTime| {
        t.duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    };
    let users_started = ctx.recorder.gauges.arrivals.load(Ordering::Relaxed);
    let run = ShardRun {
        index: options.shard.index,
        started_at_ms: ms(started.wall),
        duration_us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        ended_by: ended_by.to_owned(),
        users_started,
        start_at_ms: options.start_at.map(ms),
        late_ms: started.late_ms,
    };
    Meta {
        plan: ctx.plan.name.clone(),
        summary: ctx.plan.summary(),
        fingerprint: options.fingerprint.clone().unwrap_or_default(),
        target,
        started_at_ms: run.started_at_ms,
        duration_s: secs(elapsed),
        ended_by: ended_by.to_owned(),
        users_started,
        engine_version: env!("CARGO_PKG_VERSION").to_owned(),
        shards: Shards {
            count: options.shard.count,
            runs: vec![run],
        },
    }
}

/// Resolves once `stop` says stop (at once if it already does).
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
