//! One window of the filtered, sorted list of codes, and how SQLite reaches it fast.
//!
//! The window's ids are found first, over the codes alone (for the sorts, in a covering index), and only its rows
//! are then read and joined to their users: skipping `offset` rows costs index steps, not row reads and joins.
//!
//! A text filter can't use an index. Along the sort's index SQLite finds the window at once when many codes
//! match, but reads every code, in random order, when few do (seconds on a million codes); a scan of the table
//! costs the same whatever matches. So on SQLite a text filter first looks through the first [`PROBE_ROWS`] codes
//! in order: if they hold the whole window, that is the window (the first matches in order are the first matches
//! there); if not, matches are sparse, and the trigram index gives candidates or the table is scanned.
//!
//! PostgreSQL plans this itself, but can't tell how many codes a text matches: with a trigram index (the one
//! `doctor --indexes` suggests on PhoenixKit) it walks the sort's index through a million codes for a text that
//! few match (seconds), or gathers half a million candidates for one that many match. Where that index exists, it
//! takes the same two steps: the probe, then candidates from the index.

use super::codes::{CODE_COLUMNS, EMAILS, SHARE, USER_JOINS, push_where, push_where_emails};
use crate::domain::{CodeFilter, CodeQuery, CodeRow, QuickCount, SortField, caseless};
use crate::store::sql::MAX_CONTAINS;
use crate::store::{Backend, Exec, Sql};
use chrono::{DateTime, Utc};

/// Rows of the sort order a text filter first looks through on SQLite.
const PROBE_ROWS: i64 = 4096;
/// Deepest window of a text filter that SQLite reads by scanning the table and keeping the best rows; deeper ones
/// walk the sort's index.
const SCAN_ROWS: u64 = 16_384;

/// At most this many matches among the [`PROBE_ROWS`] codes of [`quick_count`]'s sample make a text rare enough
/// to count from the trigram index's candidates: about 1% (10,000 of a million), which it gathers in a few
/// milliseconds; for a common text it would gather nearly every code, slower than reading them.
const SPARSE_MATCHES: i64 = 40;

/// Usage records, newest first, whose codes [`Reach::Used`] takes as the candidates of a first page by last use.
const RECENT_RECORDS: u64 = 4096;

/// How [`page`] reaches the codes in its inner query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// Only codes with a usage record at or after `since` (after, if `strict`), each ranked by those records
    /// alone, grouped from the index on `(date_used, code_id)`: for the first pages of the sorts by use,
    /// descending, where every other code ranks below them (see [`page`]). `None`: every record.
    Used { since: Option<DateTime<Utc>>, strict: bool },
    /// Only codes without a usage record at or after `since` (`None`: without any), by key: for the first pages of
    /// the sorts by use, ascending, which all rank first and alike.
    Unused { since: Option<DateTime<Utc>> },
    /// In the sort's order, along its index.
    Ordered,
    /// Only the first [`PROBE_ROWS`] codes of the sort's order.
    Probe,
    /// The whole table, the window kept by sorting (SQLite's top-N sorter).
    Scan,
    /// Only candidates (see [`push_candidates`]). The filter then decides, and the few found are sorted.
    Search(Search),
}

/// What the trigram index can give for a text (see [`search`]).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Search {
    /// SQLite: the codes an FTS5 query finds (`None`: no indexed trigram holds the text) and those whose code or
    /// description ends with one of `endings` (their last two characters, as the endings' indexes keep them):
    /// together every code whose code or description holds the text (and more).
    Index { query: Option<String>, endings: Vec<String> },
    /// PostgreSQL's trigram index answers the filter's own test of code and description.
    Trigram,
}

