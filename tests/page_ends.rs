//! The dashboard's page reads: a window read from the nearer end of the list, a text filter's window found by a
//! probe of the first rows, a trigram search or a scan of the table, and the text filter that reaches the users'
//! emails by subqueries, give exactly the rows of the plain definitions. (The whole lists, asked with a limit
//! deeper than any probe or scan, walk the sort's index.) On SQLite, and on PostgreSQL too when
//! `REFCODES_TEST_POSTGRES_URL` names a server (each test makes its own database there and drops it).

use refcodes::Service;
use refcodes::domain::{CodeFilter, CodeQuery, CodeRow, CodeStatus, SortField};
use refcodes::service::{DemoInput, ServiceOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::future::Future;
use std::time::Duration;

/// Runs `check` on a seeded SQLite database, and on a seeded PostgreSQL one when the environment names a server.
async fn on_each_database<F, Fut>(name: &str, codes: usize, check: F)
where
    F: Fn(Service) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("a temporary directory");
    check(seeded(&format!("sqlite://{}", dir.path().join("pages.db").display()), codes).await).await;
    let Some(admin_url) = std::env::var("REFCODES_TEST_POSTGRES_URL").ok().filter(|u| !u.trim().is_empty()) else {
        eprintln!("{name}: PostgreSQL skipped, REFCODES_TEST_POSTGRES_URL is not set");
        return;
    };
    let db = format!("refcodes_pages_{}_{name}", std::process::id());
    let (base, query) = admin_url.split_once('?').map_or((admin_url.as_str(), ""), |(b, q)| (b, q));
    let (server, _) = base.rsplit_once('/').expect("a PostgreSQL URL with a database");
    let url = if query.is_empty() { format!("{server}/{db}") } else { format!("{server}/{db}?{query}") };
    let mut admin = PgConnection::connect(&admin_url).await.expect("the PostgreSQL server");
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .ok();
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{db}\""))).execute(&mut admin).await.expect("a database");
    let service = seeded(&url, codes).await;
    check(service.clone()).await;
    service.close().await;
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")))
        .execute(&mut admin)
        .await
        .expect("the database is dropped");
}

async fn seeded(url: &str, codes: usize) -> Service {
    let service = Service::open(url, 4, Duration::from_secs(5), ServiceOptions::default()).await.expect("opens");
    let signed = service.sign_in_or_make_first_owner("pages@example.com").await.expect("signs in");
    let service = service.with_operator(signed.operator);
    service.demo(&DemoInput { users: 30, codes, days: 30 }).await.expect("demo data");
    service
}

fn ids(rows: &[CodeRow]) -> Vec<i64> {
    rows.iter().map(|r| r.code.id.0.int().expect("integer ids here")).collect()
}

/// More usage records than the first pages by last use look through (4,096): those pages come from the newest
/// records, the others from every code, and all agree with the whole list. (The demo's records are drawn at random:
/// 1,000 codes once made only 4,073; 1,500 make about 6,000.)
#[tokio::test]
async fn first_pages_by_last_use_from_the_newest_records_are_the_lists() {
    on_each_database("recent", 1500, |service| async move {
        let records: i64 = service.get_system_stats().await.expect("stats").total_usage;
        assert!(records > 4096, "the demo made only {records} usage records");
        for filter in [CodeFilter::default(), CodeFilter::parse("status:active").unwrap()] {
            let whole = CodeQuery {
                filter,
                sort: SortField::LastUsed,
                descending: true,
                limit: 20_000,
                ..CodeQuery::default()
            };
            let all = ids(&service.page(&whole).await.expect("all rows"));
            for offset in (0..700).step_by(97) {
                let query = CodeQuery { offset, limit: 64, ..whole.clone() };
                let expected: Vec<i64> = all.iter().copied().skip(offset as usize).take(64).collect();
                assert_eq!(ids(&service.page(&query).await.expect("a page")), expected, "{query:?}");
            }
        }
    })
    .await;
}

