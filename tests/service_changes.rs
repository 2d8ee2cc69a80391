//! The change mark a dashboard at rest watches instead of reloading: on every backend it stays put while nobody
//! writes, however much is read, and moves after each kind of write by anyone (refcodes, the registration flow,
//! the application's own SQL), as seen from another service.

#[macro_use]
mod common;

use common::*;
use refcodes::Service;
use refcodes::domain::{CodeQuery, Selection};
use std::time::Duration;

/// PostgreSQL's server processes report their row counts within about a second of a commit, at most about ten
/// seconds when they reported just before.
const REPORTED_WITHIN: Duration = Duration::from_secs(11);

/// The mark once it has not moved for [`REPORTED_WITHIN`]: the harness's own setup may still be being reported.
async fn settled(watcher: &Service) -> String {
    let mut mark = watcher.change_mark().await.unwrap();
    let mut since = std::time::Instant::now();
    let start = since;
    while since.elapsed() < REPORTED_WITHIN {
        assert!(start.elapsed() < REPORTED_WITHIN * 4, "the mark kept moving with nobody writing: {mark}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let again = watcher.change_mark().await.unwrap();
        if again != mark {
            (mark, since) = (again, std::time::Instant::now());
        }
    }
    mark
}

/// Waits for the mark to move from `before`; returns the new one.
async fn moved(watcher: &Service, before: &str, what: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        let mark = watcher.change_mark().await.unwrap();
        if mark != before {
            return mark;
        }
        assert!(start.elapsed() < REPORTED_WITHIN, "the mark did not move after {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

every!(the_change_mark_moves_with_writes_and_only_then, check_the_change_mark_moves_with_writes_and_only_then);
async fn check_the_change_mark_moves_with_writes_and_only_then(db: &TestDb) {
    let h = db.harness().await;
    h.enable_system().await;
    let code = h.code("WATCHED", 10).await;
    let user = h.add_user("reader@example.com", None).await;
    // A dashboard of its own, as another admin's would be.
    let watcher = db.read_only("owner@example.com").await;

    let mark = settled(&watcher).await;
    for _ in 0..3 {
        h.owner.page_with_total(&CodeQuery::default()).await.unwrap();
        h.owner.get_system_stats().await.unwrap();
        watcher.get_code(code.id).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(watcher.change_mark().await.unwrap(), mark, "reads moved the mark");

    h.base.use_code("WATCHED", user.id).await.unwrap();
    let mark = moved(&watcher, &mark, "a redemption").await;
    h.owner.set_status(&Selection::Ids(vec![code.id]), false).await.unwrap();
    let mark = moved(&watcher, &mark, "a deactivation").await;
    db.execute(
        "UPDATE phoenix_kit_referral_codes SET description = 'edited by the application' WHERE code = 'WATCHED'",
    )
    .await;
    moved(&watcher, &mark, "the application's own UPDATE").await;
}
