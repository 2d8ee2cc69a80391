-- One redemption as the PhoenixKit package runs it (PKR 0.6.2 use_code/2, see ../shared/phoenixkit/SCHEMAS.md §8):
-- the code looked up without regard to case (oldest first), then in one transaction the conditional counter UPDATE
-- by uuid (which locks the row), the EXISTS check of an earlier use by the user, and the INSERT of the usage record.
-- Run with -M prepared (the variables are UUIDs passed as parameters).
-- Variables (pgbench -D): kmin/kmax, the bench.codes numbers to draw from (0 is the hot code); stride, fresh users
-- per client in bench.users; n=0, a per-client counter (pgbench keeps variables from one transaction to the next).
-- The one difference: pgbench has no list of code texts or user uuids, so the lookup reads them from the bench
-- schema's numbered lists by primary key (two extra probes per transaction, on the baseline's side). The usage
-- uuid is the application's to make; gen_random_uuid() stands for it.
\set k random(:kmin, :kmax)
\set n :n + 1
\set u :client_id * :stride + :n
SELECT c.uuid AS code_uuid, bu.uuid AS user_uuid FROM phoenix_kit_referral_codes c, bench.users bu WHERE upper(c.code) = (SELECT upper(code) FROM bench.codes WHERE n = :k) AND bu.n = :u ORDER BY c.date_created LIMIT 1 \gset
BEGIN;
UPDATE phoenix_kit_referral_codes SET number_of_uses = number_of_uses + 1 WHERE uuid = :code_uuid AND status = TRUE AND number_of_uses < max_uses AND (expiration_date IS NULL OR expiration_date > now());
SELECT EXISTS (SELECT 1 FROM phoenix_kit_referral_code_usage WHERE used_by_uuid = :user_uuid AND code_uuid = :code_uuid);
INSERT INTO phoenix_kit_referral_code_usage (uuid, code_uuid, used_by_uuid, date_used) VALUES (gen_random_uuid(), :code_uuid, :user_uuid, date_trunc('second', now()));
END;
