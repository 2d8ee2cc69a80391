//! Pure rules of referral codes: types, status, validation, generation and error kinds.
//! No I/O and no clock reads: every rule that depends on time takes `now` as an argument.

pub mod audit;
pub mod caseless;
pub mod code;
pub mod doctor;
pub mod draft;
pub mod error;
pub mod expiry;
pub mod filter_text;
pub mod generate;
pub mod ids;
pub mod import;
pub mod query;
pub mod settings;
pub mod stats;
pub mod status;
pub mod text;
pub mod user;
pub mod validate;
pub mod window;

pub use code::{CodeRow, ReferralCode};
pub use error::{ErrorKind, FieldError, Refusal};
pub use ids::{CodeId, Key, UsageId, UserId};
pub use query::{CodeFilter, CodeQuery, Compare, QuickCount, Selection, SortField, UsesWindow};
pub use status::CodeStatus;