/// One window of the filtered, sorted list. Ties are broken by key so pages never overlap.
pub async fn page(mut exec: Exec<'_>, query: &CodeQuery, now: DateTime<Utc>) -> Result<Vec<CodeRow>, sqlx::Error> {
    let end = query.offset.saturating_add(query.limit);
    // A text longer than any it could match matches nothing, at once (see `push_where`).
    let searched = searched(&query.filter);
    let text = searched.is_some_and(|t| t.chars().count() <= MAX_CONTAINS);
    let searched = searched.unwrap_or_default();
    let sqlite = exec.backend() == Backend::Sqlite;
    let emails = !(sqlite && text) || emails_hold(exec.reborrow(), searched).await?;
    let searchable = text && (sqlite || exec.layout().text_index);
    // An expiry test leads SQLite to the expiry index and a sort of every code it keeps (44,652 of a million for
    // `expires:<7d`: 160 ms); like a text's matches, unless they are rare the first codes of the sort's order
    // already hold the window. Its index tells at once whether they are.
    let expiry = sqlite && (query.filter.expires.is_some() || query.filter.expiring_within.is_some());
    // The sorts by use rank each code by its usage records: along no index, so every code the filter keeps would
    // be looked up (a million seeks). Descending, the first codes are among those used lately: the codes of the
    // window's records, which rank above every other (those have none in it); or of the newest records, which
    // rank above every code whose last record is older than the oldest of them (records of the same instant may
    // lie on both sides, so that instant is left out). When they hold the whole window, that is the window.
    // Where codes keep their last use, its sort walks that column's index like any other.
    let by_use = match query.sort {
        SortField::WindowUses => true,
        SortField::LastUsed => !exec.layout().keeps_last_used(),
        _ => false,
    };
    if by_use && query.descending {
        let reach = match query.sort {
            SortField::WindowUses => Reach::Used { since: Some(query.window.start(now)), strict: false },
            _ => {
                let nth = exec
                    .sql("SELECT x.date_used{tz} FROM {usage_table} x ORDER BY x.date_used DESC LIMIT 1 OFFSET ")
                    .and("", (end.max(RECENT_RECORDS) - 1).min(i64::MAX as u64) as i64);
                let oldest: Option<(DateTime<Utc>,)> = exec.reborrow().fetch_optional(&nth).await?;
                Reach::Used { since: oldest.map(|(at,)| at), strict: true }
            }
        };
        let sql = page_sql(&exec, query, now, reach, emails);
        let rows: Vec<CodeRow> = exec.reborrow().fetch_all(&sql).await?;
        if rows.len() as u64 == query.limit {
            return Ok(rows);
        }
    }
    // Ascending, the codes without uses (in the window) come first, all alike but for their key.
    if by_use && !query.descending {
        let since = (query.sort == SortField::WindowUses).then(|| query.window.start(now));
        let sql = page_sql(&exec, query, now, Reach::Unused { since }, emails);
        let rows: Vec<CodeRow> = exec.reborrow().fetch_all(&sql).await?;
        if rows.len() as u64 == query.limit {
            return Ok(rows);
        }
    }
    // The probe would rank every code by use before keeping its first ones.
    if (searchable || expiry)
        && !by_use
        && end <= PROBE_ROWS as u64
        && (searchable || !expiry_is_thin(exec.reborrow(), &query.filter, now, end).await?)
    {
        let probe = page_sql(&exec, query, now, Reach::Probe, emails);
        let rows: Vec<CodeRow> = exec.reborrow().fetch_all(&probe).await?;
        if rows.len() as u64 == query.limit {
            return Ok(rows);
        }
        // Fewer than `end` matches among the first codes: few match, so few are candidates.
        let search = match (searchable, sqlite) {
            (false, _) => None,
            (true, true) => search(exec.reborrow(), searched).await?,
            (true, false) => Some(Search::Trigram),
        };
        if let Some(search) = search {
            let sql = page_sql(&exec, query, now, Reach::Search(search), emails);
            return exec.fetch_all(&sql).await;
        }
    }
    if sqlite && text && end <= SCAN_ROWS {
        let sql = page_sql(&exec, query, now, Reach::Scan, emails);
        return exec.fetch_all(&sql).await;
    }
    let sql = page_sql(&exec, query, now, Reach::Ordered, emails);
    exec.fetch_all(&sql).await
}

