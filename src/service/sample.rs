//! What `demo` writes, made up without the database: users with short emails, and codes from several campaigns
//! mixed at any size, with the uses, limits, expiries and statuses a real programme drifts into. `demo` turns these
//! rows into inserts; nothing here knows how they are written.

use crate::domain::generate::{ALPHABET, CodeShape};
use chrono::{DateTime, Duration, Utc};
use rand::{Rng, RngExt};

const FIRST: [&str; 24] = [
    "ada",
    "alan",
    "grace",
    "linus",
    "margaret",
    "dennis",
    "barbara",
    "ken",
    "frances",
    "edsger",
    "radia",
    "tim",
    "katherine",
    "john",
    "hedy",
    "donald",
    "annie",
    "niklaus",
    "joan",
    "guido",
    "sophie",
    "bjarne",
    "karen",
    "maya",
];
const LAST: [&str; 20] = [
    "lovelace", "turing", "hopper", "torvalds", "hamilton", "ritchie", "liskov", "thompson", "allen", "dijkstra",
    "perlman", "lee", "johnson", "backus", "lamarr", "knuth", "easley", "wirth", "clarke", "rossum",
];
/// Reserved example domains (RFC 2606), so no demo email reaches a real mailbox.
const DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];

/// A sample user: email, username, first and last name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleUser {
    pub email: String,
    pub username: String,
    pub first: String,
    pub last: String,
}

/// User number `n` of every demo run: `n` to user is one to one, so a run that starts past the users already there
/// (see `demo`) writes no email twice. Short, as people's are (`ada.lovelace@example.com`, `grace_hopper@example.org`),
/// with a number once the names run out.
pub fn user(n: u64) -> SampleUser {
    // `n` in mixed radix: first name, last name, domain, style, then a round number.
    let digit = |n: &mut u64, base: usize| {
        let d = (*n % base as u64) as usize;
        *n /= base as u64;
        d
    };
    let mut rest = n;
    let (f, l) = (digit(&mut rest, FIRST.len()), digit(&mut rest, LAST.len()));
    // Shifted by the name, so neighbouring users have different domains; still one to one for each name.
    let domain = DOMAINS[(digit(&mut rest, DOMAINS.len()) + f + l) % DOMAINS.len()];
    let (first, last) = (FIRST[f], LAST[l]);
    let mut local = match digit(&mut rest, 3) {
        0 => format!("{first}.{last}"),
        1 => format!("{first}_{last}"),
        _ => format!("{first}{last}"),
    };
    if rest > 0 {
        local.push_str(&rest.to_string());
    }
    SampleUser { email: format!("{local}@{domain}"), username: local.clone(), first: cap(first), last: cap(last) }
}

/// How a sample code is named: drawn at random after a campaign's prefix, or a name a person chose (which, when a
/// code of that name exists already, is drawn after it instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Naming {
    Drawn(CodeShape),
    Chosen(&'static str),
}

/// A sample code and its history. Creators and users are indexes into the lists `demo` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleCode {
    pub naming: Naming,
    pub description: String,
    pub status: bool,
    pub max_uses: i32,
    pub creator: usize,
    pub beneficiary: Option<usize>,
    pub date_created: DateTime<Utc>,
    pub expiration_date: Option<DateTime<Utc>>,
    /// Who used it (user indexes, no one twice) and when.
    pub uses: Vec<(usize, DateTime<Utc>)>,
}

/// When a campaign's codes expire.
#[derive(Debug, Clone, Copy)]
enum Ends {
    Never,
    /// Days ahead of now, at most.
    Ahead(i64),
    /// Ended already: between creation and now.
    Ended,
}

struct Campaign {
    prefix: &'static str,
    random_len: usize,
    /// `{name}` is the beneficiary's name.
    description: &'static str,
    weight: u32,
    max_uses: &'static [i32],
    ends: Ends,
    /// Per cent of its codes with a beneficiary.
    beneficiary: u32,
}

