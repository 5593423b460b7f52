//! Scheduled searches: at most `searches_per_hour` across the whole list,
//! spread evenly (one every 3600 / n seconds, never in bursts), oldest
//! `last_searched_at` first, each album with a growing interval (1 h, 6 h,
//! 24 h, then daily) so that a large list never floods the indexers.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Wanted, WantedError};
use crate::model::Quality;
use crate::store::{StoreError, WantedRecord};
use crate::workflow::Workflows;

/// How often the background loop looks (the budget decides whether a
/// search starts).
pub const TICK: Duration = Duration::from_secs(5);

/// An album's wait after its `attempts`-th scheduled search.
pub fn interval_after(attempts: i32) -> TimeDelta {
    match attempts {
        i32::MIN..=0 => TimeDelta::hours(1),
        1 => TimeDelta::hours(6),
        _ => TimeDelta::hours(24),
    }
}

/// The hourly budget as an even spacing: a search may start when the last
/// one is at least `3600 / searches_per_hour` seconds old.
#[derive(Debug)]
pub struct Budget {
    spacing: Option<TimeDelta>,
    last: Mutex<Option<DateTime<Utc>>>,
}

impl Budget {
    pub fn new(searches_per_hour: u32) -> Self {
        let spacing = (searches_per_hour > 0)
            .then(|| TimeDelta::milliseconds(3_600_000 / i64::from(searches_per_hour)));
        Self {
            spacing,
            last: Mutex::new(None),
        }
    }

    /// Takes a search slot at `now` if the spacing allows it.
    pub fn take(&self, now: DateTime<Utc>) -> bool {
        let Some(spacing) = self.spacing else {
            return false;
        };
        // One assignment per holder: a poisoned lock is still consistent.
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        match *last {
            Some(at) if now - at < spacing => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

/// The tier a wanted album's run asks for: its quality, or its cutoff when
/// the library already holds it in its quality but below the cutoff (an
/// upgrade: only a release in the cutoff tier, which ranks above what is
/// held, can be grabbed).
pub async fn run_quality(w: &Workflows, record: &WantedRecord) -> Result<Quality, StoreError> {
    if record.cutoff == record.quality {
        return Ok(record.quality);
    }
    let Some((album, _)) = w.store.album(&record.album_id).await? else {
        return Ok(record.quality);
    };
    let downloads = w.store.album_downloads(&album.id).await?;
    let library = w.library.as_ref().map(|l| l.root());
    let owned = crate::library::owned::check(
        w.store.as_ref(),
        library,
        &album,
        record.quality,
        &downloads,
    )
    .await?;
    Ok(if owned.is_some() {
        record.cutoff
    } else {
        record.quality
    })
}

impl Wanted {
    /// Starts the search of the most overdue album, if the budget allows one
    /// now. At most one per call: the budget spaces them.
    pub(super) async fn scheduled_searches(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::model::RunId>, WantedError> {
        let due = self.w.store.due_wanted(now, 1).await?;
        let Some(mut record) = due.into_iter().next() else {
            return Ok(Vec::new());
        };
        if !self.schedule.take(now) {
            return Ok(Vec::new());
        }
        match self.start_search(&mut record, "scheduled search").await {
            Ok(run_id) => Ok(vec![run_id]),
            Err(WantedError::Attach(crate::workflow::AttachError::ShuttingDown)) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_grows_then_stays_daily() {
        let hours: Vec<i64> = (0..5).map(|a| interval_after(a).num_hours()).collect();
        assert_eq!(hours, [1, 6, 24, 24, 24]);
    }

    #[test]
    fn the_budget_never_allows_more_than_n_in_any_hour() {
        let budget = Budget::new(30);
        let start = Utc::now();
        let mut taken = Vec::new();
        // A tick every 5 s for three hours.
        for i in 0..(3 * 720) {
            let now = start + TimeDelta::seconds(5 * i);
            if budget.take(now) {
                taken.push(now);
            }
        }
        for (i, at) in taken.iter().enumerate() {
            let within = taken[i..]
                .iter()
                .take_while(|t| **t - *at < TimeDelta::hours(1))
                .count();
            assert!(within <= 30, "{within} searches within an hour of {at}");
        }
        assert_eq!(taken.len(), 90, "spread evenly: 30 an hour");
    }

    #[test]
    fn zero_turns_scheduled_searches_off() {
        assert!(!Budget::new(0).take(Utc::now()));
    }
}
