//! The hub's background tasks: one heartbeat ticker and one lifetime sweeper
//! for all streams, instead of a timer per connection.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::{Instant, MissedTickBehavior};

use crate::hub::Hub;
use crate::server::Phase;

/// Sends a heartbeat comment to every subscriber at each tick, until shutdown.
pub(crate) async fn heartbeat(hub: Hub, interval: Duration, mut phase: watch::Receiver<Phase>) {
    let mut ticker = tokio::time::interval_at(Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => hub.heartbeat(),
            () = crate::server::stopping(&mut phase) => return,
        }
    }
}

/// Stream deadlines, in the order they fall due.
///
/// Every stream gets the same lifetime, so deadlines are pushed in order and
/// one sleeping task serves them all from the front of a queue.
#[derive(Debug, Default)]
pub(crate) struct Expiry {
    queue: Mutex<VecDeque<Deadline>>,
    notify: Notify,
}

#[derive(Debug)]
struct Deadline {
    at: Instant,
    member: u64,
    topics: Arc<[Arc<str>]>,
}

impl Expiry {
    /// Ends the given subscriber's stream `lifetime` from now.
    pub(crate) fn push(&self, lifetime: Duration, member: u64, topics: &Arc<[Arc<str>]>) {
        let deadline = Deadline {
            at: Instant::now() + lifetime,
            member,
            topics: Arc::clone(topics),
        };
        self.lock().push_back(deadline);
        self.notify.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Deadline>> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next deadline, after ending every stream already due.
    fn sweep(&self, hub: &Hub) -> Option<Instant> {
        let now = Instant::now();
        loop {
            let due = {
                let mut queue = self.lock();
                match queue.front() {
                    Some(front) if front.at <= now => queue.pop_front(),
                    Some(front) => return Some(front.at),
                    None => return None,
                }
            };
            if let Some(due) = due {
                hub.expire(due.member, &due.topics);
            }
        }
    }

    /// Ends streams as their lifetime runs out, until shutdown.
    pub(crate) async fn run(self: Arc<Self>, hub: Hub, mut phase: watch::Receiver<Phase>) {
        loop {
            let next = self.sweep(&hub);
            let wait = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => self.notify.notified().await,
                }
            };
            tokio::select! {
                () = wait => {}
                () = crate::server::stopping(&mut phase) => return,
            }
        }
    }
}
