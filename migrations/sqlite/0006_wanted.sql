-- The wanted list ([wanted]): albums kept monitored until they are in the
-- library at their cutoff. One row per album; `quality` is the tier wanted,
-- `cutoff` the tier at which upgrading stops. `attempts` counts the scheduled
-- searches since the album was added or last grabbed (it sets the growing
-- interval: 1 h, 6 h, 24 h, then daily).
CREATE TABLE wanted (
    album_id         TEXT PRIMARY KEY,
    quality          TEXT NOT NULL,
    cutoff           TEXT NOT NULL,
    state            TEXT NOT NULL,                -- wanted | grabbed | satisfied | paused
    attempts         INTEGER NOT NULL DEFAULT 0,
    message          TEXT NOT NULL DEFAULT '',
    added_at         TEXT NOT NULL,
    last_searched_at TEXT,
    next_search_at   TEXT,
    updated_at       TEXT NOT NULL
);
-- The scheduler's question: the due wanted albums, oldest search first.
CREATE INDEX wanted_due ON wanted (state, next_search_at);
