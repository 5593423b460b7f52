-- Manual mode ([manual]): each run's mode, copied onto its events (clients
-- see it on every StatusUpdate), and the offer a manual run waits on.
ALTER TABLE workflow_runs ADD COLUMN mode TEXT NOT NULL DEFAULT 'automatic';
ALTER TABLE album_events ADD COLUMN mode TEXT NOT NULL DEFAULT 'automatic';

-- One row per manual run that reached AWAITING_CHOICE. `decision` is set once
-- (the first valid choice, a decline, or the expiry wins: a conditional
-- UPDATE). `candidates` holds the offered releases with their download links
-- (which may carry an indexer's API key): it is emptied when the run ends.
CREATE TABLE offers (
    run_id      BLOB PRIMARY KEY REFERENCES workflow_runs (id) ON DELETE CASCADE,
    expires_at  TEXT NOT NULL,
    candidates  TEXT NOT NULL,
    decision    TEXT,                          -- chosen | declined | expired
    chosen_guid TEXT,                          -- the offered guid, when chosen
    decided_at  TEXT,
    created_at  TEXT NOT NULL
);
