//! What every user of a run shares: the plan, its names, the SSE clients,
//! the base URLs, the feeders' cursors and the recorder (which masks the
//! run's secrets in the errors it records).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;
use sseload_client::Client;
use sseload_scenario::{FeedCursor as Cursor, Plan, Reconnect, Redactor, Secrets, Step, VarId};
use url::Url;

use crate::error::Error;
use crate::names::Names;
use crate::record::Recorder;
use crate::throttle::Throttle;

/// Shared by the users of one run.
#[derive(Debug)]
pub(crate) struct RunCtx {
    pub(crate) plan: Plan,
    pub(crate) names: Names,
    pub(crate) clients: Vec<(Reconnect, Client)>,
    /// TLS for `http` steps: the plan's TLS options, HTTP/1.1 by ALPN.
    pub(crate) http_tls: Arc<rustls::ClientConfig>,
    pub(crate) bases: Vec<Url>,
    pub(crate) feeders: Vec<Mutex<Cursor>>,
    pub(crate) recorder: Arc<Recorder>,
    pub(crate) initial: Vec<(VarId, Value)>,
    /// The plan's request-rate cap.
    pub(crate) throttle: Option<Throttle>,
    /// Each scenario's own cap.
    pub(crate) scenario_throttles: Vec<Option<Throttle>>,
}

impl RunCtx {
    pub(crate) fn new(
        plan: Plan,
        bases: Vec<Url>,
        initial: Vec<(VarId, Value)>,
    ) -> Result<Self, Error> {
        let names = Names::of(&plan);
        let clients = clients(&plan)?;
        let http_tls = tls(&plan)
            .http_version(sseload_client::HttpVersion::Http1)
            .tls_config()?;
        let mut rng = StdRng::seed_from_u64(0x5EED);
        let feeders = plan
            .feeders
            .iter()
            .map(|f| Mutex::new(Cursor::new(f, &mut rng)))
            .collect();
        let redactor = redactor(&plan, &initial);
        let recorder = Recorder::new(names.len(), &redactor);
        let throttle = Throttle::new(&plan.throttle);
        let scenario_throttles = plan
            .scenarios
            .iter()
            .map(|s| Throttle::new(&s.throttle))
            .collect();
        Ok(Self {
            throttle,
            scenario_throttles,
            plan,
            names,
            clients,
            http_tls,
            bases,
            feeders,
            recorder,
            initial,
        })
    }

    /// Starts the request-rate caps' clocks.
    pub(crate) fn start_throttles(&self, start: tokio::time::Instant) {
        let caps = self.scenario_throttles.iter().flatten();
        for throttle in self.throttle.iter().chain(caps) {
            throttle.start(start);
        }
    }

    /// The client for a stream's reconnect policy.
    pub(crate) fn client(&self, reconnect: Reconnect) -> &Client {
        let found = self.clients.iter().find(|(r, _)| *r == reconnect);
        &found.unwrap_or(&self.clients[0]).1
    }

    /// The base URL of user number `user` (round robin).
    pub(crate) fn base(&self, user: u64) -> &Url {
        &self.bases[usize::try_from(user).unwrap_or_default() % self.bases.len()]
    }
}

/// The run's redactor: the plan's secrets and the values given to its
/// secret variables.
fn redactor(plan: &Plan, initial: &[(VarId, Value)]) -> Redactor {
    let mut secrets = Secrets::of_plan(plan);
    secrets.vars(plan, initial);
    secrets.redactor()
}

/// One client per reconnect policy the plan uses (and a default one).
fn clients(plan: &Plan) -> Result<Vec<(Reconnect, Client)>, Error> {
    let mut policies = vec![Reconnect::Never];
    for scenario in &plan.scenarios {
        collect(&scenario.steps, &mut policies);
    }
    policies
        .into_iter()
        .map(|policy| Ok((policy, build(plan, policy)?)))
        .collect()
}

fn collect(steps: &[Step], policies: &mut Vec<Reconnect>) {
    for step in steps {
        if let Step::SseConnect(c) = step
            && !policies.contains(&c.reconnect)
        {
            policies.push(c.reconnect);
        }
        for children in step.children() {
            collect(children, policies);
        }
    }
}

/// A client builder with the plan's TLS options.
fn tls(plan: &Plan) -> sseload_client::Builder {
    let builder = Client::builder().danger_accept_invalid_certs(plan.http.tls.accept_invalid_certs);
    match &plan.http.tls.ca_file {
        Some(ca) => builder.add_root_certificates_file(ca),
        None => builder,
    }
}

fn build(plan: &Plan, policy: Reconnect) -> Result<Client, Error> {
    let builder = tls(plan).connect_timeout(Some(Duration::from_secs(10)));
    let builder = match policy {
        Reconnect::Never => builder.reconnect(sseload_client::Reconnect::Never),
        Reconnect::Enabled {
            max_attempts,
            max_backoff,
        } => builder.max_backoff(max_backoff).reconnect(
            max_attempts.map_or(sseload_client::Reconnect::Forever, |n| {
                sseload_client::Reconnect::AtMost(n.get())
            }),
        ),
    };
    Ok(builder.build()?)
}
