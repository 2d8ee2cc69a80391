//! The test harness itself: databases are fresh, and gone afterwards.

mod common;

use common::*;
use sqlx::{AssertSqlSafe, Connection};

#[test]
fn database_urls_keep_everything_but_the_database() {
    assert_eq!(
        database_url("postgres://postgres@127.0.0.1:5432/postgres", "refcodes_t_1"),
        "postgres://postgres@127.0.0.1:5432/refcodes_t_1"
    );
    assert_eq!(database_url("postgres://u:p@db/app?sslmode=disable", "t"), "postgres://u:p@db/t?sslmode=disable");
    assert_eq!(database_url("postgresql://db:5433", "t"), "postgresql://db:5433/t");
    assert_eq!(database_url("postgres://db:5433?application_name=x", "t"), "postgres://db:5433/t?application_name=x");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_is_removed_with_its_test_db() {
    let db = TestDb::sqlite().await;
    let h = db.harness().await;
    h.code("HELLO", 5).await;
    let path = std::path::PathBuf::from(db.url.trim_start_matches("sqlite://"));
    assert!(path.exists());
    h.owner.close().await;
    drop(h);
    drop(db);
    assert!(!path.exists(), "{} should be gone", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_is_fresh_and_dropped_with_its_test_db() {
    let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
        eprintln!("skipped a_postgres_database_is_fresh_and_dropped_with_its_test_db: {POSTGRES_ENV} is not set");
        return;
    };
    let exists = |name: String| {
        let admin_url = admin_url.clone();
        async move {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            let sql = format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'");
            let (n,): (i64,) = sqlx::query_as(AssertSqlSafe(sql)).fetch_one(&mut conn).await.unwrap();
            conn.close().await.ok();
            n == 1
        }
    };
    let db = TestDb::postgres().await.expect("configured");
    let name = db.url.rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
    assert!(name.starts_with("refcodes_t_") && name.len() == "refcodes_t_".len() + 16, "{name}");
    assert!(exists(name.clone()).await);
    let h = db.harness().await;
    assert_eq!(h.owner.list_codes().await.unwrap().len(), 0, "a fresh database");
    h.code("HELLO", 5).await;
    // The service still holds open connections: the drop must not wait for them.
    drop(db);
    finish_pending_drops();
    assert!(!exists(name).await, "the database is dropped with its TestDb");
    drop(h);
}