/// Whether the codes the filter's expiry terms keep are too few for the first [`PROBE_ROWS`] codes of the order
/// to hold a window ending at `end`: spread evenly, fewer than twice the window would be among them. The probe
/// then only adds its cost (on a million codes, 17,595 expiring within a week held 57 of the 64 rows asked, in
/// 40 ms, before the expiry index found them in 35). Counted along the expiry's index, up to that bound.
async fn expiry_is_thin(
    exec: Exec<'_>,
    filter: &CodeFilter,
    now: DateTime<Utc>,
    end: u64,
) -> Result<bool, sqlx::Error> {
    let terms =
        CodeFilter { expires: filter.expires, expiring_within: filter.expiring_within, ..CodeFilter::default() };
    let bound = |sql: &mut Sql| {
        // The codes, about: the span of their keys.
        sql.push("COALESCE((").push(HIGHEST).push(" - ").push(LOWEST).push(" + 1) * ");
        sql.push_int(end.min(PROBE_ROWS as u64) as i64 * 2).push(" / ").push_int(PROBE_ROWS).push(", 0)");
    };
    let mut sql = exec.sql("SELECT count(*) < ");
    bound(&mut sql);
    sql.push(" FROM (SELECT 1 FROM {codes_table} c");
    push_where(&mut sql, &terms, now);
    sql.push(" LIMIT ");
    bound(&mut sql);
    sql.push(")");
    Ok(exec.fetch_one::<(bool,)>(&sql).await?.0)
}

/// How many codes match `filter`, exactly.
pub async fn count(mut exec: Exec<'_>, filter: &CodeFilter, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    match quick_count(exec.reborrow(), filter, now).await? {
        QuickCount::Exact(n) => Ok(n),
        QuickCount::About(_) => count_every(exec, filter, now).await,
    }
}

/// How many codes match `filter`, or about how many when an exact count would be slow. A text filter's test
/// reads every code (on SQLite about 0.1 s at a million, the creators' and beneficiaries' emails as much again).
/// So on SQLite a sample of [`PROBE_ROWS`] codes is tested first: a text that at most [`SPARSE_MATCHES`] of them
/// match is counted exactly from its candidates in the trigram index, in milliseconds; a common one is estimated
/// from the sample.
pub async fn quick_count(
    mut exec: Exec<'_>,
    filter: &CodeFilter,
    now: DateTime<Utc>,
) -> Result<QuickCount, sqlx::Error> {
    let sqlite = exec.backend() == Backend::Sqlite;
    let text = searched(filter).filter(|t| sqlite && t.chars().count() <= MAX_CONTAINS);
    let Some(text) = text else {
        return Ok(QuickCount::Exact(count_every(exec, filter, now).await?));
    };
    let emails = emails_hold(exec.reborrow(), text).await?;
    let mut sample = exec.sql("SELECT (SELECT count(*) FROM {codes} c");
    push_where_emails(&mut sample, filter, now, emails);
    push_sample(sample.push(" AND c.{code_key} IN ("));
    push_sample(sample.push(")), (SELECT count(*) FROM {codes} c WHERE c.{code_key} IN ("));
    sample.push(")), (SELECT count(*) FROM {codes})");
    let (matched, sampled, codes): (i64, i64, i64) = exec.reborrow().fetch_one(&sample).await?;
    if codes <= PROBE_ROWS {
        return Ok(QuickCount::Exact(count_every(exec, filter, now).await?));
    }
    if matched > SPARSE_MATCHES {
        return Ok(QuickCount::About((matched as f64 / sampled.max(1) as f64 * codes as f64).round() as i64));
    }
    let Some(search) = search(exec.reborrow(), text).await? else {
        return Ok(QuickCount::Exact(count_every(exec, filter, now).await?));
    };
    let mut sql = exec.sql("SELECT count(*) FROM {codes} c");
    push_where_emails(&mut sql, filter, now, emails);
    push_candidates(&mut sql, text, &search, emails);
    Ok(QuickCount::Exact(exec.fetch_one::<(i64,)>(&sql).await?.0))
}

