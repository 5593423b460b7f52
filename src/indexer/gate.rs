//! Spacing of the requests to one indexer.
//!
//! Indexers ban clients that ask too often, and a large wanted list would
//! ask often. Every request to an indexer (a run's search, the RSS sync,
//! `musicagg indexers …`, its caps) passes this indexer's [`Gate`] first.
//! The gate is a clock of reserved slots, not a queue: a request takes the
//! next free slot under a short lock that is never held across the request,
//! so it waits for the requests before it to *start*, never for another
//! album's answer or timeout.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Added to every interval: a request sent at its slot reaches the indexer
/// a little later or earlier than the one before it (connection reuse,
/// scheduling), and the indexer measures arrivals, not our slots.
const MARGIN: Duration = Duration::from_millis(25);

#[derive(Debug)]
pub struct Gate {
    interval: Duration,
    next_free: Mutex<Option<Instant>>,
}

impl Gate {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            next_free: Mutex::new(None),
        }
    }

    /// Waits for this request's slot. A caller dropped while waiting leaves
    /// its slot unused: the spacing only grows.
    pub async fn wait(&self) {
        if self.interval.is_zero() {
            return;
        }
        let slot = {
            // A poisoned lock still holds a valid instant (one assignment).
            let mut next = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = match *next {
                Some(free) if free > now => free,
                _ => now,
            };
            *next = Some(slot + self.interval + MARGIN);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_requests_get_spaced_slots() {
        let interval = Duration::from_millis(100);
        let gate = std::sync::Arc::new(Gate::new(interval));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let gate = gate.clone();
            tasks.push(tokio::spawn(async move {
                gate.wait().await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.expect("task"));
        }
        times.sort();
        for pair in times.windows(2) {
            assert!(pair[1] - pair[0] >= interval, "{pair:?}");
        }
    }

    #[tokio::test]
    async fn zero_means_no_spacing() {
        let gate = Gate::new(Duration::ZERO);
        for _ in 0..3 {
            gate.wait().await;
        }
        assert!(gate.next_free.lock().expect("lock").is_none());
    }
}
