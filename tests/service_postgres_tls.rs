//! PostgreSQL over TLS: `sslmode` in the URL is honoured (servers of managed databases often require it). Runs when
//! `REFCODES_TEST_POSTGRES_URL` names a server that offers TLS (Debian's PostgreSQL does, with a self-signed
//! certificate); skipped otherwise.

#[macro_use]
mod common;

use common::*;
use refcodes::Service;
use refcodes::service::ServiceOptions;
use std::time::Duration;

/// `url` with one more query parameter.
fn with_param(url: &str, param: &str) -> String {
    format!("{url}{}{param}", if url.contains('?') { '&' } else { '?' })
}

#[tokio::test]
async fn sslmode_require_encrypts_and_verify_full_checks_the_certificate() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipped: {POSTGRES_ENV} is not set");
        return;
    };
    let open =
        |url: String| async move { Service::open(&url, 2, Duration::from_secs(5), ServiceOptions::default()).await };
    let plain = open(db.url.clone()).await.expect("the server answers without TLS");
    plain.close().await;
    if db.count("SELECT count(*) FROM pg_stat_ssl WHERE ssl").await == 0 {
        eprintln!("skipped: this server offers no TLS");
        return;
    }

    let service = open(with_param(&db.url, "sslmode=require")).await.expect("TLS with sslmode=require");
    assert!(service.get_config().await.is_ok(), "queries run over TLS");
    service.close().await;

    // The server's certificate is self-signed here, so a verifying client must refuse it.
    let refused = open(with_param(&db.url, "sslmode=verify-full")).await;
    let message = refused.expect_err("an unverifiable certificate is refused").to_string();
    assert!(message.to_lowercase().contains("certificate"), "{message}");
}