/// Appends the codes with a usage record after `since` (at or after unless `strict`; `None`: any), each with `rank`
/// of its records as `u.n`, joined as `c`: grouped from the index on `(date_used, code_id)`, which reads only the
/// records since then.
fn push_codes_used<'a>(
    sql: &'a mut Sql,
    rank: &'static str,
    since: Option<DateTime<Utc>>,
    strict: bool,
) -> &'a mut Sql {
    sql.push("(SELECT x.{code_ref} AS id, ").push(rank).push(" AS n FROM {usage_table} x");
    if let Some(since) = since {
        sql.push(if strict { " WHERE x.date_used > " } else { " WHERE x.date_used >= " }).bind(since);
    }
    // `+` keeps SQLite from grouping along the index on code_id, which reads every record (130 ms at 610k records)
    // where the date's index reads only those since (15 ms for 4,096).
    let group = if sql.backend() == Backend::Sqlite { " GROUP BY +x.{code_ref}" } else { " GROUP BY x.{code_ref}" };
    sql.push(group).push(") u JOIN {codes} c ON c.{code_key} = u.id")
}

/// Whether any user's email holds `text`. Asked once, it spares the statements that follow their tests of the
/// emails when none does: SQLite reads every user for each such test (about 6 ms at 100,000 users).
async fn emails_hold(exec: Exec<'_>, text: &str) -> Result<bool, sqlx::Error> {
    let mut held = exec.sql("SELECT EXISTS (SELECT 1 FROM {users} u WHERE ");
    held.push_contains("CAST(u.email AS TEXT)", text).push(")");
    Ok(exec.fetch_one::<(bool,)>(&held).await?.0)
}

/// Runs of the sample of [`quick_count`], spread evenly over the keys: codes made together (a generate, an
/// import) sit side by side, so one run would tell of one batch.
const SAMPLE_RUNS: i64 = 16;

/// The lowest key of the codes, as SQL.
const LOWEST: &str = "(SELECT min({code_key}) FROM {codes_table})";
/// The highest key of the codes, as SQL (read apart from [`LOWEST`]: together, SQLite reads every row for them).
const HIGHEST: &str = "(SELECT max({code_key}) FROM {codes_table})";

/// Appends the keys of [`quick_count`]'s sample: [`SAMPLE_RUNS`] runs of consecutive keys, evenly spaced.
fn push_sample(sql: &mut Sql) {
    for run in 0..SAMPLE_RUNS {
        sql.push(if run == 0 { "" } else { " UNION ALL " });
        // Each of min and max alone, which SQLite reads from the ends of the key (together, from every row).
        sql.push("SELECT * FROM (SELECT x.{code_key} FROM {codes} x WHERE x.{code_key} >= ").push(LOWEST).push(" + ");
        sql.push_int(run).push(" * (").push(HIGHEST).push(" - ").push(LOWEST).push(") / ");
        sql.push_int(SAMPLE_RUNS).push(" ORDER BY x.{code_key} LIMIT ").push_int(PROBE_ROWS / SAMPLE_RUNS).push(")");
    }
}

/// How many codes match `filter`, each tested.
pub async fn count_every(exec: Exec<'_>, filter: &CodeFilter, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    let mut sql = exec.sql("SELECT count(*) FROM {codes} c");
    push_where(&mut sql, filter, now);
    Ok(exec.fetch_one::<(i64,)>(&sql).await?.0)
}

/// The text whose candidates [`Reach::Search`] gathers: the plain text, or else the first text field. The
/// candidates of a text (codes whose code, description, creator's or beneficiary's email hold it) are a superset
/// of the codes any one of those fields matches, so a field's own test, in the WHERE, then decides.
fn searched(filter: &CodeFilter) -> Option<&str> {
    let text = filter.text.trim();
    if !text.is_empty() {
        return Some(text);
    }
    [&filter.code, &filter.description, &filter.creator, &filter.beneficiary]
        .into_iter()
        .flatten()
        .map(|t| t.as_str())
        .find(|t| !t.is_empty())
}

/// How a code's uses are ranked in a query: looked up for each code, or grouped beforehand as `u` (see
/// [`Reach::Used`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ranks {
    Each(DateTime<Utc>),
    Grouped,
    /// All alike: by key alone.
    Alike,
}

