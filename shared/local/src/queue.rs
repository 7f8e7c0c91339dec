//! The send queue in SQLite. Like SQS, delivery is at least once: a job taken
//! and not acknowledged (the sender stopped) is handed out again, and the
//! conditional claim keeps a repeated job from sending twice.

use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::ports::{PortError, PortResult, SendQueue};
use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::Database;
use crate::time::to_millis;

/// A job handed to a sender; acknowledge it once handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub seq: Seq,
}

impl Database {
    fn enqueue_at(&self, batch: &BatchId, seqs: &[Seq], at: i64) -> PortResult<()> {
        self.each_in_transaction(
            "INSERT INTO queue (batch, seq, available_at) VALUES (?1, ?2, ?3)",
            seqs,
            |statement, seq| statement.execute(params![batch.as_str(), seq, at]),
        )?;
        Ok(())
    }

    /// Queues jobs that may not be taken before `at` (after throttling).
    pub fn enqueue_later(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> PortResult<()> {
        self.enqueue_at(batch, seqs, to_millis(at))
    }

    /// Takes up to `limit` jobs of `batch` available at `now`, oldest first.
    pub fn take_jobs(
        &self,
        batch: &BatchId,
        limit: usize,
        now: DateTime<Utc>,
    ) -> PortResult<Vec<Job>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "UPDATE queue SET taken = 1 WHERE id IN (
                     SELECT id FROM queue WHERE batch = ?1 AND taken = 0 AND available_at <= ?2
                     ORDER BY id LIMIT ?3)
                 RETURNING id, seq",
            )
            .map_err(PortError::new)?;
        let rows = statement
            .query_map(
                params![batch.as_str(), to_millis(now), limit as i64],
                |row| {
                    Ok(Job {
                        id: row.get(0)?,
                        seq: row.get(1)?,
                    })
                },
            )
            .map_err(PortError::new)?;
        let mut jobs: Vec<Job> = rows.collect::<Result<_, _>>().map_err(PortError::new)?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// The jobs are handled: remove them.
    pub fn acknowledge(&self, jobs: &[Job]) -> PortResult<()> {
        self.each_in_transaction("DELETE FROM queue WHERE id = ?1", jobs, |statement, job| {
            statement.execute([job.id])
        })?;
        Ok(())
    }

    /// Hands out again every job of `batch` taken by a sender that stopped.
    /// Only for the process that holds the batch's lock.
    pub fn return_taken_jobs(&self, batch: &BatchId) -> PortResult<u64> {
        self.connection()
            .execute(
                "UPDATE queue SET taken = 0 WHERE batch = ?1 AND taken = 1",
                [batch.as_str()],
            )
            .map(|n| n as u64)
            .map_err(PortError::new)
    }

    /// Gives a job to every `queued` recipient of a released wave of `batch`
    /// that has none: a process that stopped between putting a text back to
    /// `queued` and queueing its job leaves it so, and nothing else would
    /// send it. How many were given one.
    pub fn queue_orphans(&self, batch: &BatchId, now: DateTime<Utc>) -> PortResult<u64> {
        self.connection()
            .execute(
                "INSERT INTO queue (batch, seq, available_at)
                 SELECT r.batch, r.seq, ?2 FROM recipients r
                 JOIN waves w ON w.batch = r.batch
                     AND r.seq >= w.first AND r.seq < w.first + w.size
                 WHERE r.batch = ?1 AND r.status = 'queued' AND w.status = 'released'
                     AND NOT EXISTS (
                         SELECT 1 FROM queue q WHERE q.batch = r.batch AND q.seq = r.seq)",
                params![batch.as_str(), to_millis(now)],
            )
            .map(|n| n as u64)
            .map_err(PortError::new)
    }

    /// Jobs of `batch` not yet acknowledged, and when the next one can be taken.
    pub fn queued_jobs(&self, batch: &BatchId) -> PortResult<(u64, Option<i64>)> {
        self.connection()
            .query_row(
                "SELECT count(*), min(CASE WHEN taken = 0 THEN available_at END)
                 FROM queue WHERE batch = ?1",
                [batch.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(PortError::new)
    }
}

impl SendQueue for Database {
    async fn enqueue_after(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        delay: std::time::Duration,
    ) -> PortResult<()> {
        if delay.is_zero() {
            return self.enqueue_at(batch, seqs, 0);
        }
        let delay = chrono::TimeDelta::from_std(delay).unwrap_or(chrono::TimeDelta::MAX);
        let at = Utc::now()
            .checked_add_signed(delay)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.enqueue_later(batch, seqs, at)
    }
}
