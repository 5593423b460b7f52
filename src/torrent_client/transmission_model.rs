//! Transmission's answers read into the tracker's terms: `torrent-get`
//! torrents as [`TorrentStatus`], `files` as [`ClientFile`]s, and what
//! `torrent-add` did (added, or already there).
//!
//! Field values are read leniently (an odd value is a default, never a
//! panic), but a torrent without `hashString` or an answer without its
//! list is an error: guessing there would make a tracked download look
//! removed from the client.

use serde_json::{Map, Value};

use super::transmission_rpc::unavailable;
use super::{ClientState, TorrentClientError, TorrentStatus};
use crate::import::ClientFile;

/// What the tracker reads of each torrent at every poll (never `files`:
/// too big to ask for every torrent every few seconds).
pub(super) const POLL_FIELDS: &[&str] = &[
    "hashString",
    "name",
    "status",
    "percentDone",
    "leftUntilDone",
    "sizeWhenDone",
    "downloadDir",
    "error",
    "errorString",
    "metadataPercentComplete",
    "rateDownload",
    "peersSendingToUs",
];

/// `error` value for a local error (disk, permissions, files gone); 1 and
/// 2 are tracker warnings and errors, which other peers make up for.
const LOCAL_ERROR: i64 = 3;

/// `arguments.torrents` of a `torrent-get` answer, each with its hash.
pub(super) fn torrents(arguments: &Value) -> Result<Vec<&Map<String, Value>>, TorrentClientError> {
    let list = arguments
        .get("torrents")
        .and_then(Value::as_array)
        .ok_or_else(|| unavailable("Transmission torrent-get: the answer has no torrents list"))?;
    list.iter()
        .map(|t| {
            t.as_object()
                .filter(|t| t.get("hashString").and_then(Value::as_str).is_some())
                .ok_or_else(|| {
                    unavailable("Transmission torrent-get: a torrent without its hashString")
                })
        })
        .collect()
}

pub(super) fn hash_of(torrent: &Map<String, Value>) -> String {
    text(torrent, "hashString").to_ascii_lowercase()
}

fn text<'a>(t: &'a Map<String, Value>, key: &str) -> &'a str {
    t.get(key).and_then(Value::as_str).unwrap_or("")
}

fn number(t: &Map<String, Value>, key: &str) -> Option<i64> {
    t.get(key).and_then(Value::as_i64)
}

fn fraction(t: &Map<String, Value>, key: &str) -> Option<f64> {
    t.get(key)
        .and_then(Value::as_f64)
        .filter(|f| f.is_finite())
        .map(|f| f.clamp(0.0, 1.0))
}

