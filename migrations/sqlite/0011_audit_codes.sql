-- A bulk action's events, kept narrow: one header row in refcodes_audit_events (when, who, from where, which kind,
-- the bulk id, the change made to every code, and `members`, how many codes) and a row per code here, copied from
-- the code by the statement that records them (the code as it was before a change or a delete, as it is after a
-- creation). One wide row per code with six indexes made a 100,000-code deactivation ten times slower.
-- `usage_records` is a deletion's (how many went with the code), `expiration_after` an extension's (each code's
-- new expiry). The partial index finds a deleted code's events by its name; the others exist under their code.
ALTER TABLE refcodes_audit_events ADD COLUMN members INTEGER;
CREATE TABLE IF NOT EXISTS refcodes_audit_codes (
    event_id         INTEGER NOT NULL,
    code_id          INTEGER NOT NULL,
    code             TEXT NOT NULL,
    description      TEXT NOT NULL,
    status           BOOLEAN NOT NULL,
    max_uses         INTEGER NOT NULL,
    beneficiary      INTEGER,
    expiration_date  TEXT,
    number_of_uses   INTEGER NOT NULL,
    usage_records    INTEGER,
    expiration_after TEXT,
    PRIMARY KEY (event_id, code_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_audit_codes_code_id ON refcodes_audit_codes (code_id);
CREATE INDEX IF NOT EXISTS idx_audit_codes_gone ON refcodes_audit_codes (code) WHERE usage_records IS NOT NULL;
