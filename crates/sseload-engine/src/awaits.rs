//! Checks on events: an await's sequences (blocking, one event per check,
//! `matching` filters, a timeout per sequence, optional checks) and listens
//! (in the background, counting and checking matching events).

use std::time::SystemTime;

use sseload_client::Event;
use sseload_metrics::Metric;
use sseload_scenario::check::{Env, EventView, Subject, run_all};
use sseload_scenario::{MessageCheck, Sequence, SseListen};
use tokio::time::Instant;

use crate::names::{NameId, NameKind};
use crate::record::ErrorKind;
use crate::user::User;

/// The await a user is blocked on.
#[derive(Debug)]
pub(crate) struct Awaiting<'p> {
    pub(crate) stream: &'p str,
    sequences: &'p [Sequence],
    sequence: usize,
    check: usize,
    started: Instant,
    pub(crate) deadline: Instant,
}

impl<'p> Awaiting<'p> {
    fn current(&self) -> &'p MessageCheck {
        &self.sequences[self.sequence].checks[self.check]
    }

    /// Moves to the next check; `false` when every sequence is done. A new
    /// sequence starts at `at` with its own timeout.
    fn advance(&mut self, at: Instant, whole_sequence: bool) -> bool {
        self.check += 1;
        if whole_sequence || self.check == self.sequences[self.sequence].checks.len() {
            self.sequence += 1;
            self.check = 0;
            self.started = at;
            if let Some(next) = self.sequences.get(self.sequence) {
                self.deadline = at + next.timeout;
            }
        }
        self.sequence < self.sequences.len()
    }
}

/// A listen running in the background.
#[derive(Debug)]
pub(crate) struct Listening<'p> {
    spec: &'p SseListen,
    /// Its name, looked up where it started (it may end outside its group).
    name: NameId,
    pub(crate) deadline: Option<Instant>,
    count: u64,
    failure: Option<String>,
}

fn view(event: &Event) -> EventView<'_> {
    let id = event.id();
    EventView {
        event_type: event.event_type(),
        id: (!id.is_empty()).then_some(id),
        data: event.data(),
        retry: event
            .retry()
            .map(|r| u64::try_from(r.as_millis()).unwrap_or(u64::MAX)),
    }
}

impl<'p> User<'p> {
    /// Arms `sequences` on `stream`, offering it the buffered unmatched events first.
    pub(crate) fn arm(&mut self, stream: &'p str, sequences: &'p [Sequence]) {
        let Some(first) = sequences.first() else {
            return;
        };
        let now = Instant::now();
        self.awaiting = Some(Awaiting {
            stream,
            sequences,
            sequence: 0,
            check: 0,
            started: now,
            deadline: now + first.timeout,
        });
        let Some(i) = self.slot(stream) else {
            return;
        };
        for (event, at) in std::mem::take(&mut self.streams[i].unmatched) {
            if !self.offer(&event, at) {
                self.streams[i].buffer(event, at);
            }
        }
    }

    /// An event arrived on stream `i`: listens see it, then the pending
    /// check. The event comes back when no check consumed it.
    pub(crate) fn dispatch(&mut self, i: usize, event: Event, at: Instant) -> Option<Event> {
        let name = self.streams[i].name;
        self.observe(name, &event);
        let waiting = self.awaiting.as_ref().is_some_and(|a| a.stream == name);
        (!(waiting && self.offer(&event, at))).then_some(event)
    }

    /// Offers an event to the pending check; `true` when it was consumed.
    fn offer(&mut self, event: &Event, at: Instant) -> bool {
        let Some(check) = self.awaiting.as_ref().map(Awaiting::current) else {
            return false;
        };
        let subject = Subject::event(view(event));
        let mut env = Env {
            vars: &self.session,
            rng: &mut self.rng,
            now: SystemTime::now(),
        };
        if !check.matches(&subject, &mut env) {
            return false;
        }
        let verdict = check.check(&subject, &mut env);
        self.session.save(verdict.saves);
        let name = self.name(NameKind::Check, &check.name);
        match verdict.result {
            Ok(()) => self.check_passed(name, at),
            Err(message) => self.check_failed(name, ErrorKind::CheckFailed, &message),
        }
        true
    }

