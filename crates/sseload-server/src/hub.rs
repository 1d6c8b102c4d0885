//! The hub: topics, their replay rings and their subscribers, behind one lock.
//!
//! One mutex guards every topic. Publishing takes it to commit a batch:
//! assign ids from one hub-wide sequence, append to the ring and queue the
//! encoded bytes for delivery; subscribing takes it to collect the replay and
//! register the subscriber, noting the last id committed. Because both
//! happen under the same lock, a resuming subscriber sees every event after
//! its `Last-Event-ID` exactly once, even while events are being published:
//! what was committed before it registered comes from the ring, what comes
//! after from delivery. Delivery writes to sockets outside the lock, one
//! pass at a time (see [`crate::pending`]), so a stream over several topics
//! gets their events in one global order. With a data directory, a batch is
//! appended to the event log and synced under the lock, before any
//! subscriber sees it: the log is in id order, and a batch whose write fails
//! is refused without spending an id.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use sseload_proto::EventBuilder;

use crate::delivery;
use crate::durable::{Log, LoggedEvent, Record};
use crate::error::{PublishError, SubscribeError};
use crate::metrics::Counters;
use crate::outbox;
use crate::pending;
use crate::replay::{self, Resume};
use crate::wire;

/// The longest topic name accepted, in bytes.
pub const MAX_TOPIC_LEN: usize = 128;

/// What travels through a subscriber's queue.
#[derive(Debug, Clone)]
pub(crate) enum Msg {
    /// An encoded event (counts as delivered).
    Event(Bytes),
    /// Encoded events published together, queued as one message so that a
    /// batch never overflows a queue with room for one; sent one by one.
    Batch(Vec<Bytes>),
    /// Encoded bytes that are not an event, such as the `retry` hint.
    Control(Bytes),
    /// A keep-alive comment.
    Heartbeat,
    /// Bytes already framed for the wire: the rest of a chunk the hub
    /// began writing to the socket itself.
    Raw(Bytes),
}

impl Msg {
    /// The events it carries.
    pub(crate) fn events(&self) -> u64 {
        match self {
            Self::Event(_) => 1,
            Self::Batch(events) => events.len() as u64,
            Self::Control(_) | Self::Heartbeat | Self::Raw(_) => 0,
        }
    }
}

/// One event to publish: its data, and optionally its type and id.
///
/// ```
/// use sseload_server::NewEvent;
///
/// let event = NewEvent::new("{\"price\":1.5}").event("price");
/// assert_eq!(event.data(), "{\"price\":1.5}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    event: Option<String>,
    data: String,
    id: Option<String>,
}

impl NewEvent {
    /// An event of the default type (`message`) carrying `data`.
    pub fn new(data: impl Into<String>) -> Self {
        Self {
            event: None,
            data: data.into(),
            id: None,
        }
    }

    /// Sets the event type.
    #[must_use]
    pub fn event(mut self, event: impl Into<String>) -> Self {
        self.event = Some(event.into());
        self
    }

    /// Sets the id instead of letting the hub assign the next number.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The data.
    pub fn data(&self) -> &str {
        &self.data
    }
}

/// An event kept in a topic's replay ring (and queued for delivery).
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// Position in the hub-wide sequence; also the id unless `custom_id` is set.
    pub(crate) seq: u64,
    pub(crate) custom_id: Option<Box<str>>,
    pub(crate) event_type: Option<Box<str>>,
    pub(crate) bytes: Bytes,
}

impl Stored {
    /// Whether this event's id is `id` (`numeric` is `id` parsed, if it parses).
    pub(crate) fn has_id(&self, id: &str, numeric: Option<u64>) -> bool {
        match &self.custom_id {
            Some(custom) => **custom == *id,
            None => numeric == Some(self.seq),
        }
    }
}

/// A registered subscriber of one or more topics.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) tx: outbox::Sender,
    pub(crate) types: Option<Arc<[Box<str>]>>,
    pub(crate) topics: Arc<[Arc<str>]>,
    /// The last sequence number committed when it subscribed: it is
    /// delivered only later events.
    pub(crate) after: u64,
}

