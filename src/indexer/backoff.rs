//! Per-indexer failure back-off, and the clock it reads.
//!
//! An indexer that keeps failing (down, rate-limiting us, wrong key) costs
//! every search its full timeout and, for private trackers, risks a ban for
//! hammering. After a failure it is skipped for a window that grows with each
//! further failure and shrinks one step with each success — so one good
//! answer after a long outage does not make it fully trusted again, and one
//! blip after months of health costs only the first step. A `Retry-After`
//! from the server replaces the computed window: the server knows.
//!
//! Time comes from a [`Clock`] so tests move it instead of sleeping.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where "now" comes from.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (for tests of back-off windows).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How long to skip an indexer after its 1st, 2nd, … consecutive failure.
#[derive(Debug, Clone, PartialEq)]
pub struct BackoffPolicy {
    /// The window after the n-th failure; the last step repeats.
    pub steps: Vec<Duration>,
    /// Retry-After values above this are clamped (a broken server must not
    /// disable an indexer for a year).
    pub max_retry_after: Duration,
}

impl Default for BackoffPolicy {
    /// 1 min, 5 min, 15 min, 30 min, 1 h, 3 h, 6 h: a brief outage costs a
    /// minute, a dead indexer is asked a few times a day.
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        Self {
            steps: vec![
                minutes(1),
                minutes(5),
                minutes(15),
                minutes(30),
                minutes(60),
                minutes(180),
                minutes(360),
            ],
            max_retry_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl BackoffPolicy {
    /// No back-off at all (every search asks every indexer).
    pub fn disabled() -> Self {
        Self {
            steps: Vec::new(),
            max_retry_after: Duration::ZERO,
        }
    }

    fn window(&self, level: usize) -> Duration {
        match level.checked_sub(1) {
            Some(index) => self
                .steps
                .get(index)
                .or(self.steps.last())
                .copied()
                .unwrap_or_default(),
            None => Duration::ZERO,
        }
    }
}

/// Why an indexer is being skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct BackingOff {
    pub until: DateTime<Utc>,
    /// The failure that started this window.
    pub reason: String,
}

impl fmt::Display for BackingOff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "skipped: backing off until {} after: {}",
            self.until.format("%Y-%m-%d %H:%M:%S UTC"),
            self.reason
        )
    }
}

/// One indexer's back-off state.
#[derive(Debug, Default)]
pub struct Backoff {
    level: usize,
    current: Option<BackingOff>,
}

impl Backoff {
    /// The active window, if `now` is inside one.
    pub fn check(&self, now: DateTime<Utc>) -> Option<BackingOff> {
        self.current.as_ref().filter(|b| now < b.until).cloned()
    }

    /// Escalates one step and opens a window from `now`; `retry_after` (from
    /// a 429) sets the window's length instead.
    pub fn failed(
        &mut self,
        policy: &BackoffPolicy,
        now: DateTime<Utc>,
        retry_after: Option<Duration>,
        reason: String,
    ) {
        if policy.steps.is_empty() && retry_after.is_none() {
            return;
        }
        self.level = (self.level + 1).min(policy.steps.len().max(1));
        let window = match retry_after {
            Some(wait) => wait.min(policy.max_retry_after),
            None => policy.window(self.level),
        };
        let until = now + chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
        self.current = Some(BackingOff { until, reason });
    }

    /// Closes any window and steps the level down by one.
    pub fn succeeded(&mut self) {
        self.level = self.level.saturating_sub(1);
        self.current = None;
    }

    /// Consecutive-failure level (0 = healthy), for reports.
    pub fn level(&self) -> usize {
        self.level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BackoffPolicy {
        BackoffPolicy {
            steps: vec![
                Duration::from_secs(10),
                Duration::from_secs(60),
                Duration::from_secs(300),
            ],
            max_retry_after: Duration::from_secs(3600),
        }
    }

    #[test]
    fn windows_escalate_cap_and_step_down() {
        let clock = ManualClock::new(DateTime::<Utc>::UNIX_EPOCH);
        let mut backoff = Backoff::default();
        let policy = policy();
        let mut windows = Vec::new();
        for _ in 0..4 {
            backoff.failed(&policy, clock.now(), None, "down".into());
            let until = backoff.check(clock.now()).expect("backing off").until;
            windows.push((until - clock.now()).num_seconds());
            clock.advance(Duration::from_secs(1000));
            assert!(backoff.check(clock.now()).is_none(), "the window ends");
        }
        assert_eq!(windows, [10, 60, 300, 300]);
        backoff.succeeded();
        assert_eq!(backoff.level(), 2);
        backoff.failed(&policy, clock.now(), None, "down".into());
        let until = backoff.check(clock.now()).expect("backing off").until;
        assert_eq!(
            (until - clock.now()).num_seconds(),
            300,
            "one success steps down one level only"
        );
        for _ in 0..5 {
            backoff.succeeded();
        }
        assert_eq!(backoff.level(), 0);
    }

    #[test]
    fn retry_after_sets_the_window_within_a_cap() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut backoff = Backoff::default();
        backoff.failed(
            &policy(),
            now,
            Some(Duration::from_secs(120)),
            "rate limited".into(),
        );
        let skipped = backoff.check(now).expect("backing off");
        assert_eq!((skipped.until - now).num_seconds(), 120);
        assert_eq!(
            skipped.to_string(),
            "skipped: backing off until 1970-01-01 00:02:00 UTC after: rate limited"
        );
        backoff.failed(
            &policy(),
            now,
            Some(Duration::from_secs(10_000_000)),
            "x".into(),
        );
        assert_eq!(
            (backoff.check(now).expect("backing off").until - now).num_seconds(),
            3600
        );
    }

    #[test]
    fn a_disabled_policy_never_skips() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let mut backoff = Backoff::default();
        backoff.failed(&BackoffPolicy::disabled(), now, None, "down".into());
        assert!(backoff.check(now).is_none());
    }
}
