//! Ports: the small traits the use cases need from the outside world, each
//! implemented by an adapter for AWS and one for the embedded default.
//!
//! Methods return `Send` futures: the AWS adapters are async, and Lambda's
//! runtime needs `Send` handler futures. Adapters implement them with
//! `async fn`.

mod sending;
mod templates;
mod uploads;

pub use sending::{
    BatchRepo, Clock, ListCounts, PortError, PortResult, PublishError, Published, PublishedLookup,
    RateLimiter, Receipt, ReceiptApplied, ReceiptOutcome, RecipientRepo, SendQueue, SmsSender,
    SystemClock, WaveRepo, WaveScheduler,
};
pub use templates::{StoreError, StoredTemplate, TemplateStore};
pub use uploads::{ObjectStore, OptedOutNumbers};
