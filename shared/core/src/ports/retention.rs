//! The port through which a finished batch's data is given its expiry.
//!
//! A store that deletes by itself (DynamoDB's time to live) needs every item
//! of a finished batch to carry the time it may go; a batch of a million
//! recipients is more items than one call can reach. The port therefore
//! works a page at a time and remembers where it stopped, and the use case
//! ([`crate::retention::stamp_finished`]) decides how many pages fit in a
//! run.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::batch::BatchId;
#[cfg(doc)]
use crate::delivery::BatchStatus;
use crate::ports::PortResult;

/// A finished batch whose items do not all carry their expiry yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    pub id: BatchId,
    /// When the batch was first seen finished, once recorded
    /// ([`Retention::record_finished_at`]).
    pub finished_at: Option<DateTime<Utc>>,
}

/// What one [`Retention::stamp_next`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamped {
    /// Items given the expiry in this call.
    pub items: u64,
    /// Every item of the batch, its own last, now carries it: the batch has
    /// left [`Retention::finished`].
    pub done: bool,
}

pub trait Retention {
    /// Batches that are finished — completed, or cancelled and closed
    /// ([`super::BatchRepo::close`]): no text of theirs can move again —
    /// and not yet all stamped, oldest first, at most `limit`. A batch
    /// joins them in the same write that completes or closes it, so none is
    /// missed; they are kept apart from the rest (a sparse index on
    /// DynamoDB, a partial index in SQLite).
    fn finished(&self, limit: usize) -> impl Future<Output = PortResult<Vec<Finished>>> + Send;

    /// Records `at` as when `batch` finished unless a time is recorded
    /// already; the recorded time. `None` if the batch is not among
    /// [`finished`](Self::finished) (never finished, or all stamped).
    fn record_finished_at(
        &self,
        batch: &BatchId,
        at: DateTime<Utc>,
    ) -> impl Future<Output = PortResult<Option<DateTime<Utc>>>> + Send;

    /// Gives the next part of `batch`'s items (at most one page: a few
    /// hundred) the expiry `expires_at`, going on from where the previous
    /// call stopped, in this run or an earlier one; the batch's own item
    /// last, after which the batch is no longer among
    /// [`finished`](Self::finished). Items already gone are not brought
    /// back. Called again on a batch that is done: `done`, nothing stamped.
    fn stamp_next(
        &self,
        batch: &BatchId,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = PortResult<Stamped>> + Send;
}
