-- A code's last use and its uses in a window (the list's columns and sorts, for a page's rows) are read from this
-- index alone, not from the usage rows. It serves every lookup by code the index it replaces served, so a
-- redemption still writes the same number of index entries.
CREATE INDEX IF NOT EXISTS idx_referral_code_usage_code_date ON phoenix_kit_referral_code_usage (code_id, date_used);
DROP INDEX IF EXISTS idx_referral_code_usage_code_id;
