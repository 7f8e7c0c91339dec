//! The embedded default: batchmsg on one machine, with SQLite (WAL) in a data
//! folder in place of DynamoDB, SQS and EventBridge Scheduler.

mod batch_folder;
mod batches;
mod database;
mod feed_offset;
pub mod outbox;
pub mod owner_only;
mod purge;
mod queue;
pub mod rate_limit;
mod recipients;
mod send_rates;
mod templates;
mod time;
mod transition;
mod waves;

pub use batch_folder::{LockError, SendingLock, batch_folder};
pub use database::{DATABASE_FILE, Database, OpenError};
pub use purge::PurgedRows;
pub use queue::Job;
pub use recipients::CANCELLED_REASON;
pub use waves::DueWave;
