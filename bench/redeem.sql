-- The minimal SQL transaction of one redemption, as Service::use_code runs it (src/store/usage.rs): the
-- conditional UPDATE that takes a use, then the INSERT of the usage row for an existing user.
-- Variables (pgbench -D): cmin/cmax, the code ids to draw from (equal for the hot mode); ubase, the id before
-- the first fresh user; stride, fresh users per client; n=0, a per-client counter (pgbench keeps variables from
-- one transaction to the next), so each transaction has a user that has used nothing yet.
-- The one difference: pgbench has no list of code texts, so the UPDATE finds the text of code :cid by its id in
-- a scalar subquery (one extra primary-key probe per transaction, on the baseline's side).
\set cid random(:cmin, :cmax)
\set n :n + 1
\set uid :ubase + :client_id * :stride + :n
BEGIN;
UPDATE phoenix_kit_referral_codes SET number_of_uses = number_of_uses + 1 WHERE upper(code) = (SELECT upper(code) FROM phoenix_kit_referral_codes WHERE id = :cid) AND status AND number_of_uses < max_uses AND (expiration_date IS NULL OR expiration_date > now()) AND EXISTS (SELECT 1 FROM phoenix_kit_settings WHERE key = 'referral_codes_enabled' AND value = 'true') RETURNING id AS code_id \gset
INSERT INTO phoenix_kit_referral_code_usage (code_id, used_by, date_used) SELECT :code_id, u.id, now() FROM phoenix_kit_users u WHERE u.id = :uid ON CONFLICT (code_id, used_by) DO NOTHING RETURNING id;
END;
