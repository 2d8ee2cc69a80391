//! A `refcodes` process killed with SIGKILL in the middle of bulk work leaves all of it or none of it.

mod cli_common;
use cli_common as common;

use common::{Env, PgDatabase};
use std::time::Duration;

const BIG: usize = 100_000;

/// Starts `codes generate 100000`, kills it (-9) part way, and checks the codes are all there or none are.
fn a_killed_generate_leaves_all_or_nothing(env: &Env) {
    env.create_code("BEFORE", &[]);
    let mut child =
        env.spawn(&["--json", "codes", "generate", &BIG.to_string(), "--description", "bulk", "--length", "12"]);
    wait_until_writing(env, &mut child);
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let total = env.json(&["codes", "list", "--limit", "1"])["total"].as_u64().expect("total");
    eprintln!("after the kill: {total} codes");
    assert!(total == 1 || total == 1 + BIG as u64, "{total} codes: a killed generate left part of its work");
    // And the database is usable: a write goes through.
    env.create_code("AFTER", &[]);
}

/// Waits until `child` is inside its write transaction (or has ended): on PostgreSQL its session holds a
/// transaction id, which a session gets at its first write; on SQLite the write lock is taken.
fn wait_until_writing(env: &Env, child: &mut std::process::Child) {
    let url = env.url().to_string();
    common::block_on(async move {
        use sqlx::Connection;
        loop {
            if child.try_wait().expect("child status").is_some() {
                return;
            }
            let writing = if url.starts_with("postgres") {
                let mut conn = sqlx::PgConnection::connect(&url).await.expect("connect");
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND application_name = 'refcodes' AND backend_xid IS NOT NULL",
                )
                .fetch_one(&mut conn)
                .await
                .expect("pg_stat_activity");
                conn.close().await.ok();
                n > 0
            } else {
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("connect");
                let busy = sqlx::raw_sql("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE").execute(&mut conn).await.is_err();
                if !busy {
                    sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.expect("rollback");
                }
                conn.close().await.ok();
                busy
            };
            if writing {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
}

#[test]
fn sqlite_a_killed_generate_leaves_all_or_nothing() {
    a_killed_generate_leaves_all_or_nothing(&Env::new());
}

#[test]
fn postgres_a_killed_generate_leaves_all_or_nothing() {
    let Some(db) = PgDatabase::create("postgres_a_killed_generate_leaves_all_or_nothing") else { return };
    a_killed_generate_leaves_all_or_nothing(&Env::with_url(&db.url).owned());
}
