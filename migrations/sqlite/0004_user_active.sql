-- Whether a user may still sign in, as PhoenixKit's users.is_active says: inactive users can't be chosen as
-- beneficiaries.
ALTER TABLE phoenix_kit_users ADD COLUMN is_active BOOLEAN NOT NULL DEFAULT 1;
