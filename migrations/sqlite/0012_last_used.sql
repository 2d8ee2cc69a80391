-- A code's last use, kept on the code by each redemption (as its counter is), so that the list sorts and filters
-- by it along an index: ranked from the usage records, a sort by last use looked up every code's latest record
-- (seconds at a million codes). NULL: never used, the least recent of all, which is where SQLite sorts NULL.
ALTER TABLE phoenix_kit_referral_codes ADD COLUMN last_used TEXT;
UPDATE phoenix_kit_referral_codes SET last_used =
    (SELECT max(u.date_used) FROM phoenix_kit_referral_code_usage u WHERE u.code_id = phoenix_kit_referral_codes.id);
CREATE INDEX IF NOT EXISTS idx_referral_codes_last_used ON phoenix_kit_referral_codes (last_used, id);
