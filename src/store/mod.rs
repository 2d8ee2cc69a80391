//! sqlx: connecting, learning what the database holds ([`layout`]), migrating refcodes' own schema, and every
//! query. The SQL is shared between SQLite, PostgreSQL and every PhoenixKit generation: queries name tables and
//! key columns through the layout's tokens, and the few places where the backends differ ask it.

mod attach;
mod db;
pub mod job_lock;
mod keys;
pub mod layout;
mod migrate;
mod nodelay;
mod sql;

pub mod audit;
pub mod bulk_load;
mod changes;
pub mod codes;
pub mod doctor;
pub mod jobs;
pub mod page;
pub mod redeem;
pub mod settings;
pub mod stats;
pub mod usage;
pub mod users;
pub mod waiting_writers;

pub use db::{ConnectOptions, Db, Tx, mask_url};
pub use layout::Backend;
pub use sql::{Exec, Sql};
