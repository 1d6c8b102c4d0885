//! The stream and request steps: connect, await, listen, close, http.

use std::sync::Arc;

use sseload_metrics::Metric;
use sseload_scenario::check::{Env, ResponseView, Subject, run_all};
use sseload_scenario::{Criterion, Request, Sequence, SseClose, SseConnect, SseListen};

use crate::drive::count_open;
use crate::names::NameKind;
use crate::record::ErrorKind;
use crate::stream::{Phase, Slot};
use crate::user::{Halt, User};

impl<'p> User<'p> {
    /// The index of stream `name`.
    pub(crate) fn slot(&self, name: &str) -> Option<usize> {
        self.streams.iter().position(|s| s.name == name)
    }

    /// Opens a stream, waits until it is connected (or failed), then runs its awaits.
    pub(crate) async fn connect(&mut self, spec: &'p SseConnect) -> Result<(), Halt> {
        let name = self.name(NameKind::Request, &spec.request.name);
        if let Some(i) = self.slot(&spec.stream) {
            if self.streams[i].is_live() {
                let message = format!("stream `{}` is already open; close it first", spec.stream);
                self.rec.with(|s| s.outcome(name, false));
                self.step_error(name, ErrorKind::Step, &message);
                return Ok(());
            }
            self.streams.remove(i);
        }
        let request = self
            .renderer()
            .request(&spec.request)
            .and_then(|r| r.into_sse());
        let request = match request {
            Ok(request) => request,
            Err(message) => {
                self.rec.with(|s| s.outcome(name, false));
                self.step_error(name, ErrorKind::Step, &message);
                return Ok(());
            }
        };
        self.throttled().await?;
        let events = self.run.client(spec.reconnect).stream(request);
        self.streams.push(Slot::new(spec, name, events));
        let stream = spec.stream.as_str();
        let connecting = move |u: &Self| {
            u.slot(stream)
                .is_some_and(|i| u.streams[i].phase != Phase::Connecting)
        };
        self.drive(std::future::pending::<()>(), connecting).await?;
        let opened = self
            .slot(stream)
            .is_some_and(|i| self.streams[i].phase == Phase::Open);
        if opened && !spec.sequences.is_empty() {
            self.block_on(stream, &spec.sequences).await?;
        }
        Ok(())
    }

    /// An await step on an existing stream.
    pub(crate) async fn await_on(
        &mut self,
        stream: &'p str,
        sequences: &'p [Sequence],
    ) -> Result<(), Halt> {
        let first = sequences.first().and_then(|s| s.checks.first());
        let name = first.map_or(0, |c| self.name(NameKind::Check, &c.name));
        let Some(i) = self.slot(stream) else {
            self.step_error(
                name,
                ErrorKind::Step,
                &format!("no stream named `{stream}` is open"),
            );
            return Ok(());
        };
        if let Phase::Crashed(why) = &self.streams[i].phase {
            let message = format!("stream `{stream}` crashed earlier: {why}");
            self.step_error(name, ErrorKind::Step, &message);
            return Ok(());
        }
        self.block_on(stream, sequences).await
    }

    /// Arms the sequences and blocks until they are done, failed or timed out.
    async fn block_on(&mut self, stream: &'p str, sequences: &'p [Sequence]) -> Result<(), Halt> {
        self.arm(stream, sequences);
        let ended = self
            .slot(stream)
            .and_then(|i| match &self.streams[i].phase {
                Phase::Ended(why) | Phase::Crashed(why) => Some(why.clone()),
                _ => None,
            });
        if let Some(why) = ended {
            self.stream_gone(stream, &why);
        }
        let waited = self
            .drive(std::future::pending::<()>(), |u| u.awaiting.is_none())
            .await;
        // Interrupted (a stop, or a `during` deadline): the await is dropped,
        // not left armed for events that come later.
        self.awaiting = None;
        waited.map(drop)
    }

