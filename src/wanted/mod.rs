//! The wanted list: albums kept monitored until the library holds them at
//! their cutoff (the DESIGN's "wanted album").
//!
//! Modules: `index` (the word index RSS items are matched with), `rss` (one
//! request per indexer per interval, every item matched once), `schedule`
//! (searches spread over the hour, a growing interval per album),
//! `transitions` (what a run's end or a download's end does to an album's
//! state), `replace` (an upgrade's old files moved aside), `config`.
//!
//! Nothing here grabs: every search is a run started through
//! [`Workflows::attach`] or [`Workflows::attach_found`], the same core a
//! client's request goes through; the run's end comes back here through
//! [`transitions::after_run`].

mod config;
pub mod index;
mod replace;
pub mod rss;
pub mod schedule;
pub mod transitions;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

pub use config::WantedConfig;

use crate::model::{AlbumId, Quality, RunId, WorkflowKey};
use crate::store::{StoreError, WantedRecord, WantedState};
use crate::workflow::{AttachError, Workflows};

/// The cutoff an album gets when none is given: the best of its tier (for
/// `any`, lossless: "anything" keeps looking for the best).
/// A cutoff must be the wanted tier or a better one: upgrading goes up
/// (`any` → anything, a lossy tier → another lossy tier or `lossless`/
/// `hires`, `lossless` → `hires`), never down — a lower cutoff would search
/// for, and grab in place of the album, what is worse than asked for.
pub fn cutoff_fits(quality: Quality, cutoff: Quality) -> bool {
    let lossy = |q: Quality| matches!(q, Quality::Mp3_320 | Quality::Mp3V0 | Quality::LossyHigh);
    cutoff == quality
        || quality == Quality::Any
        || (lossy(quality) && cutoff != Quality::Any)
        || (quality == Quality::Lossless && cutoff == Quality::LosslessHires)
}

