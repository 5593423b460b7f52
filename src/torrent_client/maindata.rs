//! qBittorrent's incremental `sync/maindata`: one request per poll whatever
//! the number of torrents. The first answer (`rid=0`, or any answer with
//! `full_update`) is the whole state; later ones name only what changed,
//! and are merged into the copy kept here.

use std::collections::HashMap;

use serde::Deserialize;

use super::{ClientState, TorrentStatus};

/// qBittorrent's incremental sync: the last `rid` and every torrent's
/// fields as merged from the deltas so far.
#[derive(Default)]
pub(super) struct SyncState {
    pub rid: u64,
    pub torrents: HashMap<String, serde_json::Map<String, serde_json::Value>>,
}

/// One `sync/maindata` answer (only what the tracker reads).
#[derive(Debug, Deserialize)]
pub(super) struct MainData {
    #[serde(default)]
    rid: u64,
    #[serde(default)]
    full_update: bool,
    #[serde(default)]
    torrents: HashMap<String, serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    torrents_removed: Vec<String>,
}

/// The answers of `sync/maindata` may be large with many torrents.
pub(super) const MAINDATA_CAP: usize = 64 * 1024 * 1024;

/// Merges one answer into the state: a full update replaces it, a delta
/// changes only the fields it names.
pub(super) fn apply_delta(sync: &mut SyncState, data: MainData) {
    if data.full_update {
        sync.torrents.clear();
    }
    for (hash, fields) in data.torrents {
        let entry = sync.torrents.entry(hash.to_ascii_lowercase()).or_default();
        entry.extend(fields);
    }
    for hash in data.torrents_removed {
        sync.torrents.remove(&hash.to_ascii_lowercase());
    }
    sync.rid = data.rid;
}

pub(super) fn torrent_status(
    hash: &str,
    f: &serde_json::Map<String, serde_json::Value>,
) -> TorrentStatus {
    let text = |k: &str| f.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let number = |k: &str| f.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let raw_state = text("state");
    let state = ClientState::from_qbittorrent(&raw_state);
    TorrentStatus {
        hash: hash.to_owned(),
        name: text("name"),
        state,
        progress: f
            .get("progress")
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
            .clamp(0.0, 1.0),
        size: number("size"),
        completed: number("completed"),
        save_path: text("save_path"),
        // Older versions do not send it: a torrent past metaDL has it.
        has_metadata: f
            .get("has_metadata")
            .and_then(|v| v.as_bool())
            .unwrap_or(state != ClientState::FetchingMetadata),
        raw_state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: serde_json::Value) -> MainData {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn deltas_merge_and_full_updates_replace() {
        let mut sync = SyncState::default();
        apply_delta(
            &mut sync,
            answer(
                serde_json::json!({"rid": 1, "full_update": true, "torrents": {
                    "AA": {"state": "metaDL", "progress": 0, "size": 0},
                    "bb": {"state": "downloading", "progress": 0.5, "size": 100, "completed": 50,
                           "save_path": "/downloads", "has_metadata": true}
                }}),
            ),
        );
        assert_eq!(sync.rid, 1);
        let aa = torrent_status("aa", &sync.torrents["aa"]);
        assert_eq!(
            (aa.state, aa.has_metadata, aa.is_complete()),
            (ClientState::FetchingMetadata, false, false)
        );
        // A delta names only what changed.
        apply_delta(
            &mut sync,
            answer(
                serde_json::json!({"rid": 2, "torrents": {"bb": {"progress": 1, "state": "stalledUP", "completed": 100}},
                "torrents_removed": ["AA"]}),
            ),
        );
        assert!(!sync.torrents.contains_key("aa"));
        let bb = torrent_status("bb", &sync.torrents["bb"]);
        assert_eq!(
            (bb.state, bb.size, bb.completed, bb.save_path.as_str()),
            (ClientState::Complete, 100, 100, "/downloads")
        );
        assert!(bb.is_complete());
        // A full update forgets what it does not list.
        apply_delta(
            &mut sync,
            answer(serde_json::json!({"rid": 3, "full_update": true})),
        );
        assert!(sync.torrents.is_empty());
        // Odd values never panic.
        let odd = torrent_status(
            "cc",
            &serde_json::from_value(serde_json::json!({"progress": "x", "size": -1, "state": 5}))
                .unwrap(),
        );
        assert_eq!(
            (odd.state, odd.progress, odd.size),
            (ClientState::Unknown, 0.0, 0)
        );
    }
}
