//! Ports: the small traits the use cases need from the outside world. Their
//! adapters, on AWS (`batchmsg-aws`) and on the embedded default
//! (`batchmsg-local`, one SQLite `Database` for most):
//!
//! | port | AWS | embedded default |
//! |---|---|---|
//! | [`BatchRepo`], [`RecipientRepo`], [`WaveRepo`] | `DynamoRepos` | `Database` |
//! | [`SendQueue`] | `SqsSendQueue` | `Database` (a queue table) |
//! | [`WaveScheduler`] | `EventBridgeScheduler` | `Database` (`batchmsg run` fires due waves) |
//! | [`SmsSender`] | `SnsSmsSender` | `Outbox` (a file; nothing is sent) |
//! | [`ObjectStore`] | `S3ObjectStore` | a folder under the data dir |
//! | [`OptedOutNumbers`] | `SnsOptOuts` | the opted-out file |
//! | [`TemplateStore`] | none yet | `Database` |
//! | [`RateLimiter`] | `EvenlySpacedLimiter` | `SlidingWindowLimiter` (both in [`crate::rate`]) |
//! | [`Clock`] | [`SystemClock`] | [`SystemClock`] |
//! | [`Retention`] | `DynamoRepos` (items' time to live) | `Database` (the batch row's expiry; `batchmsg purge` deletes) |
//!
//! Methods return `Send` futures: the AWS adapters are async, and Lambda's
//! runtime needs `Send` handler futures. Adapters implement them with
//! `async fn`.

mod retention;
mod sending;
mod shared_clock;
mod templates;
mod uploads;

pub use retention::{Finished, Retention, Stamped};
pub use sending::{
    BatchRepo, Clock, ListCounts, PortError, PortResult, PublishError, Published, PublishedLookup,
    RateLimiter, Receipt, ReceiptApplied, ReceiptOutcome, RecipientRepo, SendQueue, SmsSender,
    SystemClock, UploadClaim, WaveRepo, WaveScheduler,
};
pub use shared_clock::SharedClock;
pub use templates::{StoreError, StoredTemplate, TemplateStore};
pub use uploads::{ObjectStore, OptedOutNumbers};