/// Whether an event type passes an optional type filter.
pub(crate) fn type_matches(types: Option<&[Box<str>]>, event_type: Option<&str>) -> bool {
    let event_type = event_type.unwrap_or(sseload_proto::DEFAULT_EVENT_TYPE);
    types.is_none_or(|types| types.iter().any(|t| **t == *event_type))
}

#[derive(Debug, Default)]
pub(crate) struct Topic {
    pub(crate) ring: VecDeque<Stored>,
    /// The sequence number of the newest event no longer in the ring.
    pub(crate) evicted_through: u64,
    members: HashMap<u64, Arc<Member>>,
    pub(crate) published: u64,
    pub(crate) last_data: Option<Arc<str>>,
    pub(crate) closed: bool,
}

impl Topic {
    pub(crate) fn subscribers(&self) -> usize {
        self.members.len()
    }

    /// The subscribers as they are now, for a delivery pass.
    pub(crate) fn snapshot(&self) -> Vec<(u64, Arc<Member>)> {
        self.members
            .iter()
            .map(|(id, member)| (*id, Arc::clone(member)))
            .collect()
    }
}

#[derive(Debug, Default)]
pub(crate) struct State {
    /// The last sequence number assigned.
    pub(crate) seq: u64,
    next_member: u64,
    pub(crate) topics: HashMap<Arc<str>, Topic>,
    shut: bool,
    /// The hub was dropped: the delivery thread ends.
    pub(crate) stopped: bool,
    /// Committed events not yet written to subscribers.
    pub(crate) pending: pending::Queue,
}

/// Sizes the hub works with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) replay: usize,
    pub(crate) queue: usize,
    pub(crate) max_topics: usize,
    /// The most threads one fan-out is written by.
    pub(crate) fanout_threads: usize,
}

/// The broadcast hub: publish to topics, subscribe to them, close them.
///
/// Cheap to clone; all clones share the same topics. Get it from
/// [`RunningServer::hub`](crate::RunningServer::hub) to publish in-process.
#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<Inner>,
    /// Stops the delivery thread when the last clone is dropped.
    delivery: Option<Arc<delivery::Thread>>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    state: Mutex<State>,
    /// Signalled when events are queued for delivery, or the hub is dropped.
    pub(crate) work: Condvar,
    /// Signalled when a delivery pass ends with nothing left to write.
    pub(crate) idle: Condvar,
    pub(crate) limits: Limits,
    pub(crate) counters: Arc<Counters>,
    /// The event log, with a data directory. Locked only while `state` is held.
    log: Option<Mutex<Log>>,
}

/// An event with its id assigned and its bytes encoded, not yet delivered.
#[derive(Debug)]
pub(crate) struct Prepared {
    id: String,
    pub(crate) stored: Stored,
    data: Arc<str>,
}

/// What a subscriber asks for.
#[derive(Debug)]
pub(crate) struct SubscribeRequest<'a> {
    pub(crate) topics: Vec<Arc<str>>,
    pub(crate) types: Option<Arc<[Box<str>]>>,
    pub(crate) last_event_id: Option<&'a str>,
}

/// A registered subscription: what to send first, then the live queue.
#[derive(Debug)]
pub(crate) struct Subscription {
    /// The gap notice (if any) and the replayed events, in order.
    pub(crate) prelude: Vec<Msg>,
    /// The data of the newest event of each topic, in request order (`None` if none yet).
    pub(crate) latest: Vec<Option<Arc<str>>>,
    pub(crate) rx: outbox::Receiver,
    pub(crate) guard: MemberGuard,
}

/// Removes the subscriber from its topics when the stream is dropped.
#[derive(Debug)]
pub(crate) struct MemberGuard {
    hub: Hub,
    id: u64,
    topics: Arc<[Arc<str>]>,
}

impl Drop for MemberGuard {
    fn drop(&mut self) {
        let mut state = self.hub.lock();
        remove_member(&mut state, self.id, &self.topics);
    }
}

