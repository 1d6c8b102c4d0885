//! A virtual user: a task that runs its scenario's steps in order, holding
//! its session and its streams. Streams are read whenever the user waits
//! (pause, await, request), so events are measured as they arrive; a user
//! waiting costs no CPU.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sseload_scenario::{Branch, Pause, Step, Template, VarId};
use tokio::sync::watch;
use tokio::time::Instant;
use url::Url;

use crate::awaits::{Awaiting, Listening};
use crate::context::RunCtx;
use crate::names::{NameId, NameKind};
use crate::record::{ErrorKind, Rec};
use crate::render::Renderer;
use crate::session::Session;
use crate::stream::Slot;

/// Why a user stops running steps early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Halt {
    /// The run (or the scenario's closed profile) is stopping.
    Stopped,
    /// `exit_here_if_failed` on a failed session.
    Exit,
    /// The deadline at this depth of the user's deadline stack passed.
    Deadline(usize),
}

type Steps<'a> = Pin<Box<dyn Future<Output = Result<(), Halt>> + Send + 'a>>;

/// One virtual user.
pub(crate) struct User<'p> {
    pub(crate) run: &'p RunCtx,
    pub(crate) scenario: usize,
    pub(crate) rec: Rec,
    pub(crate) session: Session,
    pub(crate) rng: StdRng,
    pub(crate) base: &'p Url,
    pub(crate) streams: Vec<Slot<'p>>,
    pub(crate) awaiting: Option<Awaiting<'p>>,
    pub(crate) listens: Vec<Listening<'p>>,
    pub(crate) deadlines: Vec<Instant>,
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) next_poll: usize,
    pace: HashMap<usize, Instant>,
    /// The groups the user is in, joined by ` / ` (empty outside groups).
    pub(crate) group: String,
}

/// Runs user number `id` of `scenario` to its end.
pub(crate) async fn run(ctx: Arc<RunCtx>, scenario: usize, id: u64, stop: watch::Receiver<bool>) {
    let mut user = User::new(&ctx, scenario, id, stop);
    Rec::gauge(&ctx.recorder.gauges.users, 1);
    let steps = &ctx.plan.scenarios[scenario].steps;
    let _ = user.steps(steps).await;
    user.finish();
    Rec::gauge(&ctx.recorder.gauges.users, -1);
}

impl<'p> User<'p> {
    fn new(run: &'p RunCtx, scenario: usize, id: u64, stop: watch::Receiver<bool>) -> Self {
        Self {
            run,
            scenario,
            rec: run.recorder.handle(id),
            session: Session::new(run.plan.vars.len(), &run.initial),
            rng: StdRng::seed_from_u64(id ^ 0x9E37_79B9_7F4A_7C15),
            base: run.base(id),
            streams: Vec::new(),
            awaiting: None,
            listens: Vec::new(),
            deadlines: Vec::new(),
            stop,
            next_poll: 0,
            pace: HashMap::new(),
            group: String::new(),
        }
    }

    /// The id of a name this user's scenario records under.
    pub(crate) fn name(&self, kind: NameKind, name: &str) -> NameId {
        self.run.names.id(self.scenario, &self.group, kind, name)
    }

    /// Records a step error under `name` and fails the session.
    pub(crate) fn step_error(&mut self, name: NameId, kind: ErrorKind, message: &str) {
        self.rec.with(|s| s.error(name, kind, message));
        self.session.failed = true;
    }

    fn scenario_error(&mut self, message: &str) {
        let name = self.name(
            NameKind::Scenario,
            &self.run.plan.scenarios[self.scenario].name,
        );
        self.step_error(name, ErrorKind::Step, message);
    }