pub fn default_cutoff(quality: Quality) -> Quality {
    match quality {
        Quality::Any => Quality::Lossless,
        other => other,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WantedError {
    #[error("album {0} is not on the wanted list")]
    NotWanted(AlbumId),
    #[error("album {0} is paused; add it again to search for it")]
    Paused(AlbumId),
    #[error(transparent)]
    Attach(#[from] AttachError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The wanted list and its background work; cheap to clone.
#[derive(Clone)]
pub struct Wanted {
    pub(crate) w: Workflows,
    pub(crate) config: WantedConfig,
    schedule: Arc<schedule::Budget>,
    /// RSS items (album, guid) that already started a run: an item stays in
    /// the feed for many syncs, and a rejected one must not start a run
    /// (and its full search) on every sync.
    rss_seen: Arc<std::sync::Mutex<std::collections::HashSet<(AlbumId, String)>>>,
}

impl Wanted {
    pub fn new(w: Workflows, config: WantedConfig) -> Self {
        let schedule = Arc::new(schedule::Budget::new(config.searches_per_hour));
        Self {
            w,
            config,
            schedule,
            rss_seen: Arc::default(),
        }
    }

    /// AddWanted: puts the album on the list (or changes its quality and
    /// cutoff), due for a search now. True when it was not listed.
    pub async fn add(
        &self,
        album_id: &AlbumId,
        quality: Quality,
        cutoff: Option<Quality>,
    ) -> Result<(WantedRecord, bool), WantedError> {
        let album_id = self.canonical(album_id).await?;
        let now = Utc::now();
        let mut record = WantedRecord::new(
            album_id,
            quality,
            cutoff.unwrap_or(default_cutoff(quality)),
            now,
        );
        if let Some(old) = self.w.store.wanted(&record.album_id).await?
            && old.state == WantedState::Grabbed
        {
            // A release is on its way: keep following it.
            record.state = WantedState::Grabbed;
            record.message = old.message;
        }
        let created = self.w.store.put_wanted(&record, true).await?;
        let stored = self
            .w
            .store
            .wanted(&record.album_id)
            .await?
            .ok_or_else(|| WantedError::NotWanted(record.album_id.clone()))?;
        Ok((stored, created))
    }

    /// `keep_wanted` on a client's start: the album joins the list (an album
    /// already listed keeps its row), so that a run ending NO_RESULTS
    /// leaves it wanted.
    pub async fn keep(&self, key: &WorkflowKey) -> Result<(), StoreError> {
        let record = WantedRecord {
            message: "asked for by a client; kept wanted".into(),
            // Searched by this run now: the schedule's first look is later
            // (the run's end reschedules it; if the run never gets going,
            // the schedule still finds the album).
            next_search_at: Some(Utc::now() + chrono::TimeDelta::hours(1)),
            ..WantedRecord::new(
                key.album_id.clone(),
                key.quality,
                default_cutoff(key.quality),
                Utc::now(),
            )
        };
        self.w.store.put_wanted(&record, false).await.map(|_| ())
    }

    pub async fn list(&self, state: Option<WantedState>) -> Result<Vec<WantedRecord>, StoreError> {
        self.w.store.list_wanted(state).await
    }

    /// RemoveWanted: the album leaves the list (a running search of it goes
    /// on; cancel it with CancelWorkflow). False when it was not listed.
    pub async fn remove(&self, album_id: &AlbumId) -> Result<bool, StoreError> {
        let album_id = self.canonical(album_id).await?;
        self.w.store.remove_wanted(&album_id).await
    }

    /// SearchWantedNow: starts (or joins) a run of a listed album now,
    /// outside the hourly budget (a person asked).
    pub async fn search_now(&self, album_id: &AlbumId) -> Result<RunId, WantedError> {
        let album_id = self.canonical(album_id).await?;
        let mut record = self
            .w
            .store
            .wanted(&album_id)
            .await?
            .ok_or_else(|| WantedError::NotWanted(album_id.clone()))?;
        if record.state == WantedState::Paused {
            return Err(WantedError::Paused(album_id));
        }
        if record.state == WantedState::Satisfied {
            record.state = WantedState::Wanted;
        }
        self.start_search(&mut record, "searched on request").await
    }

    /// Starts the run of a wanted album and records the search in its
    /// schedule (the next one after the album's current interval).
    pub(crate) async fn start_search(
        &self,
        record: &mut WantedRecord,
        why: &str,
    ) -> Result<RunId, WantedError> {
        let key = WorkflowKey {
            album_id: record.album_id.clone(),
            quality: schedule::run_quality(&self.w, record).await?,
        };
        let read_at = record.updated_at;
        let attachment = self.w.attach(&key, 0, None).await?;
        let now = Utc::now();
        record.last_searched_at = Some(now);
        record.next_search_at = Some(now + schedule::interval_after(record.attempts));
        record.attempts = record.attempts.saturating_add(1);
        record.message = format!("{why}: run {}", attachment.run_id);
        record.updated_at = now;
        // a run that already ended wrote a fresher state: it stands
        self.w
            .store
            .save_wanted_if_unchanged(record, read_at)
            .await?;
        Ok(attachment.run_id)
    }

    /// The album's artist and title, when its metadata is stored.
    pub async fn album_names(&self, album_id: &AlbumId) -> Option<(String, String)> {
        match self.w.store.album(album_id).await {
            Ok(Some((album, _))) => Some((album.artist, album.title)),
            _ => None,
        }
    }

    /// [`Wanted::album_names`] of every listed album, read at once (list
    /// pages: one query, not one per row).
    pub async fn listed_album_names(
        &self,
    ) -> Result<std::collections::HashMap<AlbumId, (String, String)>, StoreError> {
        Ok(self
            .w
            .store
            .wanted_album_names()
            .await?
            .into_iter()
            .map(|(id, artist, title)| (id, (artist, title)))
            .collect())
    }

    async fn canonical(&self, album_id: &AlbumId) -> Result<AlbumId, StoreError> {
        Ok(self
            .w
            .store
            .canonical_album_id(album_id)
            .await?
            .unwrap_or_else(|| album_id.clone()))
    }

    /// The background work until `stop`: an RSS sync every `rss_interval`
    /// (the first one interval after the start), a scheduled search whenever the budget allows,
    /// grabbed albums followed to their import, replaced files purged.
    pub async fn run(self, stop: CancellationToken) {
        let every = self
            .config
            .rss_interval
            .duration()
            .max(Duration::from_secs(1));
        // The first sync one interval after the start: the runs recovery
        // restarted are searching already.
        let mut rss = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        rss.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut tick = tokio::time::interval(schedule::TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = rss.tick() => {
                    let report = self.rss_sync().await;
                    tracing::info!(?report, "RSS sync");
                }
                _ = tick.tick() => {
                    if let Err(e) = self.step(Utc::now()).await {
                        tracing::warn!(error = %e, "wanted list: scheduling step failed");
                    }
                }
            }
        }
    }

    /// One scheduling step at `now` (tests call it directly): grabbed
    /// albums followed, at most one scheduled search if the budget allows,
    /// old replaced files purged. Returns the runs it started.
    pub async fn step(&self, now: chrono::DateTime<Utc>) -> Result<Vec<RunId>, WantedError> {
        transitions::follow_grabbed(self).await?;
        let started = self.scheduled_searches(now).await?;
        if let Some(library) = &self.w.library {
            replace::purge(library.root(), self.config.keep_replaced_days, now);
        }
        Ok(started)
    }
}

#[cfg(test)]
mod cutoff_tests {
    use super::*;

    #[test]
    fn a_cutoff_is_the_tier_or_a_better_one() {
        for (q, c) in [
            (Quality::Any, Quality::Lossless),
            (Quality::Any, Quality::Mp3_320),
            (Quality::Lossless, Quality::Lossless),
            (Quality::Lossless, Quality::LosslessHires),
            (Quality::LossyHigh, Quality::Mp3V0),
            (Quality::Mp3_320, Quality::Lossless),
            (Quality::Mp3V0, Quality::LosslessHires),
        ] {
            assert!(cutoff_fits(q, c), "{q} {c}");
        }
        for (q, c) in [
            (Quality::Lossless, Quality::Mp3_320),
            (Quality::LosslessHires, Quality::Lossless),
            (Quality::Mp3_320, Quality::Any),
            (Quality::Lossless, Quality::Any),
        ] {
            assert!(!cutoff_fits(q, c), "{q} {c}");
        }
    }
}
