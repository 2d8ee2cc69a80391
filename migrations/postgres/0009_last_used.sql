-- A code's last use, kept on the code by each redemption (as its counter is), so that the list sorts and filters
-- by it along an index: ranked from the usage records, a sort by last use looked up every code's latest record
-- (seconds at a million codes). NULL: never used, the least recent of all, so the index puts NULL first.
ALTER TABLE phoenix_kit_referral_codes ADD COLUMN IF NOT EXISTS last_used TIMESTAMPTZ;
UPDATE phoenix_kit_referral_codes c SET last_used = m.last_used
    FROM (SELECT code_id, max(date_used) AS last_used FROM phoenix_kit_referral_code_usage GROUP BY code_id) m
    WHERE m.code_id = c.id;
CREATE INDEX IF NOT EXISTS idx_referral_codes_last_used ON phoenix_kit_referral_codes (last_used NULLS FIRST, id);