/// Appends ` ORDER BY ...` for the query's sort, ties broken by key.
fn push_order(sql: &mut Sql, query: &CodeQuery, ranks: Ranks) {
    let dir = if query.descending { " DESC" } else { " ASC" };
    match query.sort {
        SortField::Code => sql.push(" ORDER BY c.code").push(dir),
        SortField::Created => sql.push(" ORDER BY c.date_created").push(dir).push(", c.{code_key}").push(dir),
        SortField::Uses => sql.push(" ORDER BY c.number_of_uses").push(dir).push(", c.{code_key}").push(dir),
        // "never" is the latest expiry of all.
        SortField::Expires => push_expiry_order(sql.push(" ORDER BY "), query.descending),
        // Most urgent first when ascending. Without a share filter but with an expiry one, the share says nothing.
        SortField::Urgency => {
            if query.filter.near_limit.is_some() || query.filter.expiring_within.is_none() {
                let (dir, nulls) = if query.descending { (" ASC", " NULLS FIRST") } else { (" DESC", " NULLS LAST") };
                sql.push(" ORDER BY ").push(SHARE).push(dir).push(nulls).push(", ");
            } else {
                sql.push(" ORDER BY ");
            }
            push_expiry_order(sql, query.descending)
        }
        SortField::LastUsed | SortField::WindowUses => {
            sql.push(" ORDER BY ");
            match (ranks, query.sort) {
                (Ranks::Alike, _) => {
                    sql.push("c.{code_key}").push(dir);
                    return;
                }
                (Ranks::Grouped, _) => sql.push("u.n"),
                (Ranks::Each(_), SortField::LastUsed) => push_last_used(sql),
                (Ranks::Each(start), _) => push_window_uses(sql, start),
            };
            // A code never used is the least recent of all (a count is never NULL).
            let nulls = if query.descending { " NULLS LAST" } else { " NULLS FIRST" };
            sql.push(dir).push(nulls).push(", c.{code_key}").push(dir)
        }
    };
}

/// Appends `c`'s last use, NULL when it has none: the code's own column where codes keep it, else its latest usage
/// record.
fn push_last_used(sql: &mut Sql) -> &mut Sql {
    if sql.layout().keeps_last_used() {
        sql.push("c.last_used")
    } else {
        sql.push("(SELECT max(x.date_used){tz} FROM {usage} x WHERE x.{code_ref} = c.{code_key})")
    }
}

/// Appends the number of `c`'s usage records at or after `start`.
fn push_window_uses(sql: &mut Sql, start: DateTime<Utc>) -> &mut Sql {
    sql.push("(SELECT count(*) FROM {usage} x WHERE x.{code_ref} = c.{code_key} AND x.date_used >= ")
        .bind(start)
        .push(")")
}

/// Appends the expiry order (soonest first when ascending, "never" last) and the key to break ties.
fn push_expiry_order(sql: &mut Sql, descending: bool) -> &mut Sql {
    let (dir, nulls) = if descending { (" DESC", " NULLS FIRST") } else { (" ASC", " NULLS LAST") };
    sql.push("c.expiration_date").push(dir).push(nulls).push(", c.{code_key}").push(dir)
}