/// Filters that few of the first 4,096 codes of the sort's order match, but not none: on SQLite an expiry filter
/// that its index says is thin skips the probe of those codes and reads its matches from the index, and a
/// one-character text, found too few times there, takes its candidates from the trigram index and the endings'
/// indexes; the windows are the lists' all the same.
#[tokio::test]
async fn windows_of_filters_thin_among_the_first_codes_are_the_lists() {
    on_each_database("thin", 5000, |service| async move {
        let order = CodeQuery { limit: 20_000, ..CodeQuery::default() };
        let first: std::collections::HashSet<i64> =
            ids(&service.page(&order).await.expect("all rows")).into_iter().take(4096).collect();
        let mut thin = Vec::new();
        let texts = ["expires:<1d", "expires:<2d", "expires:<4d", "expires:<7d", "status:active expires:<3d", "q", "j"];
        for text in texts {
            let whole = CodeQuery { filter: CodeFilter::parse(text).expect("a filter"), ..order.clone() };
            let all = ids(&service.page(&whole).await.expect("all rows"));
            let among_first = all.iter().filter(|id| first.contains(id)).count();
            if (1..64).contains(&among_first) {
                thin.push(text);
            }
            for offset in [0, 1, 17, 63, 64, 100, 130] {
                for limit in [1, 41, 64] {
                    let query = CodeQuery { offset, limit, ..whole.clone() };
                    let expected: Vec<i64> = all.iter().copied().skip(offset as usize).take(limit as usize).collect();
                    assert_eq!(ids(&service.page(&query).await.expect("a window")), expected, "{text}: {query:?}");
                }
            }
        }
        assert!(!thin.is_empty(), "no filter matched between 1 and 63 of the first codes: the test misses its case");
    })
    .await;
}

#[tokio::test]
async fn pages_read_from_the_end_are_the_pages_read_from_the_start() {
    on_each_database("ends", 400, pages_from_both_ends).await;
}