const CAMPAIGNS: [Campaign; 9] = [
    Campaign {
        prefix: "SPRING-2026-",
        random_len: 4,
        description: "Spring 2026 newsletter: 15% off the first order",
        weight: 22,
        max_uses: &[25, 50, 100],
        ends: Ends::Ahead(90),
        beneficiary: 10,
    },
    Campaign {
        prefix: "REF-",
        random_len: 5,
        description: "Referral from {name}",
        weight: 20,
        max_uses: &[5, 5, 10],
        ends: Ends::Never,
        beneficiary: 100,
    },
    Campaign {
        prefix: "BF-2025-",
        random_len: 4,
        description: "Black Friday 2025 email blast",
        weight: 14,
        max_uses: &[50, 100],
        ends: Ends::Ended,
        beneficiary: 0,
    },
    Campaign {
        prefix: "PARTNER-ACME-",
        random_len: 3,
        description: "Acme Corp partner programme, Q2 seats",
        weight: 10,
        max_uses: &[20, 50],
        ends: Ends::Ahead(180),
        beneficiary: 30,
    },
    Campaign {
        prefix: "WELCOME-",
        random_len: 5,
        description: "Welcome offer for new signups",
        weight: 10,
        max_uses: &[1, 1, 3],
        ends: Ends::Ahead(30),
        beneficiary: 0,
    },
    Campaign {
        prefix: "SUMMER-26-",
        random_len: 4,
        description: "Summer sale early access (members only)",
        weight: 8,
        max_uses: &[100],
        ends: Ends::Ahead(120),
        beneficiary: 0,
    },
    Campaign {
        prefix: "PODCAST-",
        random_len: 4,
        description: "Sponsor read on The Tech Weekly podcast",
        weight: 6,
        max_uses: &[100],
        ends: Ends::Ahead(60),
        beneficiary: 0,
    },
    Campaign {
        prefix: "STAFF-",
        random_len: 4,
        description: "Employee referral: {name}",
        weight: 6,
        max_uses: &[10],
        ends: Ends::Never,
        beneficiary: 100,
    },
    Campaign {
        prefix: "BETA-",
        random_len: 5,
        description: "Closed beta invite, one seat",
        weight: 4,
        max_uses: &[1],
        ends: Ends::Ended,
        beneficiary: 0,
    },
];

/// Codes people name themselves, few and well used; each comes once per run, among the first codes.
const CHOSEN: [(&str, &str, i32, Ends); 8] = [
    ("ACME-VIP", "Acme Corp launch: their staff and families", 100, Ends::Ahead(60)),
    ("TECHWEEKLY", "Podcast code read on air, episodes 112-118", 100, Ends::Ahead(20)),
    ("JANE10", "Jane's followers, 10% off (Instagram)", 50, Ends::Never),
    ("LAUNCH50", "Launch week: the first 50 signups", 50, Ends::Ended),
    ("FRIENDS", "Friends and family of the team", 100, Ends::Never),
    ("SPRING26", "Spring 2026 homepage banner", 100, Ends::Ahead(45)),
    ("WINTER25", "Winter 2025 campaign (ended)", 100, Ends::Ended),
    ("MEETUP-OSLO", "Oslo meetup attendees, March", 30, Ends::Ahead(10)),
];

/// What the sample codes of one run share: when it runs, the `days` they were created within, the run's `users`
/// (the number of the first and how many), its `creators` admins, the `limit` that caps a code's (the setting),
/// and how many `codes` it writes.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub now: DateTime<Utc>,
    pub days: i64,
    pub users: (u64, usize),
    pub creators: usize,
    pub limit: i32,
    pub codes: usize,
}

/// Sample code number `n` of a run. One in ten of the first codes has a chosen name, so a few dozen codes show
/// both kinds.
pub fn code(rng: &mut impl Rng, run: &Run, n: usize) -> SampleCode {
    let Run { now, days, users, creators, limit, codes } = *run;
    let (first_user, users) = users;
    let age = Duration::minutes(rng.random_range(60..days * 1440 + 120));
    let created = now - age;
    let chosen = (n % 10 == 3).then(|| CHOSEN.get(n / 10)).flatten();
    let (naming, description, max_uses, ends, beneficiary) = match chosen {
        Some(&(name, description, max, ends)) => (Naming::Chosen(name), description.to_string(), max, ends, None),
        None => {
            let c = pick(rng);
            let beneficiary = (rng.random_range(0..100) < c.beneficiary).then(|| rng.random_range(0..users));
            let name = beneficiary.map_or_else(
                || "a customer".to_string(),
                |b| {
                    let u = user(first_user + b as u64);
                    format!("{} {}", u.first, u.last)
                },
            );
            let shape = CodeShape { prefix: c.prefix.to_string(), random_len: random_len(c, codes) };
            let max = c.max_uses[rng.random_range(0..c.max_uses.len())];
            (Naming::Drawn(shape), c.description.replace("{name}", &name), max, c.ends, beneficiary)
        }
    };
    let max_uses = max_uses.min(limit).max(1);
    let expiration_date = match ends {
        Ends::Never => None,
        Ends::Ahead(most) => Some(now + Duration::hours(rng.random_range(2..most * 24))),
        Ends::Ended => Some(created + (now - created) * rng.random_range(1..10) / 10),
    };
    // Most codes are used a little, a quarter not at all, some to their limit; chosen names are used most.
    let most = (max_uses as usize).min(users);
    let uses = match (rng.random_range(0..100), chosen.is_some()) {
        (_, true) => rng.random_range(most / 2..=most),
        (0..25, false) => 0,
        (25..33, false) => most,
        (_, false) => rng.random_range(1..=most.min(8)),
    };
    let until = expiration_date.map_or(now, |e| e.min(now));
    let span = (until - created).num_seconds().max(1);
    let uses = rand::seq::index::sample(rng, users, uses)
        .into_iter()
        .map(|u| (u, created + Duration::seconds(rng.random_range(0..span))))
        .collect();
    SampleCode {
        naming,
        description,
        // A tenth are switched off by hand; chosen names stay on, as someone watches them.
        status: chosen.is_some() || rng.random_range(0..100) >= 10,
        max_uses,
        creator: rng.random_range(0..creators.max(1)),
        beneficiary,
        date_created: created,
        expiration_date,
        uses,
    }
}