    /// Starts a listen on an open stream.
    pub(crate) fn listen(&mut self, spec: &'p SseListen) {
        let name = self.name(NameKind::Check, &spec.name);
        match self.slot(&spec.stream).map(|i| &self.streams[i].phase) {
            Some(Phase::Open | Phase::Connecting) => self.start_listen(spec),
            Some(Phase::Ended(why) | Phase::Crashed(why)) => {
                let message = format!("stream `{}` is not open: {why}", spec.stream);
                self.rec.with(|s| s.outcome(name, false));
                self.step_error(name, ErrorKind::Step, &message);
            }
            None => {
                let message = format!("no stream named `{}` is open", spec.stream);
                self.rec.with(|s| s.outcome(name, false));
                self.step_error(name, ErrorKind::Step, &message);
            }
        }
    }

    /// Closes a stream: an OK under the close's name, or an error when it
    /// is missing or had crashed.
    pub(crate) fn close(&mut self, spec: &'p SseClose) {
        let name = self.name(NameKind::Request, &spec.name);
        let Some(i) = self.slot(&spec.stream) else {
            let message = format!("no stream named `{}` is open", spec.stream);
            self.step_error(name, ErrorKind::Step, &message);
            return;
        };
        self.stream_gone(&spec.stream, "closed by the user");
        let mut slot = self.streams.remove(i);
        count_open(&self.rec, &mut slot, false);
        match &slot.phase {
            Phase::Crashed(why) => {
                let message = format!("stream `{}` had already crashed: {why}", spec.stream);
                self.step_error(name, ErrorKind::Step, &message);
            }
            _ => self.rec.with(|s| s.outcome(name, true)),
        }
    }

    /// Waits for a slot under the plan's and the scenario's request-rate caps.
    async fn throttled(&mut self) -> Result<(), Halt> {
        let caps = [
            &self.run.throttle,
            &self.run.scenario_throttles[self.scenario],
        ];
        let mut slot = Some(tokio::time::Instant::now());
        for cap in caps.into_iter().flatten() {
            slot = slot.zip(cap.next_slot()).map(|(a, b)| a.max(b));
        }
        match slot {
            Some(at) => self.sleep_until(at).await,
            None => self
                .drive(std::future::pending::<()>(), |_| false)
                .await
                .map(drop),
        }
    }

    /// A plain HTTP request with its checks.
    pub(crate) async fn http(
        &mut self,
        request: &'p Request,
        checks: &'p [Criterion],
    ) -> Result<(), Halt> {
        let name = self.name(NameKind::Request, &request.name);
        let rendered = match self.renderer().request(request) {
            Ok(rendered) => rendered,
            Err(message) => {
                self.rec.with(|s| s.outcome(name, false));
                self.step_error(name, ErrorKind::Step, &message);
                return Ok(());
            }
        };
        self.throttled().await?;
        let sent = self
            .drive(
                crate::http::send(rendered, Arc::clone(&self.run.http_tls)),
                |_| false,
            )
            .await?;
        let response = match sent {
            Some(Ok(response)) => response,
            Some(Err(failure)) => {
                self.rec.with(|s| s.outcome(name, false));
                self.step_error(name, failure.kind, &failure.message);
                return Ok(());
            }
            None => return Ok(()),
        };
        self.rec.with(|s| {
            s.record(name, Metric::ConnectTime, response.connect_time);
            s.record(name, Metric::ResponseTime, response.response_time);
        });
        let subject = Subject::response(ResponseView {
            status: response.status,
            headers: &response.headers,
            body: &response.body,
        });
        let mut env = Env {
            vars: &self.session,
            rng: &mut self.rng,
            now: std::time::SystemTime::now(),
        };
        let verdict = run_all(checks, &subject, &mut env);
        self.session.save(verdict.saves);
        self.rec.with(|s| s.outcome(name, verdict.result.is_ok()));
        if let Err(message) = verdict.result {
            let kind = if message.starts_with("field `status`") {
                ErrorKind::Status
            } else {
                ErrorKind::CheckFailed
            };
            self.step_error(name, kind, &message);
        }
        Ok(())
    }
}