    fn check_passed(&mut self, name: NameId, at: Instant) {
        let Some(awaiting) = &mut self.awaiting else {
            return;
        };
        let took = at.saturating_duration_since(awaiting.started);
        self.rec.with(|s| {
            s.outcome(name, true);
            s.record(name, Metric::CheckTime, took);
        });
        if !awaiting.advance(at, false) {
            self.awaiting = None;
        }
    }

    /// A KO: the rest of the await is dropped and the session fails.
    fn check_failed(&mut self, name: NameId, kind: ErrorKind, message: &str) {
        self.awaiting = None;
        self.rec.with(|s| s.outcome(name, false));
        self.step_error(name, kind, message);
    }

    /// The sequence's timeout passed: a KO for the current check, unless it
    /// is optional (then the next sequence starts).
    pub(crate) fn await_timed_out(&mut self, now: Instant) {
        let Some(awaiting) = &mut self.awaiting else {
            return;
        };
        let check = awaiting.current();
        let timeout = awaiting.sequences[awaiting.sequence].timeout;
        if check.optional {
            if !awaiting.advance(now, true) {
                self.awaiting = None;
            }
            return;
        }
        let name = self.name(NameKind::Check, &check.name);
        let message = format!("check `{}` timed out after {timeout:?}", check.name);
        self.check_failed(name, ErrorKind::CheckTimedOut, &message);
    }

    /// The stream `name` ended for good: its pending check fails, its listens end.
    pub(crate) fn stream_gone(&mut self, name: &str, why: &str) {
        let waiting = self.awaiting.as_ref().filter(|a| a.stream == name);
        if let Some(check) = waiting.map(Awaiting::current) {
            let id = self.name(NameKind::Check, &check.name);
            let message = format!(
                "stream `{name}` ended while check `{}` waited: {why}",
                check.name
            );
            self.check_failed(id, ErrorKind::CheckFailed, &message);
        }
        let (gone, kept) = std::mem::take(&mut self.listens)
            .into_iter()
            .partition(|l| l.spec.stream == name);
        self.listens = kept;
        for listen in gone {
            self.end_listen(&listen);
        }
    }

    /// Starts a listen on its stream.
    pub(crate) fn start_listen(&mut self, spec: &'p SseListen) {
        let name = self.name(NameKind::Check, &spec.name);
        self.listens.push(Listening {
            spec,
            name,
            deadline: spec.during.map(|d| Instant::now() + d),
            count: 0,
            failure: None,
        });
    }

    /// Listens on stream `name` see an event.
    fn observe(&mut self, name: &str, event: &Event) {
        if !self.listens.iter().any(|l| l.spec.stream == name) {
            return;
        }
        let subject = Subject::event(view(event));
        let now = SystemTime::now();
        let mut done = Vec::new();
        for (k, listen) in self.listens.iter_mut().enumerate() {
            if listen.spec.stream != name {
                continue;
            }
            let mut env = Env {
                vars: &self.session,
                rng: &mut self.rng,
                now,
            };
            if run_all(&listen.spec.matching, &subject, &mut env)
                .result
                .is_err()
            {
                continue;
            }
            listen.count += 1;
            if let Err(message) = run_all(&listen.spec.check, &subject, &mut env).result {
                listen.failure.get_or_insert(message);
            }
            if listen
                .spec
                .until
                .is_some_and(|n| listen.count >= u64::from(n.get()))
            {
                done.push(k);
            }
        }
        for k in done.into_iter().rev() {
            let listen = self.listens.remove(k);
            self.end_listen(&listen);
        }
    }

    pub(crate) fn expire_listens(&mut self, now: Instant) {
        while let Some(k) = self
            .listens
            .iter()
            .position(|l| l.deadline.is_some_and(|d| d <= now))
        {
            let listen = self.listens.remove(k);
            self.end_listen(&listen);
        }
    }

    /// Records a listen's outcome and saves its count.
    pub(crate) fn end_listen(&mut self, listen: &Listening<'p>) {
        let name = listen.name;
        if let Some(var) = listen.spec.save_count_as {
            self.session.set(var, listen.count.into());
        }
        self.rec.with(|s| s.outcome(name, listen.failure.is_none()));
        if let Some(message) = &listen.failure {
            self.step_error(name, ErrorKind::CheckFailed, message);
        }
    }
}
