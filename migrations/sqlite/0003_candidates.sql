-- Every release a run evaluated, accepted or rejected, with the evaluation
-- behind the verdict (ListCandidates, and the NO_RESULTS explanation).
CREATE TABLE candidates (
    run_id     BLOB NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,            -- accepted best first, then rejected
    accepted   BOOLEAN NOT NULL,
    title      TEXT NOT NULL,
    indexer    TEXT NOT NULL,
    score      REAL NOT NULL,
    evaluation TEXT NOT NULL,                 -- the CandidateSummary as JSON
    PRIMARY KEY (run_id, position)
);
