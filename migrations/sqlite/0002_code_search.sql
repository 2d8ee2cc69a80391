-- Substring search over codes and descriptions for the dashboard's filter: a trigram index, so a filter few codes
-- match finds them without reading every code. It only narrows the candidates; the filter's LIKE still decides.
-- The index reads the codes table (external content) and the triggers below keep it in step with it.

CREATE VIRTUAL TABLE IF NOT EXISTS refcodes_code_search USING fts5(
    code,
    description,
    content = 'phoenix_kit_referral_codes',
    content_rowid = 'id',
    tokenize = 'trigram'
);
INSERT INTO refcodes_code_search (refcodes_code_search) VALUES ('rebuild');

CREATE TRIGGER IF NOT EXISTS refcodes_code_search_insert AFTER INSERT ON phoenix_kit_referral_codes BEGIN
    INSERT INTO refcodes_code_search (rowid, code, description) VALUES (new.id, new.code, new.description);
END;
CREATE TRIGGER IF NOT EXISTS refcodes_code_search_delete AFTER DELETE ON phoenix_kit_referral_codes BEGIN
    INSERT INTO refcodes_code_search (refcodes_code_search, rowid, code, description)
        VALUES ('delete', old.id, old.code, old.description);
END;
CREATE TRIGGER IF NOT EXISTS refcodes_code_search_update AFTER UPDATE OF code, description ON phoenix_kit_referral_codes
BEGIN
    INSERT INTO refcodes_code_search (refcodes_code_search, rowid, code, description)
        VALUES ('delete', old.id, old.code, old.description);
    INSERT INTO refcodes_code_search (rowid, code, description) VALUES (new.id, new.code, new.description);
END;
