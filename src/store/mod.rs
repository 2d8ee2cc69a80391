//! sqlx: connecting, migrating and every query. The SQL is shared between SQLite and PostgreSQL where it can be;
//! the few places that differ ask [`Backend`] for their fragment.

mod db;
mod sql;

pub mod codes;
pub mod settings;
pub mod stats;
pub mod usage;
pub mod users;

pub use db::{Backend, ConnectOptions, Db, Tx, mask_url};
pub use sql::{Exec, Sql};