    pub(crate) fn renderer(&mut self) -> Renderer<'_> {
        Renderer {
            session: &self.session,
            rng: &mut self.rng,
            base: self.base,
            defaults: &self.run.plan.http.headers,
        }
    }

    /// Runs `steps` in order.
    pub(crate) fn steps<'a>(&'a mut self, steps: &'p [Step]) -> Steps<'a> {
        Box::pin(async move {
            for step in steps {
                self.one(step).await?;
            }
            Ok(())
        })
    }

    fn step<'a>(&'a mut self, step: &'p Step) -> Steps<'a> {
        Box::pin(self.one(step))
    }

    /// Runs one step. Every user holds this future for as long as it runs
    /// (in a pause too), so the rare, large ones are boxed: an HTTP request
    /// (hyper and TLS, about 12 KB) and an SSE connect (about 1.3 KB) would
    /// otherwise make every user that large.
    async fn one(&mut self, step: &'p Step) -> Result<(), Halt> {
        match step {
            Step::Http { request, checks } => Box::pin(self.http(request, checks)).await,
            Step::SseConnect(c) => Box::pin(self.connect(c)).await,
            Step::SseAwait(a) => self.await_on(&a.stream, &a.sequences).await,
            Step::SseListen(l) => {
                self.listen(l);
                Ok(())
            }
            Step::SseClose(c) => {
                self.close(c);
                Ok(())
            }
            Step::Pause(p) => self.pause(*p).await,
            Step::Pace(p) => self.pace_step(step, *p).await,
            Step::Repeat {
                times,
                counter,
                steps,
            } => self.repeat(*times, *counter, steps).await,
            Step::During {
                duration,
                exit_asap,
                counter,
                steps,
            } => self.during(*duration, *exit_asap, *counter, steps).await,
            Step::Forever { counter, steps } => self.forever(*counter, steps).await,
            Step::AsLongAs {
                condition,
                exit_asap,
                counter,
                steps,
            } => {
                self.as_long_as(condition, *exit_asap, *counter, steps)
                    .await
            }
            Step::Group { name, steps } => self.group(name, steps).await,
            Step::ExitHereIfFailed if self.session.failed => Err(Halt::Exit),
            Step::TryMax {
                times,
                counter,
                steps,
            } => self.try_max(times.get(), *counter, steps).await,
            Step::RandomChoice(branches) => self.random_choice(branches).await,
            Step::Feed { feeder, count } => {
                self.feed(feeder.index(), count.get());
                Ok(())
            }
            Step::Set(values) => {
                self.set(values);
                Ok(())
            }
            Step::ExitHereIfFailed => Ok(()),
        }
    }

    fn counter(&mut self, counter: Option<VarId>, pass: u64) {
        if let Some(var) = counter {
            self.session.set(var, Value::from(pass));
        }
    }

    async fn pause(&mut self, pause: Pause) -> Result<(), Halt> {
        let length = match pause {
            Pause::Fixed(d) => d,
            Pause::Uniform { min, max } => min + (max - min).mul_f64(self.rng.random::<f64>()),
            Pause::Exponential(mean) => mean.mul_f64(-(1.0 - self.rng.random::<f64>()).ln()),
        };
        self.sleep_until(Instant::now() + length).await
    }

    /// Waits so that each pass through this step starts at most once per period.
    async fn pace_step(&mut self, step: &'p Step, pause: Pause) -> Result<(), Halt> {
        let period = match pause {
            Pause::Fixed(d) | Pause::Exponential(d) => d,
            Pause::Uniform { min, max } => min + (max - min).mul_f64(self.rng.random::<f64>()),
        };
        let key = std::ptr::from_ref(step) as usize;
        let now = Instant::now();
        let next = self.pace.get(&key).map_or(now, |last| *last + period);
        self.pace.insert(key, next.max(now));
        if next > now {
            self.sleep_until(next).await?;
        }
        Ok(())
    }

    /// Runs `steps` inside group `name`: what they record carries the group.
    async fn group(&mut self, name: &str, steps: &'p [Step]) -> Result<(), Halt> {
        let inner = crate::names::group_path(&self.group, name);
        let outer = std::mem::replace(&mut self.group, inner);
        let outcome = self.steps(steps).await;
        self.group = outer;
        outcome
    }

    async fn repeat(
        &mut self,
        times: u32,
        counter: Option<VarId>,
        steps: &'p [Step],
    ) -> Result<(), Halt> {
        for pass in 0..times {
            self.counter(counter, u64::from(pass));
            self.steps(steps).await?;
        }
        Ok(())
    }

    async fn during(
        &mut self,
        duration: Duration,
        exit_asap: bool,
        counter: Option<VarId>,
        steps: &'p [Step],
    ) -> Result<(), Halt> {
        let end = Instant::now() + duration;
        let depth = self.deadlines.len();
        if exit_asap {
            self.deadlines.push(end);
        }
        let mut pass = 0;
        let mut outcome = Ok(());
        while Instant::now() < end && outcome.is_ok() {
            self.counter(counter, pass);
            outcome = self.steps(steps).await;
            pass += 1;
        }
        self.deadlines.truncate(depth);
        match outcome {
            Err(Halt::Deadline(d)) if d == depth => Ok(()),
            other => other,
        }
    }

    async fn forever(&mut self, counter: Option<VarId>, steps: &'p [Step]) -> Result<(), Halt> {
        for pass in 0.. {
            self.counter(counter, pass);
            self.steps(steps).await?;
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    async fn as_long_as(
        &mut self,
        condition: &'p Template,
        exit_asap: bool,
        counter: Option<VarId>,
        steps: &'p [Step],
    ) -> Result<(), Halt> {
        let mut pass = 0;
        while self.holds(condition) {
            self.counter(counter, pass);
            if exit_asap {
                for step in steps {
                    if !self.holds(condition) {
                        return Ok(());
                    }
                    self.step(step).await?;
                }
            } else {
                self.steps(steps).await?;
            }
            pass += 1;
            tokio::task::yield_now().await;
        }
        Ok(())
    }

    fn holds(&mut self, condition: &Template) -> bool {
        match self.renderer().text(condition) {
            Ok(text) => text.trim() == "true",
            Err(message) => {
                self.scenario_error(&message);
                false
            }
        }
    }

    async fn try_max(
        &mut self,
        times: u32,
        counter: Option<VarId>,
        steps: &'p [Step],
    ) -> Result<(), Halt> {
        for attempt in 0..times {
            self.counter(counter, u64::from(attempt));
            self.session.failed = false;
            self.steps(steps).await?;
            if !self.session.failed {
                break;
            }
        }
        Ok(())
    }

    async fn random_choice(&mut self, branches: &'p [Branch]) -> Result<(), Halt> {
        let total: f64 = branches.iter().map(|b| b.weight).sum();
        let mut pick = self.rng.random::<f64>() * total;
        for branch in branches {
            if pick < branch.weight {
                return self.steps(&branch.steps).await;
            }
            pick -= branch.weight;
        }
        match branches.last() {
            Some(branch) => self.steps(&branch.steps).await,
            None => Ok(()),
        }
    }

    fn feed(&mut self, feeder: usize, count: u32) {
        let plan_feeder = &self.run.plan.feeders[feeder];
        let mut taken: Vec<Vec<Value>> = Vec::new();
        let mut cursor = self.run.feeders[feeder]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for _ in 0..count {
            match cursor.next(plan_feeder, &mut self.rng) {
                Ok(record) => taken.push(record.to_vec()),
                Err(err) => {
                    drop(cursor);
                    self.scenario_error(&err.to_string());
                    return;
                }
            }
        }
        drop(cursor);
        for (column, var) in plan_feeder.columns.iter().enumerate() {
            let mut values = taken
                .iter()
                .map(|r| r.get(column).cloned().unwrap_or(Value::Null));
            let value = if count == 1 {
                values.next().unwrap_or(Value::Null)
            } else {
                Value::Array(values.collect())
            };
            self.session.set(*var, value);
        }
    }

    /// Sets values: text that reads as JSON (numbers, booleans, lists…) is stored as that value.
    fn set(&mut self, values: &'p [(VarId, Template)]) {
        for (var, template) in values {
            match self.renderer().text(template) {
                Ok(text) => {
                    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
                    self.session.set(*var, value);
                }
                Err(message) => self.scenario_error(&message),
            }
        }
    }

    /// The user is done (or stopped): listens end, open streams are closed and counted.
    fn finish(&mut self) {
        self.awaiting = None;
        for listen in std::mem::take(&mut self.listens) {
            self.end_listen(&listen);
        }
        for slot in std::mem::take(&mut self.streams) {
            self.rec
                .with(|s| s.counts(slot.connect).closed_at_user_end += u64::from(slot.is_live()));
            if slot.counted {
                Rec::gauge(&self.rec.gauges().streams, -1);
            }
        }
    }
}

impl std::fmt::Debug for User<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("scenario", &self.scenario)
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every user holds its step future the whole run: it must stay small.
    #[tokio::test]
    async fn a_users_step_future_stays_small() {
        let yaml = r#"
name: p
target: { base_url: "http://127.0.0.1:1" }
scenarios:
  - name: s
    load: [ { at_once_users: 1 } ]
    steps:
      - sse_connect: { name: c, url: /clock }
      - sse_listen: { name: l, during: 10s, check: { json_path: "$.ts", gt: 0 } }
      - pause: 10s
      - http: { name: h, url: /x }
"#;
        let plan = sseload_scenario::from_str(yaml).unwrap();
        let base = Url::parse("http://127.0.0.1:1").unwrap();
        let ctx = RunCtx::new(plan, vec![base], vec![]).unwrap();
        let (_tx, rx) = watch::channel(false);
        let mut user = User::new(&ctx, 0, 0, rx);
        for step in &ctx.plan.scenarios[0].steps {
            let size = std::mem::size_of_val(&user.one(step));
            assert!(size <= 2048, "the step future is {size} bytes");
        }
    }
}
