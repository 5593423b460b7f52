//! RSS sync: once per `rss_interval`, one request per indexer for its newest
//! audio releases (categories, no query); each item is parsed once and
//! matched against the whole wanted list through the word index; a match
//! starts a run of that album with the item as its candidate list (the run
//! searches normally only if the item is rejected).

use std::collections::HashMap;

use super::Wanted;
use super::index::WordIndex;
use crate::indexer::Release;
use crate::model::{RunId, WorkflowKey};
use crate::release::{match_names, parse_title};
use crate::store::{WantedRecord, WantedState};

/// What one sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RssReport {
    /// Indexers asked (one request each).
    pub requests: usize,
    pub items: usize,
    pub wanted: usize,
    /// Items that matched a wanted album.
    pub matched: usize,
    pub started: Vec<RunId>,
    pub errors: Vec<String>,
}

/// The items of a feed that match a wanted album, grouped by album: each
/// title parsed once, the candidates from the index confirmed by the
/// release matcher (the exact rules a run applies). Pure: the benchmark and
/// the tests call it.
pub fn match_items<'a, T>(index: &'a WordIndex<T>, items: &[Release]) -> Vec<(&'a T, Vec<usize>)> {
    let mut by_album: HashMap<*const T, (&'a T, Vec<usize>)> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let candidates = index.candidates(&item.title);
        if candidates.is_empty() {
            continue;
        }
        let parsed = parse_title(&item.title);
        if parsed.unparseable {
            continue;
        }
        for album in candidates {
            let matched = match_names(&item.title, &parsed, &album.artist, &album.title, false);
            if matched.rejections.is_empty() {
                by_album
                    .entry(&album.value as *const T)
                    .or_insert_with(|| (&album.value, Vec::new()))
                    .1
                    .push(i);
            }
        }
    }
    let mut matches: Vec<(&T, Vec<usize>)> = by_album.into_values().collect();
    matches.sort_by_key(|(_, items)| items[0]);
    matches
}

impl Wanted {
    /// One RSS sync (the background loop calls it every `rss_interval`;
    /// tests call it directly).
    pub async fn rss_sync(&self) -> RssReport {
        let mut report = RssReport::default();
        let wanted = match self.w.store.list_wanted(Some(WantedState::Wanted)).await {
            Ok(wanted) => wanted,
            Err(e) => {
                report.errors.push(format!("the wanted list: {e}"));
                return report;
            }
        };
        report.wanted = wanted.len();
        if wanted.is_empty() {
            // Nothing to match: the indexers are not asked.
            return report;
        }
        let feed = self.w.providers.indexers.latest().await;
        report.requests = feed.indexers.len();
        report.items = feed.releases.len();
        for outcome in &feed.indexers {
            if let Err(e) = &outcome.result {
                report.errors.push(format!("{}: {e}", outcome.indexer));
            }
        }
        // Albums never fetched have no names yet: a scheduled search
        // fetches them; RSS matches those it can name.
        let mut entries: Vec<(String, String, WantedRecord)> = Vec::with_capacity(wanted.len());
        for record in wanted {
            match self.w.store.album(&record.album_id).await {
                Ok(Some((album, _))) => entries.push((album.artist, album.title, record)),
                Ok(None) => {}
                Err(e) => report
                    .errors
                    .push(format!("album {}: {e}", record.album_id)),
            }
        }
        let index = WordIndex::build(entries);
        let matches = match_items(&index, &feed.releases);
        report.matched = matches.iter().map(|(_, items)| items.len()).sum();
        let started: Vec<(WantedRecord, Vec<Release>)> = matches
            .into_iter()
            .map(|(record, items)| {
                (
                    record.clone(),
                    items
                        .into_iter()
                        .map(|i| feed.releases[i].clone())
                        .collect(),
                )
            })
            .collect();
        for (mut record, found) in started {
            let album_id = record.album_id.clone();
            // only items this album has not tried yet
            let found: Vec<Release> = {
                let mut seen = self.rss_seen.lock().unwrap_or_else(|p| p.into_inner());
                found
                    .into_iter()
                    .filter(|item| seen.insert((album_id.clone(), item.guid.clone())))
                    .collect()
            };
            if found.is_empty() {
                continue;
            }
            let quality = match super::schedule::run_quality(&self.w, &record).await {
                Ok(quality) => quality,
                Err(e) => {
                    report.errors.push(format!("album {album_id}: {e}"));
                    continue;
                }
            };
            let key = WorkflowKey {
                album_id: album_id.clone(),
                quality,
            };
            let read_at = record.updated_at;
            match self.w.attach_found(&key, found).await {
                Ok(Some(run_id)) => {
                    record.message = format!("found on RSS: run {run_id}");
                    record.last_searched_at = Some(chrono::Utc::now());
                    record.updated_at = chrono::Utc::now();
                    // a run that already ended wrote a fresher state
                    if let Err(e) = self
                        .w
                        .store
                        .save_wanted_if_unchanged(&record, read_at)
                        .await
                    {
                        report.errors.push(format!("album {album_id}: {e}"));
                    }
                    report.started.push(run_id);
                }
                // A run of it is going on already: it will see the release.
                Ok(None) => {}
                Err(e) => report.errors.push(format!("album {album_id}: {e}")),
            }
        }
        report
    }
}