/// The page's statement; `emails` false: no user's email holds the searched text (see [`emails_hold`]).
fn page_sql(exec: &Exec<'_>, query: &CodeQuery, now: DateTime<Utc>, reach: Reach, emails: bool) -> Sql {
    let start = query.window.start(now);
    let each = Ranks::Each(start);
    let mut sql = exec.sql("SELECT ");
    sql.push(CODE_COLUMNS).push(EMAILS);
    // Only the page's rows are looked up.
    push_last_used(sql.push(", ")).push(" AS last_used, ");
    push_window_uses(&mut sql, start).push(" AS window_uses");
    sql.push(" FROM (SELECT c.{code_key} FROM ");
    match reach {
        Reach::Ordered | Reach::Search(_) | Reach::Unused { .. } => sql.push("{codes} c"),
        // The records of visible codes are visible: the codes' own test of visibility is enough.
        Reach::Used { since, strict } => {
            let rank = if query.sort == SortField::WindowUses { "count(*)" } else { "max(x.date_used)" };
            push_codes_used(&mut sql, rank, since, strict)
        }
        Reach::Scan => sql.push("{codes_scan} c"),
        // SQLite reads the first keys from the sort's covering index, then their rows. PostgreSQL gets the rows
        // themselves: given the keys to join, it misjudged how many codes the filter keeps and scanned them all.
        Reach::Probe if exec.backend() == Backend::Postgres => {
            sql.push("(SELECT c.* FROM {codes} c");
            push_order(&mut sql, query, each);
            sql.push(" LIMIT ").push_int(PROBE_ROWS).push(") c")
        }
        Reach::Probe => {
            sql.push("(SELECT c.{code_key} FROM {codes} c");
            push_order(&mut sql, query, each);
            sql.push(" LIMIT ").push_int(PROBE_ROWS).push(") p JOIN {codes} c ON c.{code_key} = p.{code_key}")
        }
    };
    if reach == Reach::Search(Search::Trigram) && !query.filter.text.trim().is_empty() {
        // Its candidates are exactly the plain text's matches; the filter's own test of the text would only
        // mislead the planner into reading every code. (A field's test stays: its candidates are more.)
        push_where_emails(&mut sql, &CodeFilter { text: String::new(), ..query.filter.clone() }, now, emails);
    } else {
        push_where_emails(&mut sql, &query.filter, now, emails);
    }
    if let Reach::Search(search) = &reach {
        push_candidates(&mut sql, searched(&query.filter).unwrap_or_default(), search, emails);
    }
    if let Reach::Unused { since } = reach {
        sql.push(" AND NOT EXISTS (SELECT 1 FROM {usage} x WHERE x.{code_ref} = c.{code_key}");
        if let Some(since) = since {
            sql.push(" AND x.date_used >= ").bind(since);
        }
        sql.push(")");
    }
    let ranks = match reach {
        Reach::Used { .. } => Ranks::Grouped,
        Reach::Unused { .. } => Ranks::Alike,
        _ => each,
    };
    push_order(&mut sql, query, ranks);
    sql.push(" LIMIT ").bind(query.limit.min(i64::MAX as u64) as i64);
    sql.push(" OFFSET ").bind(query.offset.min(i64::MAX as u64) as i64);
    sql.push(") w JOIN {codes} c ON c.{code_key} = w.{code_key}").push(USER_JOINS);
    push_order(&mut sql, query, each);
    sql
}

/// How the trigram index can narrow a search for `text`: `None` when it can't help (a text without a run of three
/// characters it can look up, one or two characters that are not all plain ASCII letters or marks, or a single
/// character that begins or ends too many different texts for a short list of candidates).
///
/// Where one or two characters stand in a code or description, they begin one of the index's trigrams, or stand in
/// its last two characters: the index lists its trigrams (the vocabulary of `0003_code_search_short.sql`), and the
/// last two characters of codes and descriptions have indexes of their own.
async fn search(mut exec: Exec<'_>, text: &str) -> Result<Option<Search>, sqlx::Error> {
    let chars: Vec<char> = text.chars().collect();
    match chars.len() {
        3.. => Ok(index_query(&chars).map(|query| Search::Index { query: Some(query), endings: Vec::new() })),
        1 | 2 if chars.iter().all(|&c| c.is_ascii() && joins_cases(c)) => {
            // The index's trigrams that begin with the characters (it keeps them in lower case).
            let start = text.to_ascii_lowercase();
            let sql = exec
                .sql("SELECT term FROM refcodes_code_search_terms WHERE term >= ")
                .and("", start.clone())
                .and(" AND term <= ", format!("{start}{}", char::MAX))
                .then(" LIMIT ")
                .and("", MAX_TERMS as i64 + 1);
            let terms: Vec<(String,)> = exec.reborrow().fetch_all(&sql).await?;
            if terms.len() > MAX_TERMS {
                return Ok(None);
            }
            let query =
                (!terms.is_empty()).then(|| terms.iter().map(|(t,)| phrase(t)).collect::<Vec<_>>().join(" OR "));
            let endings = match chars[..] {
                [c] => match endings_holding(exec, c).await? {
                    Some(endings) => endings,
                    None => return Ok(None),
                },
                _ => vec![start],
            };
            Ok(Some(Search::Index { query, endings }))
        }
        _ => Ok(None),
    }
}

