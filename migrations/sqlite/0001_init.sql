-- musicagg schema, SQLite. Keep in step with migrations/postgres.

CREATE TABLE albums (
    id                 TEXT PRIMARY KEY,           -- MusicBrainz release-group MBID
    title              TEXT NOT NULL,
    artist             TEXT NOT NULL,
    first_release_date TEXT NOT NULL DEFAULT '',
    primary_type       TEXT,
    secondary_types    TEXT NOT NULL DEFAULT '[]',
    fetched_at         TEXT NOT NULL
);

CREATE TABLE tracks (
    album_id  TEXT NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
    disc      INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    number    TEXT NOT NULL,
    title     TEXT NOT NULL,
    length_ms INTEGER,
    PRIMARY KEY (album_id, disc, position)
);

CREATE TABLE workflow_runs (
    id          BLOB PRIMARY KEY,                  -- v7: sorts by creation time
    album_id    TEXT NOT NULL,
    quality     TEXT NOT NULL,
    status      TEXT NOT NULL,                     -- status of the latest event
    message     TEXT NOT NULL DEFAULT '',
    last_seq    INTEGER NOT NULL DEFAULT 0,         -- seq of the latest event
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    finished_at TEXT                        -- set with the terminal event
);
-- The database's own guard of "one workflow per (album, quality) at a time".
CREATE UNIQUE INDEX workflow_runs_one_running ON workflow_runs (album_id, quality)
    WHERE finished_at IS NULL;
CREATE INDEX workflow_runs_album ON workflow_runs (album_id, id);

CREATE TABLE album_events (
    run_id     BLOB NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    album_id   TEXT NOT NULL,
    quality    TEXT NOT NULL,
    status     TEXT NOT NULL,
    message    TEXT NOT NULL,
    payload    TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX album_events_album ON album_events (album_id, run_id, seq);

CREATE TABLE torrents (
    info_hash    TEXT PRIMARY KEY,                 -- lower-case hex v1 info hash
    magnet_uri   TEXT NOT NULL,
    torrent_file BLOB,                            -- kept for private torrents
    title        TEXT NOT NULL,
    size_bytes   INTEGER,
    indexer      TEXT NOT NULL,
    quality      TEXT NOT NULL DEFAULT '',         -- parsed quality, human-readable
    created_at   TEXT NOT NULL
);

CREATE TABLE downloads (
    id         BLOB PRIMARY KEY,
    album_id   TEXT NOT NULL,
    quality    TEXT NOT NULL,
    run_id     BLOB REFERENCES workflow_runs (id) ON DELETE SET NULL,
    info_hash  TEXT NOT NULL REFERENCES torrents (info_hash),
    client     TEXT NOT NULL,
    status     TEXT NOT NULL,                      -- pending | added | failed
    message    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX downloads_album ON downloads (album_id, quality, status);
CREATE INDEX downloads_status ON downloads (status);
