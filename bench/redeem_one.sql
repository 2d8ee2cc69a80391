-- One redemption as one statement in autocommit, the form Service::use_code runs on PostgreSQL with refcodes' own
-- schema (src/store/redeem.rs, claim_sql): the conditional UPDATE that takes a use feeds the INSERT of the usage row;
-- the unique (code_id, used_by) index would fail the statement, increment and all, on a second use by a user.
-- Run with -M prepared. Variables as in redeem.sql (cmin/cmax, ubase, stride, n=0).
-- Differences: pgbench has no list of code texts, so the UPDATE finds the text of code :cid by its id in a scalar
-- subquery (one extra primary-key probe, on the baseline's side); it does not check that the user exists (refcodes
-- does: one more primary-key probe, on refcodes' side).
\set cid random(:cmin, :cmax)
\set n :n + 1
\set uid :ubase + :client_id * :stride + :n
WITH claim AS (UPDATE phoenix_kit_referral_codes c SET number_of_uses = c.number_of_uses + 1 WHERE upper(c.code) = (SELECT upper(code) FROM phoenix_kit_referral_codes WHERE id = :cid) AND c.status AND c.number_of_uses < c.max_uses AND (c.expiration_date IS NULL OR c.expiration_date > now()) AND EXISTS (SELECT 1 FROM phoenix_kit_settings WHERE key = 'referral_codes_enabled' AND value = 'true') RETURNING c.id) INSERT INTO phoenix_kit_referral_code_usage (code_id, used_by, date_used) SELECT id, :uid, now() FROM claim RETURNING id;
