-- A window's top codes and top beneficiaries (`stats --since 30d`, the dashboard's Stats) without grouping every
-- usage record of the window: the uses per code and per beneficiary over the window's closed UTC days are kept
-- here, and only the open day's records are grouped when asked. Filled on demand by a writable session, a day per
-- transaction (src/store/stats.rs), and never on redemption. Closed days change only when usage records are deleted
-- or moved or a code changes hands: the triggers below then forget every window, and the next asker fills it again.
-- A record inserted later with an earlier date (a clock set back) is caught by `max_usage_id`.
CREATE TABLE IF NOT EXISTS refcodes_stats_window (
    -- The window's length in days ("30d").
    name TEXT PRIMARY KEY,
    -- The closed days summed, [first_day, end_day).
    first_day TEXT NOT NULL,
    end_day TEXT NOT NULL,
    -- The last usage record when a day was added: a later one dated before end_day means the sums are stale.
    max_usage_id INTEGER NOT NULL
);

-- kind 'code': id is a code's; kind 'beneficiary': a user's, the beneficiary of the codes used.
CREATE TABLE IF NOT EXISTS refcodes_stats_uses (
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    id INTEGER NOT NULL,
    uses INTEGER NOT NULL,
    last_used TEXT NOT NULL,
    PRIMARY KEY (name, kind, id)
) WITHOUT ROWID;
-- The ranking's order: most uses, then most recent use.
CREATE INDEX IF NOT EXISTS idx_refcodes_stats_uses_rank ON refcodes_stats_uses (name, kind, uses DESC, last_used DESC, id DESC);

CREATE TRIGGER IF NOT EXISTS refcodes_stats_usage_deleted AFTER DELETE ON phoenix_kit_referral_code_usage
WHEN EXISTS (SELECT 1 FROM refcodes_stats_window)
BEGIN
    DELETE FROM refcodes_stats_window;
END;

CREATE TRIGGER IF NOT EXISTS refcodes_stats_usage_moved AFTER UPDATE OF code_id, date_used ON phoenix_kit_referral_code_usage
WHEN EXISTS (SELECT 1 FROM refcodes_stats_window)
BEGIN
    DELETE FROM refcodes_stats_window;
END;

CREATE TRIGGER IF NOT EXISTS refcodes_stats_code_deleted AFTER DELETE ON phoenix_kit_referral_codes
WHEN EXISTS (SELECT 1 FROM refcodes_stats_window)
BEGIN
    DELETE FROM refcodes_stats_window;
END;

CREATE TRIGGER IF NOT EXISTS refcodes_stats_beneficiary_changed AFTER UPDATE OF beneficiary ON phoenix_kit_referral_codes
WHEN OLD.beneficiary IS NOT NEW.beneficiary AND EXISTS (SELECT 1 FROM refcodes_stats_window)
BEGIN
    DELETE FROM refcodes_stats_window;
END;
