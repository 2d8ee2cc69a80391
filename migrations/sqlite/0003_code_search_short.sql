-- Two-character filters: a trigram index can't look up two characters, but it can list its trigrams that begin
-- with them (the vocabulary below), and every place two characters stand in a code or description is either the
-- start of such a trigram or the text's last two characters (indexed below). Together they give the candidates of
-- a sparse two-character filter without reading every code; the filter's LIKE still decides.

CREATE VIRTUAL TABLE IF NOT EXISTS refcodes_code_search_terms USING fts5vocab(refcodes_code_search, 'row');
CREATE INDEX IF NOT EXISTS refcodes_codes_code_end ON phoenix_kit_referral_codes (lower(substr(code, -2)));
CREATE INDEX IF NOT EXISTS refcodes_codes_description_end
    ON phoenix_kit_referral_codes (lower(substr(description, -2)));
