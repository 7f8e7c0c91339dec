//! The embedded default: batchmsg on one machine, with SQLite (WAL) in a data
//! folder in place of DynamoDB.

mod database;
mod templates;

pub use database::{DATABASE_FILE, Database, OpenError};
