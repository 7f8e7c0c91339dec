//! The `Retention` port in SQLite. SQLite deletes nothing by itself, so a
//! finished batch's expiry is one column of its row (`expires_at`), stamped
//! in one step; `batchmsg purge` is what deletes a finished batch's data on
//! one machine. This keeps the embedded store to the port's contract (the
//! conformance suite runs on it), so the use case behaves the same on both.

use batchmsg_core::batch::BatchId;
use batchmsg_core::ports::{Finished, PortError, PortResult, Retention, Stamped};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::Database;
use crate::time::{from_millis, to_millis};

impl Retention for Database {
    /// Through the partial index `batches_expiring`, oldest created first.
    async fn finished(&self, limit: usize) -> PortResult<Vec<Finished>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT id, finished_at FROM batches WHERE expiring = 1
                 ORDER BY created_at, id LIMIT ?1",
            )
            .map_err(PortError::new)?;
        let rows = statement
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?))
            })
            .map_err(PortError::new)?;
        let mut finished = Vec::new();
        for row in rows {
            let (id, at) = row.map_err(PortError::new)?;
            finished.push(Finished {
                id: id.parse().map_err(PortError::new)?,
                finished_at: at.map(from_millis),
            });
        }
        Ok(finished)
    }

    async fn record_finished_at(
        &self,
        batch: &BatchId,
        at: DateTime<Utc>,
    ) -> PortResult<Option<DateTime<Utc>>> {
        let recorded: Option<i64> = self
            .connection()
            .query_row(
                "UPDATE batches SET finished_at = coalesce(finished_at, ?2)
                 WHERE id = ?1 AND expiring = 1 RETURNING finished_at",
                params![batch.as_str(), to_millis(at)],
                |row| row.get(0),
            )
            .optional()
            .map_err(PortError::new)?;
        Ok(recorded.map(from_millis))
    }

    /// One UPDATE: the batch row is its one item here.
    async fn stamp_next(&self, batch: &BatchId, expires_at: DateTime<Utc>) -> PortResult<Stamped> {
        let stamped = self
            .connection()
            .execute(
                "UPDATE batches SET expires_at = ?2, expiring = 0 WHERE id = ?1 AND expiring = 1",
                params![batch.as_str(), to_millis(expires_at)],
            )
            .map_err(PortError::new)?;
        Ok(Stamped {
            items: stamped as u64,
            done: true,
        })
    }
}
