//! One suite per port family. Each is an async function an implementation
//! runs with one line, handing it a way to make a fresh, empty instance:
//!
//! ```ignore
//! conformance::recipient_repo(|| async { Fake::new() }).await;
//! ```
//!
//! What the ports' doc comments promise is pinned here: the order `counts`
//! returns, what a failed condition returns (`false`, `Ignored`, not
//! moved), that an import repeated changes nothing, paging past DynamoDB's
//! limits, what each method does with a batch that does not exist, and
//! which state each move starts from ([`crate::delivery`]).
//!
//! Ports that cannot be read back through themselves (the queue, the
//! scheduler, the object store's tags) are watched through a probe the test
//! harness implements ([`QueueProbe`], [`SchedulerProbe`], [`ObjectProbe`]).

mod batch_repo;
mod lost_jobs;
mod object_store;
mod overdue_waves;
mod recipient_repo;
mod retention;
mod send_queue;
mod template_store;
mod wave_repo;
mod wave_scheduler;

pub use batch_repo::batch_repo;
pub use object_store::object_store;
pub use recipient_repo::recipient_repo;
pub use retention::retention;
pub use send_queue::send_queue;
pub use template_store::template_store;
pub use wave_repo::wave_repo;
pub use wave_scheduler::wave_scheduler;

use std::future::Future;

use crate::batch::{BatchId, Seq};

/// What a send queue holds: SQS receive and delete, SQLite's jobs table.
pub trait QueueProbe<Q> {
    /// Takes every job of `batch` from `queue`: the recipients, in any
    /// order, once per time they were queued.
    fn take_jobs(&self, queue: &Q, batch: &BatchId) -> impl Future<Output = Vec<Seq>>;

    /// Takes the jobs of `batch` a sender could take now, leaving those
    /// queued with a delay that has not passed.
    fn take_ready_jobs(&self, queue: &Q, batch: &BatchId) -> impl Future<Output = Vec<Seq>>;
}

/// Which schedules a scheduler has standing.
pub trait SchedulerProbe<S> {
    /// The waves of `batch` with a schedule, in number order.
    fn scheduled(&self, scheduler: &S, batch: &BatchId) -> impl Future<Output = Vec<u32>>;
}

/// What an object store says about a stored object beyond its bytes.
pub trait ObjectProbe<O> {
    /// The tag (S3's ETag) of what is stored under `key` now.
    fn tag(&self, store: &O, key: &str) -> impl Future<Output = Option<String>>;

    /// The content type it was stored with; `None` from a store that keeps
    /// none (a folder on one machine: see [`Self::keeps_content_types`]).
    fn content_type(&self, store: &O, key: &str) -> impl Future<Output = Option<String>>;

    /// Whether the store keeps each object's content type (S3 does, a
    /// folder does not).
    fn keeps_content_types(&self) -> bool {
        true
    }
}

/// A batch id for one case of a suite, so that cases never share a batch.
pub(crate) fn case_id(n: u32) -> BatchId {
    format!("20261125-090000-{n:04x}").parse().unwrap()
}
