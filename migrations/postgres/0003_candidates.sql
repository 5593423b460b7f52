-- Every release a run evaluated, accepted or rejected, with the evaluation
-- behind the verdict (ListCandidates, and the NO_RESULTS explanation).
CREATE TABLE candidates (
    run_id     UUID NOT NULL REFERENCES workflow_runs (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,            -- accepted best first, then rejected
    accepted   BOOLEAN NOT NULL,
    title      TEXT NOT NULL,
    indexer    TEXT NOT NULL,
    score      DOUBLE PRECISION NOT NULL,
    evaluation JSONB NOT NULL,                 -- the CandidateSummary as JSON
    PRIMARY KEY (run_id, position)
);
