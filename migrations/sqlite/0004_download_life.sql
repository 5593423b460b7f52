-- The download's life after the grab ([downloads]): states, progress, the
-- import's folder, retries; its events; and the library index.
ALTER TABLE downloads ADD COLUMN progress REAL NOT NULL DEFAULT 0;
ALTER TABLE downloads ADD COLUMN size_bytes INTEGER;
ALTER TABLE downloads ADD COLUMN downloaded_bytes INTEGER NOT NULL DEFAULT 0;
-- When bytes (or metadata) last moved: the stalled timeout counts from here.
ALTER TABLE downloads ADD COLUMN progressed_at TEXT;
ALTER TABLE downloads ADD COLUMN library_path TEXT;
ALTER TABLE downloads ADD COLUMN retry_run_id BLOB;
-- A failure that says something against the release (refused by the client,
-- dead, not this album): the selector skips it for this album.
ALTER TABLE downloads ADD COLUMN blocklisted BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE downloads SET blocklisted = TRUE WHERE status = 'failed' AND message LIKE 'refused by %';
-- Every write checks the version it read (no stale write over a newer state).
ALTER TABLE downloads ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- Failed, and its retry run not started yet (a crash in between is finished
-- at the next start).
ALTER TABLE downloads ADD COLUMN retry_pending BOOLEAN NOT NULL DEFAULT FALSE;
-- Downloads added before this version are followed from now on; their stall
-- clock starts when the tracker first sees them.
UPDATE downloads SET status = 'queued' WHERE status = 'added';

-- Every change of a download, in one sequence for all of them (WatchDownloads
-- resumes with after_seq whatever it filters on). `snapshot` is the download
-- as it was after the change.
CREATE TABLE download_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    download_id BLOB NOT NULL REFERENCES downloads (id) ON DELETE CASCADE,
    album_id    TEXT NOT NULL,
    state       TEXT NOT NULL,
    message     TEXT NOT NULL DEFAULT '',
    snapshot    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX download_events_download ON download_events (download_id, seq);
CREATE INDEX download_events_album ON download_events (album_id, seq);

-- The audio files under [library] path (what "owned" means).
CREATE TABLE library_files (
    path             TEXT PRIMARY KEY,            -- relative to the library root
    folder           TEXT NOT NULL,               -- its parent, relative
    size_bytes       INTEGER NOT NULL,
    mtime_ms         INTEGER NOT NULL,
    release_group_id TEXT,
    release_id       TEXT,
    album_key        TEXT NOT NULL,               -- match_key(album artist) / match_key(album)
    facts            TEXT NOT NULL
);
CREATE INDEX library_files_group ON library_files (release_group_id);
CREATE INDEX library_files_album_key ON library_files (album_key);
CREATE INDEX library_files_folder ON library_files (folder);
