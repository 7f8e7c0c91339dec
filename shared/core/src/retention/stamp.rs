//! Giving a finished batch's items their expiry, a page at a time, within a
//! time budget: the rule a store that deletes by itself (DynamoDB's time to
//! live) needs applied. Which batches (finished ones, oldest first), from
//! when (the time each was first seen finished), for how long (the
//! retention) and how much a run does (until its deadline) are decided here;
//! how an item is stamped is the adapter's ([`Retention`]).

use chrono::{DateTime, TimeDelta, Utc};

use crate::batch::BatchId;
use crate::ports::{Clock, PortError, Retention};

/// The fewest days a finished batch is kept: a receipt can come a day or
/// more after its text, and the people sending need to see it.
pub const MIN_RETENTION_DAYS: i64 = 1;
/// The most: ten years. More is a mistake in the setting.
pub const MAX_RETENTION_DAYS: i64 = 3650;

/// Finished batches read in one look.
pub const BATCHES_PER_LOOK: usize = 25;

/// A retention of days in [`MIN_RETENTION_DAYS`]`..=`[`MAX_RETENTION_DAYS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionDays(i64);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a retention: write a whole number of days from {MIN_RETENTION_DAYS} to \
     {MAX_RETENTION_DAYS}"
)]
pub struct BadRetentionDays(pub String);

impl RetentionDays {
    pub fn new(days: i64) -> Result<Self, BadRetentionDays> {
        if (MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&days) {
            Ok(Self(days))
        } else {
            Err(BadRetentionDays(days.to_string()))
        }
    }

    pub fn days(self) -> i64 {
        self.0
    }

    pub fn period(self) -> TimeDelta {
        TimeDelta::days(self.0)
    }
}

impl std::str::FromStr for RetentionDays {
    type Err = BadRetentionDays;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadRetentionDays(text.chars().take(20).collect());
        let days: i64 = text.trim().parse().map_err(|_| bad())?;
        Self::new(days).map_err(|_| bad())
    }
}

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StampedRun {
    /// Batches whose every item now carries its expiry.
    pub batches_done: u64,
    /// Items stamped in this run.
    pub items: u64,
    /// The deadline came with work left: the next run goes on from there.
    pub out_of_time: bool,
}

/// Stamps the items of finished batches, oldest first, with the time they
/// may be deleted: when the batch was first seen finished plus `keep_for`.
/// A batch's finish time is recorded the first time a run sees it (within
/// one sweep of its completion or close), so a batch is kept at least
/// `keep_for` after its last text could move. A batch is stamped only once
/// it has been seen finished for `settle`: writes sent before it finished
/// (an import's last requests when its batch is cancelled under it) may
/// still land until then, and one landing behind a stamping run's place
/// would never be stamped. Stops starting pages once the
/// clock reaches `deadline` (a page already started finishes: a page is a
/// few hundred requests); the next run resumes where it stopped, as the
/// adapter keeps its place. A batch that fails does not stop the others;
/// the first error is returned after them.
pub async fn stamp_finished(
    retention: &(impl Retention + Sync),
    clock: &(impl Clock + Sync),
    keep_for: TimeDelta,
    settle: TimeDelta,
    deadline: DateTime<Utc>,
) -> Result<StampedRun, PortError> {
    let mut run = StampedRun::default();
    let mut first_error = None;
    // Batches this run has dealt with (done, failed): an index read a
    // moment after a batch was done may still list it.
    let mut handled: Vec<BatchId> = Vec::new();
    loop {
        if clock.now() >= deadline {
            run.out_of_time = true;
            break;
        }
        let finished = retention.finished(BATCHES_PER_LOOK).await?;
        let full = finished.len() == BATCHES_PER_LOOK;
        let mut new = 0;
        for batch in finished {
            if handled.contains(&batch.id) {
                continue;
            }
            new += 1;
            let stamped = stamp_one(
                retention,
                clock,
                &batch.id,
                batch.finished_at,
                keep_for,
                settle,
                deadline,
            )
            .await;
            match stamped {
                Ok((items, done)) => {
                    run.items += items;
                    if !done {
                        run.out_of_time = true;
                        break;
                    }
                    run.batches_done += u64::from(items > 0);
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
            handled.push(batch.id);
        }
        if run.out_of_time || !full || new == 0 {
            break;
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(run),
    }
}

/// Stamps one batch until it is done or the deadline comes: items stamped,
/// and whether it is done.
async fn stamp_one(
    retention: &(impl Retention + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
    finished_at: Option<DateTime<Utc>>,
    keep_for: TimeDelta,
    settle: TimeDelta,
    deadline: DateTime<Utc>,
) -> Result<(u64, bool), PortError> {
    let finished_at = match finished_at {
        Some(at) => at,
        None => match retention.record_finished_at(id, clock.now()).await? {
            Some(at) => at,
            // Stamped by a run alongside this one.
            None => return Ok((0, true)),
        },
    };
    if clock.now() < finished_at + settle {
        // Done for this run: a later one stamps it.
        return Ok((0, true));
    }
    let expires_at = finished_at + keep_for;
    let mut items = 0;
    while clock.now() < deadline {
        let stamped = retention.stamp_next(id, expires_at).await?;
        items += stamped.items;
        if stamped.done {
            return Ok((items, true));
        }
    }
    Ok((items, false))
}

#[cfg(test)]
mod tests;