/// The length of a campaign's random part in a run of `codes`: its own, or longer when the run draws more than an
/// eighth of the names it allows (PARTNER-ACME-'s three characters name 32,768 codes; a tenth of a million-code run
/// is 100,000), so that draws rarely collide.
fn random_len(c: &Campaign, codes: usize) -> usize {
    let drawn = (codes as u128 * u128::from(c.weight)).div_ceil(u128::from(total_weight()));
    let mut len = c.random_len;
    while (ALPHABET.len() as u128).pow(len as u32) < drawn * 8 {
        len += 1;
    }
    len
}

/// The campaigns' weights together: a campaign's share of a run is its weight over this.
fn total_weight() -> u32 {
    CAMPAIGNS.iter().map(|c| c.weight).sum()
}

fn pick(rng: &mut impl Rng) -> &'static Campaign {
    let mut at = rng.random_range(0..total_weight());
    for c in &CAMPAIGNS {
        if at < c.weight {
            return c;
        }
        at -= c.weight;
    }
    &CAMPAIGNS[0]
}

fn cap(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate;
    use std::collections::HashSet;

    #[test]
    fn emails_are_short_valid_and_never_repeat() {
        let emails: Vec<String> = (0..60_000).map(|n| user(n).email).collect();
        assert_eq!(emails.iter().collect::<HashSet<_>>().len(), emails.len());
        for email in &emails {
            assert_eq!(validate::email(email).as_ref(), Ok(email), "{email}");
        }
        assert_eq!(emails[0], "ada.lovelace@example.com");
        assert!(emails.iter().take(2000).all(|e| e.len() <= 30), "short for the first thousands");
    }

    #[test]
    fn a_few_codes_mix_campaigns_and_chosen_names_with_valid_fields() {
        let now = Utc::now();
        let mut rng = rand::rng();
        let run = Run { now, days: 30, users: (7, 50), creators: 3, limit: 100, codes: 40 };
        let codes: Vec<SampleCode> = (0..40).map(|n| code(&mut rng, &run, n)).collect();
        assert!(codes.iter().filter(|c| matches!(c.naming, Naming::Chosen(_))).count() >= 3);
        let prefixes: HashSet<String> = codes
            .iter()
            .filter_map(|c| match &c.naming {
                Naming::Drawn(shape) => Some(shape.prefix.clone()),
                Naming::Chosen(_) => None,
            })
            .collect();
        assert!(prefixes.len() >= 3, "several campaigns: {prefixes:?}");
        for c in &codes {
            assert!(validate::description(&c.description).is_ok(), "{}", c.description);
            assert!((1..=100).contains(&c.max_uses));
            assert!(c.uses.len() <= c.max_uses as usize);
            assert_eq!(c.uses.iter().map(|u| u.0).collect::<HashSet<_>>().len(), c.uses.len());
            let until = c.expiration_date.map_or(now, |e| e.min(now));
            assert!(c.uses.iter().all(|(_, at)| *at >= c.date_created && *at <= until));
            if let Naming::Chosen(name) = c.naming {
                assert!(validate::code(name).is_ok(), "{name}");
            }
        }
    }

    /// A million-code run drew PARTNER-ACME- codes from 32,768 names until none was left, and failed.
    #[test]
    fn every_campaign_draws_from_at_least_eight_times_its_share_of_names_at_any_size() {
        let total = total_weight();
        for codes in [1, 500, 100_000, 1_000_000, 10_000_000] {
            for c in &CAMPAIGNS {
                let len = random_len(c, codes);
                let share = codes as f64 * f64::from(c.weight) / f64::from(total);
                assert!(32f64.powi(len as i32) >= share * 8.0, "{} at {codes}: {len}", c.prefix);
                assert!(len >= c.random_len);
                assert!(validate::code(&format!("{}{}", c.prefix, "A".repeat(len))).is_ok());
            }
        }
        assert_eq!(random_len(&CAMPAIGNS[3], 500), 3, "small runs keep the campaign's own length");
    }
}
