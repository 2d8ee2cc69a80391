-- Whether a user may still sign in, as PhoenixKit's users.is_active says: inactive users can't be chosen as
-- beneficiaries.
ALTER TABLE phoenix_kit_users ADD COLUMN IF NOT EXISTS is_active BOOLEAN NOT NULL DEFAULT TRUE;
