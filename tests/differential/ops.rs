//! The operations of a differential run and how proptest draws them. They name users and codes through small
//! pools (so a shrunk sequence still means something), and text through [`Text`], so that `{:?}` of a sequence is
//! Rust that compiles once `use differential::ops::paste::*` is in scope.
// The variants carry their enum's name on purpose: the pasted sequences import all of them into one scope.
#![allow(clippy::enum_variant_names)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::select;
use refcodes::domain::Compare;

/// Users the operations add, delete and act as, besides the harness's Owner, Admin and plain user.
pub const POOL_USERS: [&str; 5] =
    ["ada@example.com", "bob@example.com", "cy@example.com", "zoë@example.com", "eve@example.com"];

/// Codes the operations create and use. `maß` upper-cases to `MASS`.
pub const POOL_CODES: [&str; 6] =
    ["AAA", "SPRING-2026", "X_1", "MASS", "VIP-7KQ", "Z-LONG-CODE-AT-THE-FIFTY-CHARACTER-LIMIT-0123456789"];

/// Text at the edges of the rules, for any field (each field's strategy draws from the part that suits it).
pub const TEXTS: [&str; 53] = [
    // 0..10: descriptions
    "Spring campaign",
    "  padded  ",
    "",
    "   ",
    "Café – crème",
    "CAFÉ STRAßE",
    "a\nb",
    "zero\u{200b}width",
    "\u{202e}reversed",
    "emoji 🎉",
    // 10..20: codes as typed
    "ab",
    "abc",
    "hello world",
    "ÜBER",
    "maß",
    "ǆǆǆ",
    "DROP;TABLE",
    "spring-2026",
    " aaa ",
    "a\u{200b}bc",
    // 20..30: emails as typed
    "ADA@example.com",
    " bob@example.com ",
    "not-an-email",
    "zoË@example.com",
    "x@.com",
    "new@example.com",
    "New@Example.COM",
    "a@b@c.com",
    "ad\u{200b}a@example.com",
    "max@example.com",
    // 30..37: filters
    "a",
    "é",
    "É",
    "ss",
    "%",
    "_",
    "example",
    // 37..53: setting values
    "on",
    "10000",
    "1001",
    "true",
    "false",
    "OFF",
    " yes ",
    "maybe",
    "0",
    "1",
    "2",
    "100",
    "10001",
    "-1",
    "1000",
    "99999999999999999999",
];

/// Text: an entry of [`TEXTS`], a made-up string from a seed and a length, or a run of one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    T(u8),
    Rand(u64, u8),
    Repeat(char, u16),
}

impl Text {
    pub fn get(self) -> String {
        match self {
            Text::T(i) => TEXTS[usize::from(i) % TEXTS.len()].to_string(),
            Text::Rand(seed, len) => random_text(seed, len),
            Text::Repeat(c, n) => std::iter::repeat_n(c, usize::from(n)).collect(),
        }
    }
}

/// Characters from every corner: ASCII, accented letters that change length when cased, controls, format
/// characters, astral symbols, and the letters whose cases the backends once read apart (`İ`, `ſ`, the Kelvin
/// sign).
fn random_text(seed: u64, len: u8) -> String {
    const CHARS: [char; 28] = [
        'a',
        'i',
        'I',
        'ſ',
        '\u{212a}',
        'Z',
        '0',
        '-',
        '_',
        ' ',
        '%',
        '\\',
        'é',
        'É',
        'ß',
        'ı',
        'İ',
        'ǅ',
        'ﬀ',
        '\t',
        '\u{7f}',
        '\u{200b}',
        '\u{feff}',
        '\u{2066}',
        '😀',
        '\u{10ffff}',
        'Ω',
        '@',
    ];
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            CHARS[((state >> 33) % CHARS.len() as u64) as usize]
        })
        .collect()
}

/// How a pool code is spelled when typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    Upper,
    Lower,
    Padded,
}

/// A code named by an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRef {
    /// A pool code, spelled so.
    Pool(u8, Spelling),
    /// The n-th code the model holds, by code (for generated ones); a code that exists nowhere when there is none.
    Nth(u8),
}

/// A code as typed into a field: a reference, or any text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeIn {
    Ref(CodeRef),
    Raw(Text),
}

/// A user named by an operation (as a beneficiary or a redeemer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRef {
    UOwner,
    UAdmin,
    /// The pool user with this email now (an id nobody has when there is none).
    USlot(u8),
    /// The last id the pool user had: after they were deleted, an id that names nobody now.
    UGone(u8),
    /// An id no user ever had.
    UGhost,
}

/// Who acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    ByOwner,
    ByAdmin,
    /// `user@example.com`, with the User role.
    ByPlain,
    BySlot(u8),
    ByNobody,
    /// The Owner on a read-only service.
    ByReadOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    GrantOwner,
    GrantAdmin,
    GrantUser,
}