pub(crate) fn remove_member(state: &mut State, id: u64, topics: &[Arc<str>]) {
    for name in topics {
        if let Some(topic) = state.topics.get_mut(name) {
            topic.members.remove(&id);
        }
    }
}

/// Checks a topic name: 1 to [`MAX_TOPIC_LEN`] bytes of ASCII letters, digits, `-`, `_`, `.`.
pub(crate) fn validate_topic(name: &str) -> Result<(), String> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || name.len() > MAX_TOPIC_LEN || !name.chars().all(valid_char) {
        return Err(name.to_owned());
    }
    Ok(())
}

impl Inner {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a
        // way that matters more than stopping the server would, so keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Hub {
    pub(crate) fn new(limits: Limits, counters: Arc<Counters>) -> Self {
        Self::restored(limits, counters, State::default(), None)
    }

    /// A hub starting from `state` (rebuilt from `log`), appending to `log`.
    pub(crate) fn restored(
        limits: Limits,
        counters: Arc<Counters>,
        state: State,
        log: Option<Log>,
    ) -> Self {
        let inner = Arc::new(Inner {
            state: Mutex::new(state),
            work: Condvar::new(),
            idle: Condvar::new(),
            limits,
            counters,
            log: log.map(Mutex::new),
        });
        // Without a thread of its own (none could be started), a publish
        // delivers on the publishing thread.
        let thread = delivery::Thread::spawn(&inner).map(Arc::new);
        Self {
            inner,
            delivery: thread,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock()
    }

    /// The lock, once nothing is waiting to be written and no delivery pass
    /// is running: what was published before has been written (or queued)
    /// to every subscriber.
    pub(crate) fn settled(&self) -> MutexGuard<'_, State> {
        let mut state = self.lock();
        while state.pending.delivering() || state.pending.has_work() {
            state = self
                .inner
                .idle
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state
    }

    /// Blocks until every event published so far has been written to its
    /// subscribers' sockets (or queued for them).
    ///
    /// A publish made while another's fan-out runs returns before that
    /// (the delivery thread writes it next); this is for a caller that needs
    /// the order, such as a test on a paused clock, which the delivery
    /// thread does not follow. It waits for a fan-out in progress (tens of
    /// milliseconds at 10,000 subscribers), so an async caller blocks its
    /// worker that long.
    pub fn wait_delivered(&self) {
        drop(self.settled());
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Publishes events to `topic`, creating it if needed; returns the ids, in order.
    ///
    /// When no other publish is being written, the events are written to
    /// every subscriber before it returns. Otherwise it returns once they are
    /// committed (numbered, logged, in the replay ring), and the hub's
    /// delivery thread writes them in its next pass, together with whatever
    /// else queued; either way every subscriber gets them in id order.
    ///
    /// Ids the publisher did not set are numbers from one hub-wide sequence,
    /// so they strictly increase within every topic. The batch is all or
    /// nothing: an event that cannot be encoded refuses the whole batch.
    ///
    /// # Errors
    ///
    /// [`PublishError`] for an invalid topic name, a closed topic, an event
    /// that cannot be encoded, an empty id, the topic limit, a hub that is
    /// shutting down, or (with a data directory) an event log that cannot be
    /// written, in which case nothing is published.
    pub fn publish(&self, topic: &str, events: &[NewEvent]) -> Result<Vec<String>, PublishError> {
        validate_topic(topic).map_err(PublishError::InvalidTopic)?;
        events
            .iter()
            .enumerate()
            .try_for_each(|(index, event)| check_event(index, event))?;
        let mut state = self.lock();
        if state.shut {
            return Err(PublishError::ShuttingDown);
        }
        self.topic_mut(&mut state, topic)
            .map_err(|err| err.into_publish(topic))?;
        let prepared: Vec<Prepared> = events
            .iter()
            .zip(state.seq + 1..)
            .map(|(event, seq)| prepare(seq, event))
            .collect();
        self.log_events(topic, &prepared)?;
        state.seq += prepared.len() as u64;
        let ids = self.commit(&mut state, topic, prepared);
        self.compact(&state);
        self.deliver(state);
        Ok(ids)
    }

    /// Appends a batch to the event log, if there is one, before anyone sees it.
    fn log_events(&self, topic: &str, prepared: &[Prepared]) -> Result<(), PublishError> {
        let events = prepared.iter().map(|p| LoggedEvent {
            seq: p.stored.seq,
            custom_id: p.stored.custom_id.as_deref(),
            event_type: p.stored.event_type.as_deref(),
            bytes: &p.stored.bytes,
        });
        self.log_record(&Record::Events {
            topic,
            events: events.collect(),
        })
    }

    fn log_record(&self, record: &Record<'_>) -> Result<(), PublishError> {
        let Some(log) = &self.inner.log else {
            return Ok(());
        };
        let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
        log.append(record)
            .map_err(|err| PublishError::Storage(err.chain()))
    }

    /// Starts a new log segment from a snapshot when the current one is full.
    fn compact(&self, state: &State) {
        if let Some(log) = &self.inner.log {
            let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
            // The publish is already on disk; a compaction that fails leaves the
            // current segment growing and is tried again at the next publish.
            let _ = log.compact_if_due(state);
        }
    }

    /// Puts a batch in the topic's ring and queues it for delivery; returns the ids.
    fn commit(&self, state: &mut State, name: &str, prepared: Vec<Prepared>) -> Vec<String> {
        let counters = &self.inner.counters;
        let replay = self.inner.limits.replay;
        let mut ids = Vec::with_capacity(prepared.len());
        let mut queued = Vec::with_capacity(prepared.len());
        let Some(name) = state.topics.get_key_value(name).map(|(k, _)| Arc::clone(k)) else {
            return ids;
        };
        let Some(topic) = state.topics.get_mut(&name) else {
            return ids;
        };
        for Prepared { id, stored, data } in prepared {
            topic.published += 1;
            topic.last_data = Some(data);
            counters.published.fetch_add(1, Ordering::Relaxed);
            queued.push(stored.clone());
            push_ring(topic, stored, replay);
            ids.push(id);
        }
        state.pending.push(&name, queued);
        ids
    }

    /// Writes what is queued on this thread, unless a pass is running: a
    /// publish waits for its own fan-out but never for anyone else's. What
    /// queues during the pass is left to the delivery thread (or, for a hub
    /// without one, written here too). Handing every pass to the delivery
    /// thread instead cost more than it saved: at 10,000 subscribers and 10
    /// events/s on two cores, p99 delivery latency 351–405 ms against
    /// 165–189 ms, the thread's wake-up waiting for a core.
    ///
    /// A pass that ends with more queued wakes the delivery thread itself.
    fn deliver<'h>(&'h self, mut state: MutexGuard<'h, State>) {
        state = delivery::run_one(&self.inner, state);
        while self.delivery.is_none() && state.pending.has_work() && !state.pending.delivering() {
            state = delivery::run_one(&self.inner, state);
        }
    }

    /// Gets a topic, creating it when there is room.
    fn topic_mut<'s>(&self, state: &'s mut State, name: &str) -> Result<&'s mut Topic, TopicError> {
        if !state.topics.contains_key(name) {
            if state.topics.len() >= self.inner.limits.max_topics {
                return Err(TopicError::TooMany(self.inner.limits.max_topics));
            }
            state.topics.insert(Arc::from(name), Topic::default());
        }
        let topic = state.topics.get_mut(name).ok_or(TopicError::TooMany(0))?;
        if topic.closed {
            return Err(TopicError::Closed);
        }
        Ok(topic)
    }

    /// Registers a subscriber and collects what it must be sent first.
    pub(crate) fn subscribe(
        &self,
        request: SubscribeRequest<'_>,
    ) -> Result<Subscription, SubscribeError> {
        let mut state = self.lock();
        if state.shut {
            return Err(SubscribeError::ShuttingDown);
        }
        for name in &request.topics {
            self.topic_mut(&mut state, name)
                .map_err(|err| err.into_subscribe(name))?;
        }
        let resume = request
            .last_event_id
            .map(|id| replay::resolve(&state, &request.topics, id));
        let prelude = replay::prelude(&state, &request, resume.as_ref());
        let counters = &self.inner.counters;
        let replayed = prelude
            .iter()
            .filter(|msg| matches!(msg, Msg::Event(_)))
            .count();
        counters
            .replayed
            .fetch_add(replayed as u64, Ordering::Relaxed);
        if matches!(resume, Some(Resume::After(_) | Resume::Unknown)) {
            counters.resumes.fetch_add(1, Ordering::Relaxed);
        }
        let latest = request
            .topics
            .iter()
            .map(|name| state.topics[name].last_data.clone())
            .collect();
        let (tx, rx) = outbox::channel(self.inner.limits.queue);
        let guard = self.register(&mut state, &tx, request);
        Ok(Subscription {
            prelude,
            latest,
            rx,
            guard,
        })
    }

    fn register(
        &self,
        state: &mut State,
        tx: &outbox::Sender,
        request: SubscribeRequest<'_>,
    ) -> MemberGuard {
        state.next_member += 1;
        let id = state.next_member;
        let topics: Arc<[Arc<str>]> = request.topics.into();
        for name in topics.iter() {
            let member = Arc::new(Member {
                tx: tx.clone(),
                types: request.types.clone(),
                topics: Arc::clone(&topics),
                after: state.seq,
            });
            if let Some(topic) = state.topics.get_mut(name) {
                topic.members.insert(id, member);
            }
        }
        MemberGuard {
            hub: self.clone(),
            id,
            topics,
        }
    }

    /// Closes a topic: its streams end, and later subscribers get `204 No Content`.
    ///
    /// Returns whether the topic was open. A stream over several topics ends
    /// when any of them closes. Closing is permanent for the life of the hub,
    /// and with a data directory across restarts too.
    ///
    /// # Errors
    ///
    /// [`PublishError::InvalidTopic`] for an invalid name,
    /// [`PublishError::Storage`] when the close cannot be logged (the topic stays open).
    pub fn close_topic(&self, name: &str) -> Result<bool, PublishError> {
        validate_topic(name).map_err(PublishError::InvalidTopic)?;
        // What was published before the close reaches the subscribers first.
        let mut state = self.settled();
        // A never-seen topic is recorded closed (so "closed" sticks), within
        // the same limit as any other new topic.
        let limit = self.inner.limits.max_topics;
        if !state.topics.contains_key(name) && state.topics.len() >= limit {
            return Err(PublishError::TooManyTopics(limit));
        }
        let topic = state.topics.entry(Arc::from(name)).or_default();
        let was_open = !topic.closed;
        if was_open {
            self.log_record(&Record::Topic {
                name,
                closed: true,
                evicted_through: topic.evicted_through,
            })?;
        }
        topic.closed = true;
        topic.ring.clear();
        let members: Vec<_> = topic
            .members
            .drain()
            .map(|(id, m)| (id, Arc::clone(&m.topics)))
            .collect();
        for (id, topics) in members {
            remove_member(&mut state, id, &topics);
        }
        Ok(was_open)
    }

    /// The number of subscribers of a topic (0 for a topic never seen).
    pub fn subscribers(&self, topic: &str) -> usize {
        self.lock().topics.get(topic).map_or(0, |t| t.members.len())
    }

    /// Sends a keep-alive comment to every subscriber whose queue has room.
    pub(crate) fn heartbeat(&self) {
        let state = self.lock();
        let chunk = |_: &Msg| wire::chunk(sseload_proto::KEEP_ALIVE);
        for (name, topic) in &state.topics {
            // A stream over several topics is a member of each: beat once, from its first topic.
            let first = |member: &&Arc<Member>| member.topics.first().is_some_and(|t| t == name);
            for member in topic.members.values().filter(first) {
                // A full queue already has bytes on their way; a closed one is
                // removed by its stream's guard.
                let _ = member.tx.offer(Msg::Heartbeat, chunk);
            }
        }
    }

    /// Ends the given subscriber's stream (after what is already queued).
    pub(crate) fn expire(&self, id: u64, topics: &[Arc<str>]) {
        remove_member(&mut self.lock(), id, topics);
    }

    /// Stops the hub: refuses new publishes and subscribers and ends every stream.
    pub(crate) fn shut_down(&self) {
        let mut state = self.settled();
        state.shut = true;
        for topic in state.topics.values_mut() {
            topic.members.clear();
        }
    }
}

