-- refcodes schema on PostgreSQL: PhoenixKit's table names and the spec's columns with integer ids
-- (PhoenixKit schema versions below 40), plus the CHECKs and unique usage rule of the design.

CREATE TABLE IF NOT EXISTS phoenix_kit_users (
    id          BIGSERIAL PRIMARY KEY,
    email       TEXT NOT NULL,
    username    TEXT,
    first_name  TEXT,
    last_name   TEXT,
    inserted_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_users_email_index ON phoenix_kit_users (lower(email));
CREATE INDEX IF NOT EXISTS phoenix_kit_users_email_order ON phoenix_kit_users (email);

CREATE TABLE IF NOT EXISTS phoenix_kit_user_roles (
    id   BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO phoenix_kit_user_roles (id, name) VALUES (1, 'Owner'), (2, 'Admin'), (3, 'User') ON CONFLICT DO NOTHING;
SELECT setval(pg_get_serial_sequence('phoenix_kit_user_roles', 'id'), (SELECT max(id) FROM phoenix_kit_user_roles));

CREATE TABLE IF NOT EXISTS phoenix_kit_user_role_assignments (
    id      BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES phoenix_kit_users (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES phoenix_kit_user_roles (id) ON DELETE CASCADE,
    UNIQUE (user_id, role_id)
);

CREATE TABLE IF NOT EXISTS phoenix_kit_settings (
    id           BIGSERIAL PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,
    value        TEXT,
    module       TEXT,
    date_added   TIMESTAMPTZ NOT NULL,
    date_updated TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS phoenix_kit_referral_codes (
    id              BIGSERIAL PRIMARY KEY,
    code            TEXT NOT NULL,
    description     TEXT NOT NULL,
    status          BOOLEAN NOT NULL DEFAULT TRUE,
    number_of_uses  INTEGER NOT NULL DEFAULT 0 CHECK (number_of_uses >= 0),
    max_uses        INTEGER NOT NULL CHECK (max_uses > 0),
    created_by      BIGINT,
    beneficiary     BIGINT,
    date_created    TIMESTAMPTZ NOT NULL,
    expiration_date TIMESTAMPTZ
);
CREATE UNIQUE INDEX IF NOT EXISTS phoenix_kit_referral_codes_code_uidx ON phoenix_kit_referral_codes (code);
-- Codes are compared without case: lookups use upper(code), and this keeps two spellings of one code out.
CREATE UNIQUE INDEX IF NOT EXISTS idx_referral_codes_code_upper ON phoenix_kit_referral_codes (upper(code));
CREATE INDEX IF NOT EXISTS idx_referral_codes_status ON phoenix_kit_referral_codes (status);
CREATE INDEX IF NOT EXISTS idx_referral_codes_expiration ON phoenix_kit_referral_codes (expiration_date);
CREATE INDEX IF NOT EXISTS idx_referral_codes_created_by ON phoenix_kit_referral_codes (created_by);
-- For the list's sorts and the beneficiary filter.
CREATE INDEX IF NOT EXISTS idx_referral_codes_beneficiary ON phoenix_kit_referral_codes (beneficiary);
CREATE INDEX IF NOT EXISTS idx_referral_codes_date_created ON phoenix_kit_referral_codes (date_created, id);
CREATE INDEX IF NOT EXISTS idx_referral_codes_uses ON phoenix_kit_referral_codes (number_of_uses, id);

CREATE TABLE IF NOT EXISTS phoenix_kit_referral_code_usage (
    id        BIGSERIAL PRIMARY KEY,
    code_id   BIGINT NOT NULL REFERENCES phoenix_kit_referral_codes (id) ON DELETE CASCADE,
    used_by   BIGINT NOT NULL,
    date_used TIMESTAMPTZ NOT NULL,
    UNIQUE (code_id, used_by)
);
CREATE INDEX IF NOT EXISTS idx_referral_code_usage_code_id ON phoenix_kit_referral_code_usage (code_id);
CREATE INDEX IF NOT EXISTS idx_referral_code_usage_used_by ON phoenix_kit_referral_code_usage (used_by);
CREATE INDEX IF NOT EXISTS idx_referral_code_usage_date_used ON phoenix_kit_referral_code_usage (date_used);
