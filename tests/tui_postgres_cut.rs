//! The dashboard's `update` and its real effects runner on PostgreSQL, reached through a TCP proxy of this test's own
//! that can hold or cut the connection (never the shared server itself): a save sent while the connection hangs
//! and is then cut is reported failed with nothing typed lost, and once the connection is back the next refresh
//! works and the save, sent again, happens exactly once with all that was typed. Skipped without
//! `REFCODES_TEST_POSTGRES_URL`.

mod tui_common;
use tui_common as common;

use common::{admin, model_for, press, type_text};
use refcodes::Service;
use refcodes::service::{ManualClock, ServiceOptions};
use refcodes::tui::effects::Effects;
use refcodes::tui::model::{Field, Model};
use refcodes::tui::msg::{Cmd, Msg};
use refcodes::tui::update;
use sqlx::Connection;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::sync::watch;

/// What the proxy does with the bytes between the dashboard and the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Open,
    /// Held: nothing passes, as when a network hangs.
    Held,
    /// Every connection closed, and new ones refused.
    Cut,
}

/// A TCP proxy to `upstream` on a port of its own.
struct Proxy {
    addr: SocketAddr,
    link: watch::Sender<Link>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let (link, _) = watch::channel(Link::Open);
        let links = link.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *links.borrow() == Link::Cut {
                    continue;
                }
                let (upstream, state) = (upstream.clone(), links.subscribe());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else { return };
                    let ((client_read, client_write), (server_read, server_write)) =
                        (client.into_split(), server.into_split());
                    tokio::join!(
                        pipe(client_read, server_write, state.clone()),
                        pipe(server_read, client_write, state)
                    );
                });
            }
        });
        Proxy { addr, link }
    }

    fn set(&self, link: Link) {
        self.link.send_replace(link);
    }
}

/// Copies `from` to `to` while the link is open; ends (closing both) when it is cut or either side closes.
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut link: watch::Receiver<Link>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let now = *link.borrow_and_update();
        match now {
            Link::Cut => return,
            Link::Held => {
                if link.changed().await.is_err() {
                    return;
                }
                continue;
            }
            Link::Open => {}
        }
        tokio::select! {
            read = from.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => if to.write_all(&buf[..n]).await.is_err() { return },
            },
            changed = link.changed() => if changed.is_err() { return },
        }
    }
}

/// Runs `cmds` through the effects runner and feeds every answer to `update`, with the commands those give, until
/// none is pending. Timers (`WakeAfter`: debounce, the periodic refresh) are not run.
async fn settle(m: &mut Model, effects: &Effects, answers: &mut UnboundedReceiver<Msg>, cmds: Vec<Cmd>) {
    let mut pending = 0;
    let run = |cmds: Vec<Cmd>, pending: &mut usize| {
        for cmd in cmds.into_iter().filter(|c| !matches!(c, Cmd::WakeAfter { .. })) {
            effects.run(cmd);
            *pending += 1;
        }
    };
    run(cmds, &mut pending);
    while pending > 0 {
        let msg = tokio::time::timeout(Duration::from_secs(20), answers.recv())
            .await
            .expect("an answer within 20 s")
            .expect("the runner is alive");
        pending -= 1;
        run(update::update(m, msg), &mut pending);
    }
}

fn typed(m: &Model, field: Field) -> String {
    m.form.as_ref().expect("the form is open").input(field).expect("a text field").value().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_loses_nothing_typed_and_the_dashboard_recovers() {
    let admin_url = match std::env::var("REFCODES_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => {
            eprintln!("skipped: set REFCODES_TEST_POSTGRES_URL to run this on PostgreSQL");
            return;
        }
    };
    // A database of its own, reached through the proxy (the server's host and port taken from the URL).
    let name = format!("refcodes_cut_{}", std::process::id());
    let mut admin_conn = sqlx::PgConnection::connect(&admin_url).await.expect("connect");
    let drop_db = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop_db.clone())).execute(&mut admin_conn).await.expect("drop");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin_conn).await.unwrap();
    let (scheme, rest) = admin_url.split_once("://").expect("a URL");
    let (user, rest) = rest.rsplit_once('@').map_or(("postgres", rest), |(u, r)| (u, r));
    let host = rest.split(['/', '?']).next().expect("a host");
    let proxy = Proxy::start(host.to_string()).await;
    let url = format!("{scheme}://{user}@{}/{name}", proxy.addr);

    let service = Service::open(&url, 2, Duration::from_secs(5), ServiceOptions::default()).await.expect("open");
    let signed = service.sign_in_or_make_first_owner("owner@example.com").await.expect("the first Owner");
    // On the model's clock, so the form's default expiry (a week on) is in the future for the service too.
    let clock = std::sync::Arc::new(ManualClock::new(common::now()));
    let service = service.with_operator(signed.operator).with_clock(clock);
    let (tx, mut answers) = unbounded_channel();
    let effects = Effects::new(service.clone(), tx);
    let mut m = model_for(admin());
    let cmds = update::start(&mut m);
    settle(&mut m, &effects, &mut answers, cmds).await;
    assert_eq!(m.offline, None);

    // The operator types a new code while the network hangs, saves, and the connection is then cut.
    press(&mut m, "n");
    type_text(&mut m, "CUT-1");
    press(&mut m, "tab");
    type_text(&mut m, "typed during the outage");
    proxy.set(Link::Held);
    let save = press(&mut m, "ctrl-s");
    assert!(matches!(save.as_slice(), [Cmd::Create { save: 1, .. }]), "{save:?}");
    let cut = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        proxy.set(Link::Cut);
    };
    tokio::join!(settle(&mut m, &effects, &mut answers, save), cut);
    let form = m.form.as_ref().expect("the form stays open after a failed save");
    assert_eq!(form.saving, None);
    assert!(form.failure.is_some(), "the failure is shown");
    assert!(m.offline.is_some(), "the dashboard says it is offline");
    assert_eq!(
        (typed(&m, Field::Code), typed(&m, Field::Description)),
        ("CUT-1".into(), "typed during the outage".into())
    );

    // Still cut: a refresh fails too, and typing goes on in the form.
    settle(&mut m, &effects, &mut answers, vec![Cmd::LoadHeader]).await;
    assert!(m.offline.is_some());
    type_text(&mut m, ", and after");
    assert_eq!(typed(&m, Field::Description), "typed during the outage, and after");

    // Back: the save, sent again, goes through once, and the refresh after it works.
    proxy.set(Link::Open);
    let again = press(&mut m, "ctrl-s");
    assert!(matches!(again.as_slice(), [Cmd::Create { save: 2, .. }]), "{again:?}");
    settle(&mut m, &effects, &mut answers, again).await;
    assert!(
        m.form.is_none(),
        "saved: the form closes; {:?} {:?}",
        m.form.as_ref().and_then(|f| f.failure.clone()),
        m.offline
    );
    assert_eq!(m.offline, None, "the refresh after the save worked");
    assert_eq!(m.list.total, Some(1));
    let all = refcodes::domain::CodeFilter::default();
    assert_eq!(service.count(&all).await.expect("count"), 1, "created exactly once");
    let saved = service.get_code_by_string("CUT-1").await.expect("lookup").expect("saved");
    assert_eq!(saved.description, "typed during the outage, and after");

    service.close().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop_db)).execute(&mut admin_conn).await.expect("drop");
}
