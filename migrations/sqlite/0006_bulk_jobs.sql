-- Bulk work that SQLite would otherwise write in one long transaction (a large generate or delete) commits in short
-- ones, so that redemptions take the write lock in between (see src/store/jobs.rs). While a job `hides`, every read
-- leaves out the codes it lists, and their usage records: a generate's rows until its last, tiny transaction shows
-- them all at once; a delete's rows from the tiny transaction that lists them until the last is gone. A job whose
-- process died is finished by the next write: a generate undone, a delete carried through.
CREATE TABLE IF NOT EXISTS refcodes_jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('generate', 'delete')),
    hides BOOLEAN NOT NULL,
    started_at TEXT NOT NULL
);

-- Keyed by job first: a read looks a code up in each job that hides (there is rarely more than one).
CREATE TABLE IF NOT EXISTS refcodes_job_codes (
    job_id INTEGER NOT NULL,
    code_id INTEGER NOT NULL,
    PRIMARY KEY (job_id, code_id)
) WITHOUT ROWID;