async fn pages_from_both_ends(service: Service) {
    let filters = [
        CodeFilter::default(),
        CodeFilter { text: "a".into(), status: None, ..Default::default() },
        CodeFilter { text: String::new(), status: Some(CodeStatus::Active), ..Default::default() },
        CodeFilter { text: "e".into(), status: Some(CodeStatus::Expired), ..Default::default() },
    ];
    for filter in filters {
        let total = service.count(&filter).await.expect("count");
        assert!(total > 10, "the filter {filter:?} should match a fair number of codes, not {total}");
        for sort in SortField::ALL {
            for descending in [false, true] {
                let whole = CodeQuery {
                    filter: filter.clone(),
                    sort,
                    descending,
                    offset: 0,
                    limit: 20_000,
                    ..CodeQuery::default()
                };
                let all = ids(&service.page(&whole).await.expect("all rows"));
                assert_eq!(all.len() as i64, total);
                let mut offsets: Vec<u64> = (0..total as u64 + 70).step_by(23).collect();
                offsets.extend([total as u64 - 1, (total as u64).saturating_sub(64), total as u64]);
                for offset in offsets {
                    for limit in [1, 41, 64] {
                        let query = CodeQuery { offset, limit, ..whole.clone() };
                        let near = ids(&service.page_with_known_total(&query, total).await.expect("near rows"));
                        let plain = ids(&service.page(&query).await.expect("plain rows"));
                        let expected: Vec<i64> =
                            all.iter().copied().skip(offset as usize).take(limit as usize).collect();
                        assert_eq!(plain, expected, "{query:?}");
                        assert_eq!(near, expected, "{query:?} read from the nearer end of {total}");
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn the_text_filter_matches_codes_descriptions_and_both_emails() {
    on_each_database("filter", 400, text_filter).await;
}

async fn text_filter(service: Service) {
    let everything = CodeQuery { limit: 20_000, ..CodeQuery::default() };
    let all = service.page(&everything).await.expect("all rows");
    let contains = |field: Option<&str>, text: &str| field.is_some_and(|f| f.to_lowercase().contains(text));
    // Texts that hit each place a filter looks: a campaign word, an email part, a code's random part.
    let some_code = all[all.len() / 2].code.code.clone();
    let random_part = some_code.rsplit('-').next().unwrap_or(&some_code).to_string();
    let two_of_it: String = random_part.chars().skip(2).take(2).collect();
    let beneficiary = all.iter().find_map(|r| r.beneficiary_email.clone()).expect("a code with a beneficiary");
    let creator = all.iter().find_map(|r| r.created_by_email.clone()).expect("a code with a creator");
    for text in [
        "Beta".to_string(),
        "lovelace".to_string(),
        random_part,
        two_of_it,
        "ov".to_string(),
        "a-".to_string(),
        "%_".to_string(),
        beneficiary.clone(),
        creator.split('@').next().unwrap_or("").to_string(),
        "pages@".to_string(),
        "ove".to_string(),
        "\"%_".to_string(),
        "no such thing".to_string(),
        // One character: in the first codes, or else found by the trigrams that begin with it and the endings
        // that hold it.
        "e".to_string(),
        "Q".to_string(),
        "z".to_string(),
        "9".to_string(),
        "-".to_string(),
        "_".to_string(),
    ] {
        let t = text.to_lowercase();
        let in_order: Vec<i64> = all
            .iter()
            .filter(|r| {
                contains(Some(&r.code.code), &t)
                    || contains(Some(&r.code.description), &t)
                    || contains(r.created_by_email.as_deref(), &t)
                    || contains(r.beneficiary_email.as_deref(), &t)
            })
            .map(|r| r.code.id.0.int().expect("integer ids here"))
            .collect();
        let filter = CodeFilter { text: text.clone(), status: None, ..Default::default() };
        let query = CodeQuery { filter: filter.clone(), ..everything.clone() };
        let found = ids(&service.page(&query).await.expect("filtered rows"));
        assert_eq!(found, in_order, "filter {text:?}");
        assert_eq!(service.count(&filter).await.expect("count"), in_order.len() as i64, "count of {text:?}");
        // Windows: found by the probe of the first codes, by the trigram search, or by a scan of the table.
        for offset in (0..in_order.len() as u64 + 64).step_by(17) {
            for limit in [1, 5, 64] {
                let window = CodeQuery { offset, limit, ..query.clone() };
                let expected: Vec<i64> = in_order.iter().copied().skip(offset as usize).take(limit as usize).collect();
                assert_eq!(ids(&service.page(&window).await.expect("a window")), expected, "{window:?}");
            }
        }
    }
}

#[tokio::test]
async fn the_search_index_follows_created_changed_and_deleted_codes() {
    on_each_database("search", 400, search_follows_writes).await;
}

async fn search_follows_writes(service: Service) {
    use refcodes::domain::Selection;
    use refcodes::domain::draft::{CodeChanges, CodeInput};
    // Found by the trigram search: the probe of the first codes holds fewer than a window of them.
    let found = |text: &str| {
        let query = CodeQuery {
            filter: CodeFilter { text: text.into(), status: None, ..Default::default() },
            ..CodeQuery::default()
        };
        let service = service.clone();
        async move { service.page(&query).await.expect("a window").into_iter().map(|r| r.code.code).collect::<Vec<_>>() }
    };
    // Random codes have no 0 (nor O, 1, I), so no demo code holds these texts.
    let input = CodeInput { code: Some("TRIGRAM-ZQ0X".into()), description: "Search me".into(), ..Default::default() };
    let code = service.create_code(&input).await.expect("created");
    assert_eq!(found("zq0x").await, ["TRIGRAM-ZQ0X"]);
    assert_eq!(found("search m").await, ["TRIGRAM-ZQ0X"]);
    let changes =
        CodeChanges { code: Some("TRIGRAM-WV0Y".into()), description: Some("Moved".into()), ..Default::default() };
    let code = service.update_code(&code, &changes).await.expect("changed");
    assert!(found("zq0x").await.is_empty());
    assert!(found("search m").await.is_empty());
    assert_eq!(found("WV0Y").await, ["TRIGRAM-WV0Y"]);
    service.delete_codes(&Selection::Ids(vec![code.id])).await.expect("deleted");
    assert!(found("wv0y").await.is_empty());

    // Two characters: where a trigram of the index starts with them, and where they end a code or description
    // (no trigram starts there), also a description of just those two.
    let input = CodeInput { code: Some("TWO-0ZZ0".into()), description: "Q0".into(), ..Default::default() };
    let code = service.create_code(&input).await.expect("created");
    assert_eq!(found("0z").await, ["TWO-0ZZ0"], "starts a trigram");
    assert_eq!(found("Z0").await, ["TWO-0ZZ0"], "ends the code");
    assert_eq!(found("q0").await, ["TWO-0ZZ0"], "is the whole description");
    let changes = CodeChanges { description: Some("W0".into()), ..Default::default() };
    service.update_code(&code, &changes).await.expect("changed");
    assert!(found("q0").await.is_empty());
    assert_eq!(found("w0").await, ["TWO-0ZZ0"]);

    // One character no demo code holds: where it begins a trigram, stands last but one or last, or is the whole
    // description; found again after changes, gone after a delete.
    let mut made = Vec::new();
    for (code, description) in [("ONE_MIDDLE", "x"), ("ONE-LAST_Y", "x"), ("ONE-DESC", "ends _"), ("ONE-ALONE", "_")] {
        let input = CodeInput { code: Some(code.into()), description: description.into(), ..Default::default() };
        made.push(service.create_code(&input).await.expect("created"));
    }
    let mut expected: Vec<String> = made.iter().map(|c| c.code.clone()).collect();
    expected.reverse();
    assert_eq!(found("_").await, expected, "newest first");
    let changes = CodeChanges { description: Some("none here".into()), ..Default::default() };
    service.update_code(&made[3], &changes).await.expect("changed");
    expected.remove(0);
    assert_eq!(found("_").await, expected);
    service.delete_codes(&Selection::Ids(made.iter().map(|c| c.id).collect())).await.expect("deleted");
    assert!(found("_").await.is_empty());
}
