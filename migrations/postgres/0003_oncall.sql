-- On-call figures (stats --since, check, metrics) at millions of rows.
-- A window's uses per code are counted from this index alone, without reading the usage table.
CREATE INDEX IF NOT EXISTS idx_referral_code_usage_date_code ON phoenix_kit_referral_code_usage (date_used, code_id);
-- Codes near their limit: the share of the limit used, in thousandths, written exactly as the queries write it
-- (SHARE in src/store/codes.rs), so that the planner matches the expression to this index.
CREATE INDEX IF NOT EXISTS idx_referral_codes_share
    ON phoenix_kit_referral_codes ((CAST(number_of_uses AS BIGINT) * 1000 / NULLIF(max_uses, 0)));
-- Signups with a code in a window.
CREATE INDEX IF NOT EXISTS idx_users_inserted_at ON phoenix_kit_users (inserted_at);
