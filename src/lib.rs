//! refcodes: the PhoenixKit referral codes system as a library, a scriptable CLI and a terminal dashboard,
//! over SQLite (embedded default) or PostgreSQL.
//!
//! Dependencies point one way: `cli`/`tui` → `service` → `store` → `domain`.

pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod logging;
pub mod service;
pub mod store;
pub mod tui;

pub use error::{Error, Result};
pub use service::Service;