pub(super) fn labels(t: &Map<String, Value>) -> Vec<String> {
    t.get("labels")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// One torrent of `torrent-get` (with [`POLL_FIELDS`]) in the tracker's terms.
pub(super) fn torrent_status(t: &Map<String, Value>) -> TorrentStatus {
    let has_metadata = fraction(t, "metadataPercentComplete").unwrap_or(1.0) >= 1.0;
    let progress = fraction(t, "percentDone").unwrap_or(0.0);
    let size = number(t, "sizeWhenDone").unwrap_or(0).max(0) as u64;
    let left = number(t, "leftUntilDone").unwrap_or(0).max(0) as u64;
    let complete = has_metadata && size > 0 && left == 0;
    // Older daemons may not send these: then nobody is said to be stalled.
    let receiving = number(t, "peersSendingToUs").is_none_or(|n| n > 0)
        || number(t, "rateDownload").is_some_and(|r| r > 0);
    let (state, raw_state) = client_state(
        number(t, "status"),
        number(t, "error").unwrap_or(0),
        text(t, "errorString"),
        has_metadata,
        complete,
        receiving,
    );
    TorrentStatus {
        hash: hash_of(t),
        name: text(t, "name").to_owned(),
        state,
        raw_state,
        progress: if complete { 1.0 } else { progress },
        size,
        completed: size.saturating_sub(left),
        save_path: text(t, "downloadDir").to_owned(),
        has_metadata,
    }
}

/// Transmission's `status` (0 stopped … 6 seeding) and `error` in the
/// tracker's terms, with the word shown to users.
fn client_state(
    status: Option<i64>,
    error: i64,
    error_string: &str,
    has_metadata: bool,
    complete: bool,
    receiving: bool,
) -> (ClientState, String) {
    if error == LOCAL_ERROR {
        // libtransmission's words when the files are gone from disk.
        let state = if error_string.contains("No data found") {
            ClientState::MissingFiles
        } else {
            ClientState::Error
        };
        return (state, format!("error: {error_string}"));
    }
    let (state, word) = match status {
        Some(0) if complete => (ClientState::Complete, "stopped (complete)"),
        Some(0) => (ClientState::Paused, "stopped"),
        Some(1) => (ClientState::Queued, "queued to verify"),
        Some(2) => (ClientState::Queued, "verifying"),
        Some(3) => (ClientState::Queued, "queued to download"),
        Some(4) if !has_metadata => (ClientState::FetchingMetadata, "fetching metadata"),
        Some(4) if !receiving => (ClientState::Stalled, "downloading, no peer sending"),
        Some(4) => (ClientState::Downloading, "downloading"),
        Some(5) => (ClientState::Complete, "queued to seed"),
        Some(6) => (ClientState::Complete, "seeding"),
        Some(n) => return (ClientState::Unknown, format!("status {n}")),
        None => return (ClientState::Unknown, "no status".into()),
    };
    (state, word.to_owned())
}

/// `files` of one torrent, without those the user chose not to download
/// (`fileStats[i].wanted == false`).
pub(super) fn files(t: &Map<String, Value>) -> Result<Vec<ClientFile>, TorrentClientError> {
    let list = t
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| unavailable("Transmission torrent-get: the torrent has no files list"))?;
    let stats = t.get("fileStats").and_then(Value::as_array);
    let mut out = Vec::with_capacity(list.len());
    for (i, file) in list.iter().enumerate() {
        let name = file
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| unavailable("Transmission torrent-get: a file without its name"))?;
        let wanted = stats
            .and_then(|s| s.get(i))
            .and_then(|s| s.get("wanted"))
            .and_then(|w| w.as_bool().or_else(|| w.as_i64().map(|n| n != 0)))
            .unwrap_or(true);
        if wanted {
            out.push(ClientFile {
                name: name.to_owned(),
                size: file.get("length").and_then(Value::as_u64).unwrap_or(0),
            });
        }
    }
    Ok(out)
}

/// What `torrent-add` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Added {
    New {
        hash: String,
    },
    /// Already in the daemon: as good as added.
    Duplicate {
        hash: String,
    },
}

