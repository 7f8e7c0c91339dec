//! The embedded default: batchmsg on one machine, with SQLite (WAL) in a data
//! folder in place of DynamoDB, SQS and EventBridge Scheduler.

mod batch_folder;
mod batches;
mod database;
mod durable;
mod feed_offset;
#[cfg(test)]
mod finished_batches_unread;
mod folder_store;
mod opted_out_file;
pub mod outbox;
pub mod owner_only;
pub mod partial_file;
#[cfg(test)]
mod power_cut;
#[cfg(test)]
mod power_loss_tests;
mod purge;
mod queue;
mod recipients;
mod retention;
mod send_rates;
mod templates;
mod time;
mod timing;
mod transition;
mod waves;

pub use batch_folder::{
    LockError, PROBLEM_FILE, SendingLock, UPLOADED_LIST_FILE, batch_folder, batch_key, summary_key,
    upload_keys,
};
pub use database::{DATABASE_FILE, Database, OpenError};
pub use durable::CLAIM_AHEAD;
pub use folder_store::{BadKey, FolderStore};
pub use opted_out_file::{OptedOutFile, OptedOutFileError};
pub use purge::PurgedRows;
pub use queue::Job;
pub use recipients::CANCELLED_REASON;
pub use waves::DueWave;
