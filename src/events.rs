//! The `EventBus`: a wake-up signal per run, from the workflow to the stream
//! bridges watching it.
//!
//! The bus is not the truth; the store is. A workflow publishes an event only
//! after it is committed, so a subscriber that lags (the channel overflowed),
//! joins late, or sees a gap in seqs reads what it missed from the store. That
//! is why a small channel capacity is safe, and why publishing never waits:
//! a slow client can never slow a workflow.
//!
//! Topics exist only while someone listens: the last [`Subscription`] to go
//! removes its topic, and publishing to a topic without listeners is a no-op.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

use crate::model::{Event, RunId};

/// Default capacity of a topic's channel (events per run are few; a lagging
/// subscriber recovers from the store anyway).
pub const DEFAULT_CAPACITY: usize = 64;

#[derive(Clone)]
pub struct EventBus {
    shared: Arc<Shared>,
}

struct Shared {
    capacity: usize,
    topics: Mutex<HashMap<RunId, broadcast::Sender<Arc<Event>>>>,
}

impl EventBus {
    /// `capacity` is per topic; tests use a tiny one to force lag.
    pub fn new(capacity: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                capacity: capacity.max(1),
                topics: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Listens to a run's events from now on.
    pub fn subscribe(&self, run_id: RunId) -> Subscription {
        let mut topics = self.shared.lock();
        let receiver = topics
            .entry(run_id)
            .or_insert_with(|| broadcast::channel(self.shared.capacity).0)
            .subscribe();
        Subscription {
            run_id,
            receiver: Some(receiver),
            shared: Arc::clone(&self.shared),
        }
    }

    /// Wakes the run's subscribers. Call only after the event is committed.
    pub fn publish(&self, event: Event) {
        let topics = self.shared.lock();
        if let Some(sender) = topics.get(&event.run_id) {
            // An error only means nobody listens right now.
            let _ = sender.send(Arc::new(event));
        }
    }

    /// Number of runs somebody is listening to (for tests and metrics).
    pub fn topic_count(&self) -> usize {
        self.shared.lock().len()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, HashMap<RunId, broadcast::Sender<Arc<Event>>>> {
        // The map stays consistent even if a holder panicked: every critical
        // section is a single insert, lookup or remove.
        self.topics.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a subscriber gets from [`Subscription::recv`].
#[derive(Debug)]
pub enum Received {
    Event(Arc<Event>),
    /// Some events were dropped for this subscriber: read them from the store.
    Lagged,
}

/// One subscriber's end of a topic; dropping it unsubscribes.
pub struct Subscription {
    run_id: RunId,
    receiver: Option<broadcast::Receiver<Arc<Event>>>,
    shared: Arc<Shared>,
}

impl Subscription {
    /// The next event, or `Lagged`. Waits forever on a quiet topic: callers
    /// select it against their other inputs.
    pub async fn recv(&mut self) -> Received {
        let Some(receiver) = self.receiver.as_mut() else {
            return std::future::pending().await;
        };
        match receiver.recv().await {
            Ok(event) => Received::Event(event),
            Err(broadcast::error::RecvError::Lagged(_)) => Received::Lagged,
            // The sender lives in the topic map until the last subscriber
            // leaves, so this cannot happen while we hold a receiver; wait.
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut topics = self.shared.lock();
        // Drop our receiver under the lock, so a concurrent subscribe either
        // sees the topic with its receiver or a fresh one.
        self.receiver.take();
        if topics
            .get(&self.run_id)
            .is_some_and(|sender| sender.receiver_count() == 0)
        {
            topics.remove(&self.run_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlbumId, Quality, WorkflowStatus};

    fn event(run_id: RunId, seq: i64) -> Event {
        Event {
            run_id,
            album_id: AlbumId::parse("1b022e01-4da6-387b-8658-8678046e4cef").unwrap(),
            quality: Quality::Lossless,
            mode: Default::default(),
            seq,
            status: WorkflowStatus::Searching,
            message: String::new(),
            payload: None,
            created_at: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn subscribers_get_events_published_after_they_subscribed() {
        let bus = EventBus::new(8);
        let run = RunId::new();
        bus.publish(event(run, 1)); // nobody listens: dropped
        let mut a = bus.subscribe(run);
        let mut b = bus.subscribe(run);
        bus.publish(event(run, 2));
        for sub in [&mut a, &mut b] {
            match sub.recv().await {
                Received::Event(e) => assert_eq!(e.seq, 2),
                Received::Lagged => panic!("unexpected lag"),
            }
        }
    }

    #[tokio::test]
    async fn an_overflowing_subscriber_is_told_it_lagged() {
        let bus = EventBus::new(2);
        let run = RunId::new();
        let mut sub = bus.subscribe(run);
        for seq in 1..=5 {
            bus.publish(event(run, seq));
        }
        assert!(matches!(sub.recv().await, Received::Lagged));
    }

    #[tokio::test]
    async fn the_last_subscriber_removes_the_topic() {
        let bus = EventBus::default();
        let run = RunId::new();
        let a = bus.subscribe(run);
        let b = bus.subscribe(run);
        assert_eq!(bus.topic_count(), 1);
        drop(a);
        assert_eq!(bus.topic_count(), 1);
        drop(b);
        assert_eq!(bus.topic_count(), 0);
    }
}
