-- The audit trail (refcodes history): one row per operator change, written in the change's own transaction.
-- `operator` is the email as it was (lower case), so the trail outlives users; `code` the code's name then.
-- Every index ends in (at, id): history is read newest first, a page at a time from a key (at, id).
CREATE TABLE IF NOT EXISTS refcodes_audit_events (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    operator_id BIGINT,
    operator    TEXT NOT NULL,
    face        TEXT NOT NULL CHECK (face IN ('dashboard', 'cli', 'library')),
    action      TEXT NOT NULL,
    code_id     BIGINT,
    code        TEXT,
    changes     JSONB NOT NULL DEFAULT '{}',
    bulk_id     TEXT
);
CREATE INDEX IF NOT EXISTS idx_audit_events_at ON refcodes_audit_events (at, id);
CREATE INDEX IF NOT EXISTS idx_audit_events_code ON refcodes_audit_events (code, at, id);
CREATE INDEX IF NOT EXISTS idx_audit_events_code_id ON refcodes_audit_events (code_id, at, id);
CREATE INDEX IF NOT EXISTS idx_audit_events_operator ON refcodes_audit_events (operator, at, id);
CREATE INDEX IF NOT EXISTS idx_audit_events_action ON refcodes_audit_events (action, at, id);
CREATE INDEX IF NOT EXISTS idx_audit_events_bulk ON refcodes_audit_events (bulk_id, at, id);