/// Reads a `torrent-add` reply. A duplicate is `result: "success"` with
/// `torrent-duplicate` (4.0+) or `result: "duplicate torrent"` with it
/// (≤ 3.00): both are [`Added::Duplicate`].
pub(super) fn added(result: &str, arguments: &Value) -> Result<Added, TorrentClientError> {
    let hash = |key: &str| {
        arguments
            .get(key)
            .and_then(|t| t.get("hashString"))
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    if let Some(hash) = hash("torrent-duplicate")
        && (result == "success" || result == "duplicate torrent")
    {
        return Ok(Added::Duplicate { hash });
    }
    if result == "success" {
        return hash("torrent-added")
            .map(|hash| Added::New { hash })
            .ok_or_else(|| {
                unavailable(
                    "Transmission torrent-add: success, but neither torrent-added nor \
                     torrent-duplicate names the torrent",
                )
            });
    }
    // The daemon's setting is at fault, not the release.
    if result.contains("download directory") {
        return Err(TorrentClientError::Config(format!(
            "Transmission refused the download directory: {result} (see transmission.download_dir)"
        )));
    }
    Err(TorrentClientError::Refused(format!(
        "Transmission refused the torrent: {result}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A `torrent-get` answer as transmission-daemon 3.00 sends it, the
    /// fields named in the protocol document.
    fn answer() -> Value {
        json!({"arguments": {"torrents": [
            {"downloadDir": "/srv/downloads", "error": 0, "errorString": "",
             "hashString": "8A19577FB5F690970CA43A57FF1011AE202244B8", "labels": ["musicagg", "run-1"],
             "leftUntilDone": 0, "metadataPercentComplete": 1, "name": "Artist - Album (2020) [FLAC]",
             "peersSendingToUs": 0, "percentDone": 1, "rateDownload": 0, "sizeWhenDone": 4200000,
             "status": 6},
            {"downloadDir": "/srv/downloads", "error": 0, "errorString": "",
             "hashString": "c12fe1c06bba254a9dc9f519b335aa7c1367a88a", "labels": [],
             "leftUntilDone": 0, "metadataPercentComplete": 0.25, "name": "c12fe1c06bba254a9dc9f519b335aa7c1367a88a",
             "peersSendingToUs": 1, "percentDone": 0, "rateDownload": 0, "sizeWhenDone": 0, "status": 4},
            {"downloadDir": "/srv/downloads", "error": 2, "errorString": "Tracker gave HTTP response code 404 (Not Found)",
             "hashString": "aa00000000000000000000000000000000000001", "leftUntilDone": 1000,
             "metadataPercentComplete": 1, "name": "b", "peersSendingToUs": 0, "percentDone": 0.5,
             "rateDownload": 0, "sizeWhenDone": 2000, "status": 4},
            {"downloadDir": "/srv/downloads", "error": 3,
             "errorString": "No data found! Ensure your drives are connected or use \"Set Location\". To re-download, remove the torrent and re-add it.",
             "hashString": "aa00000000000000000000000000000000000002", "leftUntilDone": 2000,
             "metadataPercentComplete": 1, "name": "c", "percentDone": 0, "sizeWhenDone": 2000, "status": 0}
        ]}, "result": "success", "tag": 4})
    }

    #[test]
    fn a_poll_reads_every_state_the_tracker_needs() {
        let answer = answer();
        let list = torrents(&answer["arguments"]).unwrap();
        let read: Vec<TorrentStatus> = list.iter().map(|t| torrent_status(t)).collect();
        // Seeding: complete, hash lower-cased, the save path the daemon's.
        assert_eq!(read[0].hash, "8a19577fb5f690970ca43a57ff1011ae202244b8");
        assert_eq!(
            (read[0].state, read[0].completed, read[0].save_path.as_str()),
            (ClientState::Complete, 4_200_000, "/srv/downloads")
        );
        assert!(read[0].is_complete());
        assert_eq!(labels(list[0]), ["musicagg", "run-1"]);
        // A magnet without metadata: nothing left and nothing known is not complete.
        assert_eq!(read[1].state, ClientState::FetchingMetadata);
        assert!(!read[1].has_metadata && !read[1].is_complete());
        // A tracker error is not fatal; nobody sending: stalled.
        assert_eq!(
            (read[2].state, read[2].progress, read[2].completed),
            (ClientState::Stalled, 0.5, 1000)
        );
        // The files gone from disk.
        assert_eq!(read[3].state, ClientState::MissingFiles);
        assert!(read[3].raw_state.contains("No data found"));
    }

    #[test]
    fn statuses_map_to_the_trackers_states() {
        let state = |status, complete, receiving| {
            client_state(Some(status), 0, "", true, complete, receiving).0
        };
        assert_eq!(state(0, false, false), ClientState::Paused);
        assert_eq!(state(0, true, false), ClientState::Complete);
        assert_eq!(state(1, false, false), ClientState::Queued);
        assert_eq!(state(2, false, false), ClientState::Queued);
        assert_eq!(state(3, false, false), ClientState::Queued);
        assert_eq!(state(4, false, true), ClientState::Downloading);
        assert_eq!(state(5, true, false), ClientState::Complete);
        assert_eq!(state(6, true, false), ClientState::Complete);
        assert_eq!(state(9, false, false), ClientState::Unknown);
        assert_eq!(
            client_state(Some(4), 3, "Permission denied", true, false, true).0,
            ClientState::Error
        );
    }

    #[test]
    fn odd_answers_are_errors_or_defaults_never_panics() {
        assert!(torrents(&json!({})).is_err());
        assert!(torrents(&json!({"torrents": {}})).is_err());
        assert!(torrents(&json!({"torrents": [{"name": "no hash"}]})).is_err());
        assert!(torrents(&json!({"torrents": [5]})).is_err());
        let odd = json!({"hashString": "AB", "percentDone": "x", "sizeWhenDone": -1,
                         "status": "6", "metadataPercentComplete": 7.5, "labels": [1, "a"]});
        let t = odd.as_object().unwrap();
        let read = torrent_status(t);
        assert_eq!(
            (read.state, read.progress, read.size, read.hash.as_str()),
            (ClientState::Unknown, 0.0, 0, "ab")
        );
        assert!(read.has_metadata);
        assert_eq!(labels(t), ["a"]);
    }

    #[test]
    fn files_leave_out_the_unwanted_ones() {
        let t = json!({"hashString": "ab", "files": [
            {"bytesCompleted": 40960, "length": 40960, "name": "Album/01 - Song 1.flac"},
            {"bytesCompleted": 0, "length": 100, "name": "Album/cover.jpg"},
            {"bytesCompleted": 0, "length": 300, "name": "Album/02 - Song 2.flac"}],
            "fileStats": [{"bytesCompleted": 40960, "priority": 0, "wanted": true},
                          {"bytesCompleted": 0, "priority": 0, "wanted": false},
                          {"bytesCompleted": 0, "priority": 0, "wanted": true}]});
        let read = files(t.as_object().unwrap()).unwrap();
        assert_eq!(
            read,
            [
                ClientFile {
                    name: "Album/01 - Song 1.flac".into(),
                    size: 40960
                },
                ClientFile {
                    name: "Album/02 - Song 2.flac".into(),
                    size: 300
                }
            ]
        );
        // Without fileStats every file is wanted; a file without a name is an error.
        let t = json!({"files": [{"length": 1, "name": "a"}]});
        assert_eq!(files(t.as_object().unwrap()).unwrap().len(), 1);
        let t = json!({"files": [{"length": 1}]});
        assert!(files(t.as_object().unwrap()).is_err());
        assert!(files(json!({}).as_object().unwrap()).is_err());
    }

    #[test]
    fn add_answers_of_every_version() {
        let added_now = json!({"torrent-added": {"hashString": "AB12", "id": 1, "name": "x"}});
        assert_eq!(
            added("success", &added_now).unwrap(),
            Added::New {
                hash: "ab12".into()
            }
        );
        let dup = json!({"torrent-duplicate": {"hashString": "ab12", "id": 1, "name": "x"}});
        // 4.0+: success; 3.00 and older: an error string, the torrent named.
        for result in ["success", "duplicate torrent"] {
            assert_eq!(
                added(result, &dup).unwrap(),
                Added::Duplicate {
                    hash: "ab12".into()
                }
            );
        }
        // "duplicate torrent" without the torrent named is no duplicate.
        assert!(matches!(
            added("duplicate torrent", &json!({})),
            Err(TorrentClientError::Refused(_))
        ));
        assert!(matches!(
            added("invalid or corrupt torrent file", &json!({})),
            Err(TorrentClientError::Refused(m)) if m.contains("invalid or corrupt")
        ));
        assert!(matches!(
            added("download directory path is not absolute", &json!({})),
            Err(TorrentClientError::Config(_))
        ));
        assert!(matches!(
            added("success", &json!({})),
            Err(TorrentClientError::Unavailable(_))
        ));
    }
}
