//! Concurrency against the reference model: clients redeem overlapping codes at once on a real backend, and what
//! they were told, the counters and the usage rows must be explainable by some serial order of the same calls in
//! the model (`tests/model/`): exactly N winners for a limit of N, never two uses by one user, every refusal one the
//! model gives at its place in that order.

#[macro_use]
mod common;
mod model;

use common::{Harness, OWNER_EMAIL, TestDb, t0};
use model::{Actor, Draws, Model, Refused};
use refcodes::domain::draft::CodeInput;
use refcodes::domain::{ErrorKind, UserId};
use std::sync::Arc;

/// Codes and their limits: one use, two, three.
const CODES: [(&str, i64); 3] = [("RACE-1", 1), ("RACE-2", 2), ("RACE-3", 3)];
const USERS: usize = 6;
const CLIENTS: usize = 8;
const CALLS: usize = 6;

/// One redemption a client asked for, and what it was told.
#[derive(Debug, Clone)]
struct Call {
    code: usize,
    user: usize,
    told: Result<(), ErrorKind>,
}

/// A seeded choice of (code, user) for each call of each client: small pools, so clients collide.
fn plan(seed: u64) -> Vec<Vec<(usize, usize)>> {
    let mut state = seed;
    let mut next = |n: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) % n as u64) as usize
    };
    (0..CLIENTS).map(|_| (0..CALLS).map(|_| (next(CODES.len()), next(USERS))).collect()).collect()
}

/// Runs one round on the backend: fresh codes, then every client's calls at once.
async fn round(h: &Harness, users: &[UserId], seed: u64) -> Vec<Call> {
    let db_codes: Vec<String> = CODES.iter().map(|(c, _)| format!("{c}-{seed}")).collect();
    for ((_, limit), code) in CODES.iter().zip(&db_codes) {
        h.forever_code(code, *limit).await;
    }
    let service = Arc::new(h.base.clone());
    let codes = Arc::new(db_codes);
    let users = Arc::new(users.to_vec());
    let tasks: Vec<_> = plan(seed)
        .into_iter()
        .map(|calls| {
            let (service, codes, users) = (service.clone(), codes.clone(), users.clone());
            tokio::spawn(async move {
                let mut told = Vec::new();
                for (code, user) in calls {
                    let result = service.use_code(&codes[code], users[user]).await;
                    let result = result.map(drop).map_err(|e| e.kind().unwrap_or_else(|| panic!("a failure: {e}")));
                    told.push(Call { code, user, told: result });
                }
                told
            })
        })
        .collect();
    let mut calls = Vec::new();
    for task in tasks {
        calls.extend(task.await.expect("a client panicked"));
    }
    calls
}

/// A serial order of `calls` in which the model tells each what the backend told it, found greedily: a refusal as
/// soon as the model gives it, else a win, preferring users whose `already_used` refusals still wait for it.
fn explain(seed: u64, calls: &[Call]) -> Result<Model, String> {
    let mut model = Model::new(t0(), false, OWNER_EMAIL);
    let owner = Actor::As(OWNER_EMAIL.into());
    model.set_setting(&owner, refcodes::domain::settings::SettingKey::Enabled, "on").expect("enable");
    let users: Vec<_> = (0..USERS).map(|i| model.app_add_user(&format!("race{i}@example.com"), None)).collect();
    let codes: Vec<String> = CODES.iter().map(|(c, _)| format!("{c}-{seed}")).collect();
    for ((_, limit), code) in CODES.iter().zip(&codes) {
        let input = CodeInput {
            code: Some(code.clone()),
            description: "race".into(),
            max_uses: Some(*limit),
            expiration: Some(refcodes::domain::expiry::Expiration::Never),
            ..CodeInput::default()
        };
        model.create_code(&owner, &input, None, &mut Draws::seeded(seed)).expect("create");
    }
    let mut pending: Vec<&Call> = calls.iter().collect();
    while !pending.is_empty() {
        let says = |model: &Model, c: &Call| {
            let mut trial = model.clone();
            trial.use_code(&Actor::Nobody, &codes[c.code], users[c.user]).map(drop).map_err(|r: Refused| r.kind)
        };
        let refusal = pending.iter().position(|c| c.told.is_err() && says(&model, c) == c.told);
        let waits = |c: &Call| {
            pending.iter().any(|p| p.code == c.code && p.user == c.user && p.told == Err(ErrorKind::AlreadyUsed))
        };
        let win = || {
            let wins: Vec<usize> =
                (0..pending.len()).filter(|i| pending[*i].told.is_ok() && says(&model, pending[*i]).is_ok()).collect();
            wins.iter().copied().find(|i| waits(pending[*i])).or(wins.first().copied())
        };
        let Some(next) = refusal.or_else(win) else {
            return Err(format!("no serial order explains these: {pending:?}"));
        };
        let call = pending.remove(next);
        let _ = model.use_code(&Actor::Nobody, &codes[call.code], users[call.user]);
    }
    Ok(model)
}

async fn redemptions_are_linearizable(db: &TestDb) {
    let h = db.harness_with(CLIENTS as u32).await;
    h.enable_system().await;
    let users: Vec<UserId> = h.add_users("race", USERS).await.iter().map(|u| u.id).collect();
    // Rounds leave their usage behind (each round has codes of its own): the rows add up.
    let mut rows = 0;
    for seed in 0..4 {
        let calls = round(&h, &users, seed).await;
        let model = explain(seed, &calls).unwrap_or_else(|e| panic!("round {seed}: {e}"));
        model.check_invariants();
        for (i, (code, limit)) in CODES.iter().enumerate() {
            let winners = calls.iter().filter(|c| c.code == i && c.told.is_ok()).count() as i64;
            let asking: std::collections::HashSet<usize> =
                calls.iter().filter(|c| c.code == i).map(|c| c.user).collect();
            assert_eq!(winners, (*limit).min(asking.len() as i64), "round {seed}: winners of {code}");
            let stored = h.owner.find_code(&format!("{code}-{seed}")).await.expect("the code");
            assert_eq!(i64::from(stored.number_of_uses), winners, "round {seed}: counter of {code}");
        }
        assert_eq!(db.counter_mismatches().await, 0, "round {seed}: counters equal usage rows");
        assert_eq!(db.double_uses().await, 0, "round {seed}: nobody used a code twice");
        rows += model.usage.len() as i64;
        assert_eq!(db.usage_rows().await, rows, "round {seed}: usage rows as the model has them");
    }
}
every!(redemptions_are_linearizable, redemptions_are_linearizable);
