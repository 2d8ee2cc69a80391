-- A window's top codes and top beneficiaries without grouping every usage record of the window; see
-- migrations/sqlite/0007_stats_cache.sql, which this follows.
CREATE TABLE IF NOT EXISTS refcodes_stats_window (
    name TEXT PRIMARY KEY,
    first_day TIMESTAMPTZ NOT NULL,
    end_day TIMESTAMPTZ NOT NULL,
    max_usage_id BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS refcodes_stats_uses (
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    id BIGINT NOT NULL,
    uses BIGINT NOT NULL,
    last_used TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, kind, id)
);
CREATE INDEX IF NOT EXISTS idx_refcodes_stats_uses_rank ON refcodes_stats_uses (name, kind, uses DESC, last_used DESC, id DESC);

-- The tables are found through the schema the migration ran in, whatever the caller's search path.
CREATE OR REPLACE FUNCTION refcodes_stats_forget() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM refcodes_stats_window) THEN
        DELETE FROM refcodes_stats_window;
    END IF;
    RETURN NULL;
END
$$;

-- Once per statement: a bulk delete pays one call, not one per record.
CREATE TRIGGER refcodes_stats_usage_changed AFTER DELETE OR UPDATE OF code_id, date_used
    ON phoenix_kit_referral_code_usage FOR EACH STATEMENT EXECUTE FUNCTION refcodes_stats_forget();
CREATE TRIGGER refcodes_stats_code_deleted AFTER DELETE
    ON phoenix_kit_referral_codes FOR EACH STATEMENT EXECUTE FUNCTION refcodes_stats_forget();
-- Per row, so that an edit that leaves the beneficiary as it was keeps the sums.
CREATE TRIGGER refcodes_stats_beneficiary_changed AFTER UPDATE OF beneficiary ON phoenix_kit_referral_codes
    FOR EACH ROW WHEN (OLD.beneficiary IS DISTINCT FROM NEW.beneficiary) EXECUTE FUNCTION refcodes_stats_forget();
