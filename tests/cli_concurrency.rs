//! "The same holds for separate CLI processes": many `refcodes use` processes at once never pass a code's limit
//! and never count a user twice. On SQLite always; on PostgreSQL when `REFCODES_TEST_POSTGRES_URL` is set.

mod cli_common;
use cli_common as common;

use common::{DEFAULT_OPERATOR, Env, Out, PgDatabase};
use std::collections::HashSet;

const PROCESSES: usize = 60;
const MAX_USES: usize = 20;
const SAME_USER: usize = 10;

/// Starts one `refcodes --json use CODE --user ID` per user, all before waiting for any, and collects them.
fn use_at_once(env: &Env, code: &str, users: &[i64]) -> Vec<(i64, Out)> {
    let children: Vec<(i64, std::process::Child)> =
        users.iter().map(|id| (*id, env.spawn(&["--json", "use", code, "--user", &id.to_string()]))).collect();
    children
        .into_iter()
        .map(|(id, child)| (id, Out::of(child.wait_with_output().expect("wait for refcodes"), &["use", code])))
        .collect()
}

/// `PROCESSES` users besides the operator, made by the demo (which also enables the system).
fn crowd(env: &Env) -> Vec<i64> {
    // The first run (schema, first Owner) happens before the crowd arrives.
    env.ok(&["migrate"]);
    env.json(&["demo", "--users", &PROCESSES.to_string(), "--codes", "0", "--days", "1"]);
    let users = env.json(&["users", "list", "--limit", "1000"]);
    let ids: Vec<i64> = users
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["email"] != DEFAULT_OPERATOR)
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), PROCESSES);
    ids
}

fn the_limit_holds_for_separate_processes(env: &Env) {
    let users = crowd(env);
    env.create_code("RUSH", &["--max-uses", &MAX_USES.to_string(), "--expires", "never"]);

    let outs = use_at_once(env, "RUSH", &users);
    let mut winners = HashSet::new();
    let mut refused = 0;
    for (id, out) in &outs {
        match out.code {
            0 => {
                let used = out.json();
                assert_eq!(used["used_by"], *id, "{out:?}");
                assert_eq!(used["code"], "RUSH");
                winners.insert(*id);
            }
            1 => {
                assert_eq!(out.json()["error"], "usage_limit_reached", "{out:?}");
                refused += 1;
            }
            _ => panic!("neither a use nor a refusal: {out:?}"),
        }
    }
    assert_eq!(winners.len(), MAX_USES, "exactly max_uses processes succeed");
    assert_eq!(refused, PROCESSES - MAX_USES, "every other process is refused with usage_limit_reached");

    let shown = env.show("RUSH");
    assert_eq!(shown["code"]["number_of_uses"], MAX_USES);
    assert_eq!(shown["code"]["state"], "limit_reached");
    assert_eq!(shown["stats"]["total_uses"], MAX_USES);
    assert_eq!(shown["stats"]["unique_users"], MAX_USES);
    let recorded: HashSet<i64> =
        shown["usage"].as_array().unwrap().iter().map(|u| u["used_by"].as_i64().unwrap()).collect();
    assert_eq!(shown["usage"].as_array().unwrap().len(), MAX_USES, "one usage record per success");
    assert_eq!(recorded, winners, "the usage records are the successful processes' users");
    assert_eq!(env.stats()["total_usage"], MAX_USES);
}

fn one_user_counts_once_however_many_processes(env: &Env) {
    env.ok(&["settings", "enable"]);
    let user = env.add_user("eager@example.com", "user");
    env.create_code("SOLO", &["--max-uses", "100", "--expires", "never"]);

    let outs = use_at_once(env, "SOLO", &[user; SAME_USER]);
    let wins = outs.iter().filter(|(_, out)| out.code == 0).count();
    for (_, out) in outs.iter().filter(|(_, out)| out.code != 0) {
        assert_eq!(out.code, 1, "{out:?}");
        assert_eq!(out.json()["error"], "already_used", "{out:?}");
    }
    assert_eq!(wins, 1, "exactly one process uses the code for the user");

    let shown = env.show("SOLO");
    assert_eq!(shown["code"]["number_of_uses"], 1, "refused processes took no use");
    assert_eq!(shown["usage"].as_array().unwrap().len(), 1);
    assert_eq!(shown["usage"][0]["used_by"], user);
}

#[test]
fn sqlite_the_limit_holds_for_separate_processes() {
    the_limit_holds_for_separate_processes(&Env::new());
}

#[test]
fn sqlite_one_user_counts_once_however_many_processes() {
    one_user_counts_once_however_many_processes(&Env::new());
}

#[test]
fn postgres_the_limit_holds_for_separate_processes() {
    let Some(db) = PgDatabase::create("postgres_the_limit_holds_for_separate_processes") else { return };
    the_limit_holds_for_separate_processes(&Env::with_url(&db.url).owned());
}

#[test]
fn postgres_one_user_counts_once_however_many_processes() {
    let Some(db) = PgDatabase::create("postgres_one_user_counts_once_however_many_processes") else { return };
    one_user_counts_once_however_many_processes(&Env::with_url(&db.url).owned());
}

/// Each command holds one PostgreSQL connection at most: as many commands at once as the database admits
/// connections all succeed (with three connections each, two thirds of them were refused).
#[test]
fn postgres_commands_at_once_need_one_connection_each() {
    let Some(db) = PgDatabase::create("postgres_commands_at_once_need_one_connection_each") else { return };
    let env = Env::with_url(&db.url).owned();
    env.create_code("SHARED", &[]);
    let name = db.url.rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
    env.sql(&format!("ALTER DATABASE {name} CONNECTION LIMIT {PROCESSES}"));
    let children: Vec<_> = (0..PROCESSES).map(|_| env.spawn(&["--json", "codes", "show", "SHARED"])).collect();
    for child in children {
        let out = Out::of(child.wait_with_output().expect("wait for refcodes"), &["codes", "show"]).success();
        assert_eq!(out.json()["code"]["code"], "SHARED");
    }
}