/// A status to filter by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    OnlyActive,
    OnlyInactive,
    OnlyExpired,
    OnlyLimitReached,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    KeyEnabled,
    KeyRequired,
    KeyMaxUses,
    KeyMaxCodes,
}

/// An expiration: never, milliseconds from the clock's now (zero or less: past), or an instant (ms since 1970).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Never,
    Rel(i64),
    At(i64),
}

impl Expiry {
    pub fn resolve(self, now: DateTime<Utc>) -> refcodes::domain::expiry::Expiration {
        use refcodes::domain::expiry::Expiration;
        match self {
            Expiry::Never => Expiration::Never,
            Expiry::Rel(ms) => Expiration::At(now + Duration::milliseconds(ms)),
            Expiry::At(ms) => Expiration::At(Utc.timestamp_millis_opt(ms).single().expect("an instant chrono holds")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    pub text: Text,
    pub status: Option<Only>,
    /// The time since the last use (`used:<24h`), in milliseconds.
    pub used: Option<(Compare, i64)>,
}

/// One code of a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelRef {
    /// The code with this text now.
    Current(CodeRef),
    /// The last id a code of this text had (after a delete, an id that names nothing).
    Stale(CodeRef),
    /// An id no code ever had.
    GhostCode,
}

#[derive(Clone, PartialEq, Eq)]
pub enum Sel {
    Ids(Vec<SelRef>),
    Matching(Filter),
}

/// Printed as Rust: `Ids(vec![...])`.
impl std::fmt::Debug for Sel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sel::Ids(ids) => write!(f, "Ids(vec!{ids:?})"),
            Sel::Matching(filter) => write!(f, "Matching({filter:?})"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    Activate,
    Deactivate,
    Extend(i64),
    DeleteAll,
}

/// Changes for an update; `None` leaves a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    pub code: Option<CodeIn>,
    pub description: Option<Text>,
    pub max_uses: Option<i64>,
    pub expires: Option<Expiry>,
    pub beneficiary: Option<Option<UserRef>>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// The application adds a pool user (nothing when the email is taken).
    AppAddUser {
        user: u8,
        grant: Option<Grant>,
    },
    /// The application deletes a pool user; codes and usage keep their id.
    AppDeleteUser {
        user: u8,
    },
    /// The application marks a pool user inactive (can't sign in).
    AppDeactivateUser {
        user: u8,
    },
    AddUser {
        by: Actor,
        email: Text,
        grant: Option<Grant>,
    },
    Register {
        email: Text,
        code: Option<CodeIn>,
    },
    Create {
        by: Actor,
        code: Option<CodeIn>,
        description: Text,
        max_uses: Option<i64>,
        expires: Option<Expiry>,
        beneficiary: Option<UserRef>,
        inactive: bool,
    },
    Generate {
        by: Actor,
        count: usize,
        prefix: Text,
        length: Option<usize>,
        max_uses: Option<i64>,
        expires: Option<Expiry>,
    },
    Update {
        by: Actor,
        code: CodeRef,
        changes: Changes,
    },
    Delete {
        by: Actor,
        code: CodeRef,
    },
    BulkAction {
        by: Actor,
        sel: Sel,
        action: Bulk,
    },
    Use {
        code: CodeIn,
        user: UserRef,
        read_only: bool,
    },
    Setting {
        by: Actor,
        key: Key,
        value: Text,
    },
    /// Moves the clock (backwards too).
    Advance {
        ms: i64,
    },
    /// Sets the clock to a code's expiration exactly (nothing when it has none).
    ClockToExpiry {
        code: CodeRef,
    },
    Stats,
    Count {
        filter: Filter,
    },
    /// The list sorted by last use: every code the filter keeps, in order.
    ByLastUse {
        filter: Filter,
        descending: bool,
    },
    ValidCodes,
    UsageStats {
        code: CodeRef,
    },
    CheckCode {
        code: Option<CodeIn>,
    },
    UserUsed {
        user: UserRef,
        code: SelRef,
    },
}

/// Everything a pasted sequence names.
#[allow(unused_imports)]
pub mod paste {
    pub use super::Actor::*;
    pub use super::Bulk::*;
    pub use super::CodeIn::*;
    pub use super::CodeRef::*;
    pub use super::Expiry::*;
    pub use super::Grant::*;
    pub use super::Key::*;
    pub use super::Only::*;
    pub use super::Op::*;
    pub use super::Sel::*;
    pub use super::SelRef::*;
    pub use super::Spelling::*;
    pub use super::Text::*;
    pub use super::UserRef::*;
    pub use super::{Changes, Filter};
    pub use refcodes::domain::Compare::*;
}

// ---- strategies: each biased toward the edges of its rule ----

fn text_in(range: std::ops::Range<u8>) -> BoxedStrategy<Text> {
    prop_oneof![
        6 => (range).prop_map(Text::T),
        2 => (any::<u64>(), 0u8..24).prop_map(|(s, n)| Text::Rand(s, n)),
        1 => (select(vec!['a', 'é', 'X']), select(vec![0u16, 1, 2, 3, 49, 50, 51, 160, 161, 255, 256, 1001])).prop_map(|(c, n)| Text::Repeat(c, n)),
    ]
    .boxed()
}

fn code_ref() -> BoxedStrategy<CodeRef> {
    prop_oneof![
        5 => (0u8..POOL_CODES.len() as u8, select(vec![Spelling::Upper, Spelling::Lower, Spelling::Padded]))
            .prop_map(|(i, s)| CodeRef::Pool(i, s)),
        1 => (0u8..8).prop_map(CodeRef::Nth),
    ]
    .boxed()
}

fn code_in() -> BoxedStrategy<CodeIn> {
    prop_oneof![5 => code_ref().prop_map(CodeIn::Ref), 1 => text_in(10..20).prop_map(CodeIn::Raw)].boxed()
}

fn user_ref() -> BoxedStrategy<UserRef> {
    prop_oneof![
        1 => Just(UserRef::UOwner),
        1 => Just(UserRef::UAdmin),
        6 => (0u8..5).prop_map(UserRef::USlot),
        1 => (0u8..5).prop_map(UserRef::UGone),
        1 => Just(UserRef::UGhost),
    ]
    .boxed()
}

fn actor() -> BoxedStrategy<Actor> {
    prop_oneof![
        8 => Just(Actor::ByOwner),
        3 => Just(Actor::ByAdmin),
        1 => Just(Actor::ByPlain),
        1 => (0u8..5).prop_map(Actor::BySlot),
        1 => Just(Actor::ByNobody),
        1 => Just(Actor::ByReadOnly),
    ]
    .boxed()
}

fn grant() -> BoxedStrategy<Option<Grant>> {
    prop_oneof![Just(None), Just(Some(Grant::GrantOwner)), Just(Some(Grant::GrantAdmin)), Just(Some(Grant::GrantUser))]
        .boxed()
}

fn max_uses() -> BoxedStrategy<Option<i64>> {
    prop_oneof![
        2 => Just(None),
        6 => select(vec![1i64, 1, 2, 3, 100]).prop_map(Some),
        2 => select(vec![0i64, -1, 101, 10_000, 10_001, i64::from(i32::MAX) + 1, i64::MAX, i64::MIN]).prop_map(Some),
    ]
    .boxed()
}

const DAY: i64 = 86_400_000;
/// 9999-12-31T23:59:59.999Z: the latest expiration there is.
pub const LAST_MS: i64 = 253_402_300_799_999;

fn expiry() -> BoxedStrategy<Expiry> {
    prop_oneof![
        2 => Just(Expiry::Never),
        6 => select(vec![-DAY, -1, 0, 1, 1000, 60_000, DAY, 7 * DAY]).prop_map(Expiry::Rel),
        1 => select(vec![LAST_MS, LAST_MS + 1, LAST_MS - 999, 0, -1]).prop_map(Expiry::At),
    ]
    .boxed()
}

fn filter() -> BoxedStrategy<Filter> {
    let status = prop_oneof![
        4 => Just(None),
        1 => select(vec![Only::OnlyActive, Only::OnlyInactive, Only::OnlyExpired, Only::OnlyLimitReached]).prop_map(Some),
    ];
    let text = prop_oneof![
        3 => text_in(30..37),
        1 => text_in(0..10),
        1 => text_in(10..20),
    ];
    let used = prop_oneof![
        3 => Just(None),
        1 => (
            select(vec![Compare::Less, Compare::AtMost, Compare::More, Compare::AtLeast, Compare::Equal]),
            select(vec![0i64, 1000, DAY, 7 * DAY]),
        )
            .prop_map(Some),
    ];
    (text, status, used).prop_map(|(text, status, used)| Filter { text, status, used }).boxed()
}

fn sel() -> BoxedStrategy<Sel> {
    let one = prop_oneof![
        6 => code_ref().prop_map(SelRef::Current),
        2 => code_ref().prop_map(SelRef::Stale),
        1 => Just(SelRef::GhostCode),
    ];
    prop_oneof![3 => proptest::collection::vec(one, 0..4).prop_map(Sel::Ids), 1 => filter().prop_map(Sel::Matching)]
        .boxed()
}

fn changes() -> BoxedStrategy<Changes> {
    (
        proptest::option::weighted(0.2, code_in()),
        proptest::option::weighted(0.3, text_in(0..10)),
        proptest::option::weighted(0.4, max_uses().prop_filter_map("a value", |m| m)),
        proptest::option::weighted(0.3, expiry()),
        proptest::option::weighted(0.2, proptest::option::of(user_ref())),
        proptest::option::weighted(0.4, any::<bool>()),
    )
        .prop_map(|(code, description, max_uses, expires, beneficiary, active)| Changes {
            code,
            description,
            max_uses,
            expires,
            beneficiary,
            active,
        })
        .boxed()
}

/// One operation, weighted toward redemption and the changes that decide it.
pub fn op() -> BoxedStrategy<Op> {
    prop_oneof![
        3 => ((0u8..5), grant()).prop_map(|(user, grant)| Op::AppAddUser { user, grant }),
        1 => (0u8..5).prop_map(|user| Op::AppDeleteUser { user }),
        1 => (0u8..5).prop_map(|user| Op::AppDeactivateUser { user }),
        1 => (actor(), text_in(20..30), grant()).prop_map(|(by, email, grant)| Op::AddUser { by, email, grant }),
        2 => (text_in(20..30), proptest::option::weighted(0.7, code_in())).prop_map(|(email, code)| Op::Register { email, code }),
        8 => (
            actor(),
            proptest::option::weighted(0.9, code_in()),
            text_in(0..10),
            max_uses(),
            proptest::option::of(expiry()),
            proptest::option::weighted(0.2, user_ref()),
            proptest::bool::weighted(0.1),
        )
            .prop_map(|(by, code, description, max_uses, expires, beneficiary, inactive)| Op::Create {
                by, code, description, max_uses, expires, beneficiary, inactive,
            }),
        1 => (
            actor(),
            select(vec![0usize, 1, 2, 3, 100_001]),
            prop_oneof![Just(Text::T(2)), Just(Text::T(11)), text_in(10..20)],
            select(vec![None, Some(2), Some(3), Some(5), Some(47), Some(51)]),
            max_uses(),
            proptest::option::of(expiry()),
        )
            .prop_map(|(by, count, prefix, length, max_uses, expires)| Op::Generate { by, count, prefix, length, max_uses, expires }),
        4 => (actor(), code_ref(), changes()).prop_map(|(by, code, changes)| Op::Update { by, code, changes }),
        1 => (actor(), code_ref()).prop_map(|(by, code)| Op::Delete { by, code }),
        2 => (
            actor(),
            sel(),
            prop_oneof![
                Just(Bulk::Activate),
                Just(Bulk::Deactivate),
                Just(Bulk::DeleteAll),
                select(vec![-1i64, 0, 1, 60, 86_400, 36_525 * 86_400, 36_525 * 86_400 + 1]).prop_map(Bulk::Extend),
            ],
        )
            .prop_map(|(by, sel, action)| Op::BulkAction { by, sel, action }),
        12 => (code_in(), user_ref(), proptest::bool::weighted(0.05)).prop_map(|(code, user, read_only)| Op::Use { code, user, read_only }),
        3 => (
            prop_oneof![4 => Just(Actor::ByOwner), 1 => actor()],
            select(vec![Key::KeyEnabled, Key::KeyEnabled, Key::KeyRequired, Key::KeyMaxUses, Key::KeyMaxCodes]),
            text_in(37..53),
        )
            .prop_map(|(by, key, value)| Op::Setting { by, key, value }),
        2 => select(vec![0i64, 1, 999, 1000, 60_000, DAY - 1, DAY, 7 * DAY - 1, 7 * DAY, -1000]).prop_map(|ms| Op::Advance { ms }),
        1 => code_ref().prop_map(|code| Op::ClockToExpiry { code }),
        1 => Just(Op::Stats),
        2 => filter().prop_map(|filter| Op::Count { filter }),
        1 => (filter(), proptest::bool::ANY).prop_map(|(filter, descending)| Op::ByLastUse { filter, descending }),
        1 => Just(Op::ValidCodes),
        1 => code_ref().prop_map(|code| Op::UsageStats { code }),
        1 => proptest::option::weighted(0.8, code_in()).prop_map(|code| Op::CheckCode { code }),
        1 => (user_ref(), prop_oneof![code_ref().prop_map(SelRef::Current), code_ref().prop_map(SelRef::Stale)])
            .prop_map(|(user, code)| Op::UserUsed { user, code }),
    ]
    .boxed()
}

/// A sequence that first turns the system on most of the time, so that redemptions get past `system_disabled`.
pub fn sequence(len: std::ops::Range<usize>) -> BoxedStrategy<Vec<Op>> {
    (proptest::bool::weighted(0.85), proptest::collection::vec(op(), len))
        .prop_map(|(enable, mut ops)| {
            if enable {
                ops.insert(0, Op::Setting { by: Actor::ByOwner, key: Key::KeyEnabled, value: Text::T(37) });
            }
            ops
        })
        .boxed()
}