impl MemberGuard {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn topics(&self) -> &Arc<[Arc<str>]> {
        &self.topics
    }
}

pub(crate) fn push_ring(topic: &mut Topic, stored: Stored, replay: usize) {
    if replay == 0 {
        topic.evicted_through = stored.seq;
        return;
    }
    topic.ring.push_back(stored);
    if topic.ring.len() > replay
        && let Some(old) = topic.ring.pop_front()
    {
        topic.evicted_through = old.seq;
    }
}

/// Assigns `seq` to an event and encodes it.
fn prepare(seq: u64, event: &NewEvent) -> Prepared {
    let id = event.id.clone().unwrap_or_else(|| seq.to_string());
    let mut builder = EventBuilder::new()
        .id(id.as_str())
        .data(event.data.as_str());
    if let Some(event_type) = &event.event {
        builder = builder.event(event_type.as_str());
    }
    // check_event already refused what the encoder refuses.
    let bytes = builder.encode().unwrap_or_default();
    let stored = Stored {
        seq,
        custom_id: event.id.as_deref().map(Box::from),
        event_type: event.event.as_deref().map(Box::from),
        bytes,
    };
    Prepared {
        id,
        stored,
        data: Arc::from(event.data.as_str()),
    }
}

/// Refuses, before any id is assigned, what the encoder would refuse.
fn check_event(index: usize, event: &NewEvent) -> Result<(), PublishError> {
    if event.id.as_deref() == Some("") {
        return Err(PublishError::EmptyId { index });
    }
    let mut probe = EventBuilder::new();
    if let Some(event_type) = &event.event {
        probe = probe.event(event_type.as_str());
    }
    if let Some(id) = &event.id {
        probe = probe.id(id.as_str());
    }
    probe
        .encode()
        .map(drop)
        .map_err(|source| PublishError::Encode { index, source })
}