/// Most trigrams a search of one or two characters looks up, and most endings of one character it gathers: past
/// them the character is common enough that its candidates would be most codes, read more slowly than by a scan.
const MAX_TERMS: usize = 256;
/// Most different endings (last two characters) of codes, and of descriptions, read to find those that hold a
/// character: each is a step along its index.
const MAX_ENDINGS: usize = 4096;

/// The different last two characters of codes and descriptions, as their indexes keep them (lower case, by
/// SQLite's ASCII `lower`), that hold `c` without case; `None` when there are too many to read or to look up.
/// Found by stepping from each value of the indexes to the next, which reads one entry per value.
async fn endings_holding(exec: Exec<'_>, c: char) -> Result<Option<Vec<String>>, sqlx::Error> {
    let mut sql = exec.sql("");
    for (i, ending) in ["lower(substr(code, -2))", "lower(substr(description, -2))"].into_iter().enumerate() {
        sql.push(if i == 0 { "SELECT * FROM (" } else { " UNION ALL SELECT * FROM (" });
        sql.push("WITH RECURSIVE e(v) AS (SELECT (SELECT min(").push(ending).push(") FROM phoenix_kit_referral_codes)");
        sql.push(" UNION ALL SELECT (SELECT min(").push(ending).push(") FROM phoenix_kit_referral_codes WHERE ");
        sql.push(ending).push(" > e.v) FROM e WHERE e.v IS NOT NULL LIMIT ").push_int(MAX_ENDINGS as i64 + 1);
        sql.push(") SELECT ").push_int(i as i64).push(", v FROM e)");
    }
    // Each walk ends on a NULL: the step past its last value.
    let values: Vec<(i64, String)> =
        exec.fetch_all::<(i64, Option<String>)>(&sql).await?.into_iter().filter_map(|(i, v)| Some((i, v?))).collect();
    for column in 0..2 {
        if values.iter().filter(|(i, _)| *i == column).count() > MAX_ENDINGS {
            return Ok(None);
        }
    }
    let same = |x: char| caseless::lower(x) == caseless::lower(c);
    let mut endings: Vec<String> = values.into_iter().map(|(_, v)| v).filter(|v| v.chars().any(same)).collect();
    endings.sort_unstable();
    endings.dedup();
    Ok((endings.len() <= MAX_TERMS).then_some(endings))
}

/// An FTS5 string: one term as a phrase, which the trigram tokenizer matches as a substring.
fn phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// Spellings of `i` looked up in the index: it joins `I` with `i` but not `İ` (see [`joins_cases`]).
const I_SPELLINGS: [char; 2] = ['i', 'İ'];
/// At most this many `i`s in the part looked up: each doubles the phrases asked for.
const MAX_IS: usize = 4;

/// An FTS5 query whose matches hold every code or description that contains `text` without case: the phrases
/// of the text's longest part that the index can look up (at least three characters), one for each spelling of
/// its `i`s. `None` when no part can be.
fn index_query(text: &[char]) -> Option<String> {
    let is_i = |c: char| caseless::lower(c) == 'i';
    // The longest window of characters the index joins the cases of, or `i`s, with at most MAX_IS `i`s.
    let (mut best, mut start, mut is) = (0..0, 0, 0);
    for (end, &c) in text.iter().enumerate() {
        if !joins_cases(c) && !is_i(c) {
            (start, is) = (end + 1, 0);
            continue;
        }
        is += usize::from(is_i(c));
        while is > MAX_IS {
            is -= usize::from(is_i(text[start]));
            start += 1;
        }
        if end + 1 - start > best.len() {
            best = start..end + 1;
        }
    }
    if best.len() < 3 {
        return None;
    }
    let mut spellings = vec![String::new()];
    for &c in &text[best] {
        let cases: &[char] = if is_i(c) { &I_SPELLINGS } else { std::slice::from_ref(&c) };
        spellings = spellings.iter().flat_map(|s| cases.iter().map(move |&c| format!("{s}{c}"))).collect();
    }
    Some(spellings.iter().map(|s| phrase(s)).collect::<Vec<_>>().join(" OR "))
}

