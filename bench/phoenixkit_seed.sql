-- Fills a PhoenixKit V180 (UUID keys) database, made from tests/fixtures/phoenixkit/latest_uuid.sql, with
-- :users users and :codes codes in ten campaigns, about two usage records per code, as the PhoenixKit application
-- would have written them (UUIDv7 keys of users and codes from the database's own function, counters equal to the
-- records; the usage records' keys are random UUIDs, which are faster to make here and look alike to refcodes).
-- psql -v ON_ERROR_STOP=1 -v users=5000 -v codes=1000000 -d DB -f bench/phoenixkit_seed.sql
SET client_min_messages = warning;
BEGIN;
INSERT INTO phoenix_kit_users (uuid, email, hashed_password, first_name, last_name, inserted_at, updated_at)
SELECT uuid_generate_v7(), 'member' || g || '@example.org', 'x', 'Member', 'No. ' || g,
       now() - (g % 400) * interval '1 day', now()
FROM generate_series(1, :users) g;

CREATE TEMP TABLE seed_users AS SELECT array_agg(uuid ORDER BY email) AS ids FROM phoenix_kit_users;
CREATE TEMP TABLE seed_owner AS
    SELECT uuid FROM phoenix_kit_users WHERE email = 'owner@example.com';

INSERT INTO phoenix_kit_referral_codes (uuid, code, description, status, number_of_uses, max_uses, created_by_uuid,
                                        beneficiary_uuid, date_created, expiration_date)
SELECT uuid_generate_v7(),
       (ARRAY['SPRING', 'SUMMER', 'LAUNCH', 'VIP', 'PARTNER', 'FRIEND', 'BETA', 'PODCAST', 'STAFF', 'CREATOR'])[1 + g % 10]
           -- A multiplication by an odd number modulo 2^32 maps 1..codes to distinct values: unique codes.
           || '-' || upper(lpad(to_hex((g::bigint * 2654435761) % 4294967296), 8, '0')),
       (ARRAY['Spring campaign', 'Summer sale', 'Product launch', 'VIP customers', 'Partner program: Acme Corp',
              'Friends and family', 'Beta testers', 'Podcast listeners', 'Employee referrals', 'Influencer program'])[1 + g % 10],
       g % 10 <> 0,
       g % 5,
       (ARRAY[10, 25, 50, 100])[1 + g % 4],
       o.uuid,
       CASE WHEN g % 3 = 0 THEN u.ids[1 + g % array_length(u.ids, 1)] END,
       now() - (g % 90) * interval '1 day' - (g % 1440) * interval '1 minute',
       CASE WHEN g % 7 = 0 THEN NULL ELSE now() + (g % 120 - 30) * interval '1 day' END
FROM generate_series(1, :codes) g, seed_users u, seed_owner o;

-- number_of_uses of a code is g % 5: that many records, by distinct users.
INSERT INTO phoenix_kit_referral_code_usage (uuid, code_uuid, used_by_uuid, date_used)
SELECT gen_random_uuid(), c.uuid, u.ids[1 + (hashtext(c.code)::bigint + 2147483648 + k * 7919) % array_length(u.ids, 1)],
       c.date_created + k * interval '1 hour'
FROM phoenix_kit_referral_codes c, seed_users u, generate_series(1, c.number_of_uses) k
-- The fixture's own codes have their records already.
WHERE c.code NOT IN ('WELCOME2025', 'ALICE10', 'FULLHOUSE', 'summer25', 'PAUSED01', 'K7M3Q');
COMMIT;
ANALYZE;