/// Why a topic could not be used.
#[derive(Debug)]
enum TopicError {
    TooMany(usize),
    Closed,
}

impl TopicError {
    fn into_publish(self, name: &str) -> PublishError {
        match self {
            Self::TooMany(limit) => PublishError::TooManyTopics(limit),
            Self::Closed => PublishError::Closed(name.to_owned()),
        }
    }

    fn into_subscribe(self, name: &str) -> SubscribeError {
        match self {
            Self::TooMany(limit) => SubscribeError::TooManyTopics(limit),
            Self::Closed => SubscribeError::Closed(name.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::task::Poll;

    use super::{Hub, Limits, Msg, NewEvent, SubscribeRequest};
    use crate::metrics::Counters;

    fn hub() -> Hub {
        let limits = Limits {
            replay: 8,
            queue: 4,
            max_topics: 8,
            // More than one, so that the large fan-out below is split.
            fanout_threads: 3,
        };
        Hub::new(limits, Arc::new(Counters::default()))
    }

    fn request(topic: &str) -> SubscribeRequest<'static> {
        SubscribeRequest {
            topics: vec![Arc::from(topic)],
            types: None,
            last_event_id: None,
        }
    }

    #[test]
    fn every_subscriber_shares_the_one_encoding() {
        let hub = hub();
        let mut a = hub.subscribe(request("t")).unwrap();
        let mut b = hub.subscribe(request("t")).unwrap();
        hub.publish("t", &[NewEvent::new("x").event("e")]).unwrap();
        drop(hub.settled());
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let (Poll::Ready(Some(Msg::Event(first))), Poll::Ready(Some(Msg::Event(second)))) =
            (a.rx.poll_recv(&mut cx), b.rx.poll_recv(&mut cx))
        else {
            panic!("both subscribers get the event");
        };
        assert_eq!(&first[..], b"event: e\nid: 1\ndata: x\n\n");
        assert_eq!(
            first.as_ptr(),
            second.as_ptr(),
            "the same buffer, not a copy"
        );
        let replayed = hub.lock().topics["t"].ring[0].bytes.clone();
        assert_eq!(replayed.as_ptr(), first.as_ptr());
    }

    fn drain(rx: &mut crate::outbox::Receiver) -> Vec<String> {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut got = Vec::new();
        while let Poll::Ready(Some(msg)) = rx.poll_recv(&mut cx) {
            got.push(String::from_utf8_lossy(&crate::wire::chunk_of(&msg)).into_owned());
        }
        got
    }

    #[test]
    fn publishes_made_during_a_pass_go_out_together_and_only_to_who_was_there() {
        let hub = hub();
        let mut early = hub.subscribe(request("t")).unwrap();
        hub.lock().pending.hold();
        hub.publish("t", &[NewEvent::new("a")]).unwrap();
        let mut late = hub.subscribe(request("t")).unwrap();
        let resumed_request = SubscribeRequest {
            last_event_id: Some("0"),
            ..request("t")
        };
        let mut resumed = hub.subscribe(resumed_request).unwrap();
        hub.publish("t", &[NewEvent::new("b")]).unwrap();
        assert!(
            drain(&mut early.rx).is_empty(),
            "nothing written while a pass runs"
        );
        hub.lock().pending.release();
        hub.inner.work.notify_one();
        drop(hub.settled());
        assert_eq!(
            drain(&mut early.rx),
            ["1e\r\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n\r\n"],
            "one chunk for both publishes"
        );
        assert_eq!(drain(&mut late.rx), ["f\r\nid: 2\ndata: b\n\n\r\n"]);
        let replayed: Vec<_> = resumed.prelude.iter().map(crate::wire::chunk_of).collect();
        assert_eq!(replayed, ["f\r\nid: 1\ndata: a\n\n\r\n"]);
        assert_eq!(
            drain(&mut resumed.rx),
            ["f\r\nid: 2\ndata: b\n\n\r\n"],
            "the replayed event is not delivered again"
        );
    }

    #[test]
    fn a_dropped_stream_leaves_its_topics() {
        let hub = hub();
        let subscription = hub.subscribe(request("t")).unwrap();
        assert_eq!(hub.subscribers("t"), 1);
        drop(subscription);
        assert_eq!(hub.subscribers("t"), 0);
    }

    #[test]
    fn a_large_fan_out_split_across_threads_delivers_in_order_and_drops_the_full() {
        let hub = hub();
        let count = 2 * crate::fanout::PARALLEL_MIN + 1;
        let mut subs: Vec<_> = (0..count)
            .map(|_| hub.subscribe(request("t")).unwrap())
            .collect();
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut got = vec![Vec::new(); count];
        // The queues hold 4: the fifth publish overflows those never read.
        for n in 0..5 {
            hub.publish("t", &[NewEvent::new(format!("{n}"))]).unwrap();
            drop(hub.settled());
            for (index, sub) in subs.iter_mut().enumerate().filter(|(i, _)| i % 2 == 1) {
                while let Poll::Ready(Some(Msg::Event(bytes))) = sub.rx.poll_recv(&mut cx) {
                    got[index].push(bytes);
                }
            }
        }
        assert_eq!(
            hub.subscribers("t"),
            count / 2,
            "the unread half is dropped"
        );
        let dropped = hub
            .counters()
            .dropped
            .load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(dropped as usize, count - count / 2);
        for index in (1..count).step_by(2) {
            let data: Vec<_> = got[index]
                .iter()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect();
            let expected: Vec<_> = (1..=5)
                .map(|id| format!("id: {id}\ndata: {}\n\n", id - 1))
                .collect();
            assert_eq!(data, expected, "subscriber {index}");
        }
    }
}