/// Whether the index finds `c` in every case the filter does. Its tokenizer folds case by the Unicode case folding
/// of SQLite's day: it joins the cases of the letters Unicode had then (Latin, Greek, Cyrillic checked by
/// `a_filter_finds_every_case_of_its_letters`), knows none added since, and leaves `İ` apart from `i`.
fn joins_cases(c: char) -> bool {
    let cases = caseless::same_letter(c);
    // Latin to Cyrillic but Ϳ (Unicode 7, newer than the index's), and the symbols that fold into them: ẞ Ω K Å.
    let known = |case: char| matches!(case, '\0'..='\u{37e}' | '\u{380}'..='\u{4ff}' | '\u{1e9e}' | '\u{2126}' | '\u{212a}' | '\u{212b}');
    cases.len() == 1 || cases.iter().all(|&case| known(case) && caseless::lower(case) != 'i')
}

/// Appends ` AND c.id IN (...)`, the candidates of [`Reach::Search`] for `text`. SQLite: codes the trigram index
/// finds, codes with one of the search's endings, and codes of users whose email matches; a superset of the
/// codes the text filter matches (the index folds case as the filter does), so the filter's own test, already in
/// the WHERE, gives exactly its codes. PostgreSQL: the filter's own tests, one part at a time. `emails` false: no
/// user's email holds the text, so no user's codes are candidates.
fn push_candidates(sql: &mut Sql, text: &str, search: &Search, emails: bool) {
    let by_user = |parts: [&'static str; 2]| parts.into_iter().filter(move |_| emails);
    let Search::Index { query, endings } = search else {
        // Each part on its own, so that each can use its index (an OR of them all can't).
        sql.push(" AND c.{code_key} IN (SELECT x.{code_key} FROM {codes} x WHERE ");
        sql.push_contains("x.code", text).push(" OR ").push_contains("x.description", text);
        for column in by_user([
            " UNION SELECT x.{code_key} FROM {codes} x WHERE x.{created_by} IN (",
            " UNION SELECT x.{code_key} FROM {codes} x WHERE x.{beneficiary} IN (",
        ]) {
            sql.push(column).push("SELECT u.{user_key} FROM {users} u WHERE ");
            sql.push_contains("CAST(u.email AS TEXT)", text).push(")");
        }
        sql.push(")");
        return;
    };
    sql.push(" AND c.id IN (");
    let mut union = "";
    if let Some(query) = query {
        sql.push("SELECT rowid FROM refcodes_code_search WHERE refcodes_code_search MATCH ").bind(query.clone());
        union = " UNION ";
    }
    if !endings.is_empty() {
        for ending in [
            "SELECT id FROM phoenix_kit_referral_codes WHERE lower(substr(code, -2)) IN (",
            "SELECT id FROM phoenix_kit_referral_codes WHERE lower(substr(description, -2)) IN (",
        ] {
            sql.push(union).push(ending);
            for (i, value) in endings.iter().enumerate() {
                sql.push(if i == 0 { "" } else { ", " }).bind(value.clone());
            }
            sql.push(")");
            union = " UNION ";
        }
    }
    for user in by_user([
        "SELECT id FROM phoenix_kit_referral_codes WHERE created_by IN ",
        "SELECT id FROM phoenix_kit_referral_codes WHERE beneficiary IN ",
    ]) {
        sql.push(union).push(user).push("(SELECT u.id FROM phoenix_kit_users u WHERE ");
        sql.push_contains("u.email", text).push(")");
        union = " UNION ";
    }
    if union.is_empty() {
        // Nothing holds the text.
        sql.push("SELECT NULL WHERE 1 = 0");
    }
    sql.push(")");
}
