//! Waves in SQLite, and the in-process scheduler that fires them: a table of
//! schedules, one per wave, each removed once it fires (as EventBridge
//! Scheduler's ActionAfterCompletion DELETE does).

use batchmsg_core::batch::{BatchId, Wave};
use batchmsg_core::delivery::{WaveEvent, WaveStatus};
use batchmsg_core::ports::{PortError, PortResult, WaveRepo, WaveScheduler};
use chrono::{DateTime, Utc};
use rusqlite::params;

use crate::Database;
use crate::time::{from_millis, to_millis};
use crate::transition::moves_for;

/// A wave whose time has come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueWave {
    pub batch: BatchId,
    pub wave: u32,
    pub due: DateTime<Utc>,
}

impl WaveRepo for Database {
    async fn insert_waves(&self, batch: &BatchId, waves: &[Wave]) -> PortResult<()> {
        self.each_in_transaction(
            "INSERT INTO waves (batch, number, first, size, due, status)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending')
             ON CONFLICT (batch, number) DO NOTHING",
            waves,
            |statement, w| {
                statement.execute(params![
                    batch.as_str(),
                    w.number,
                    w.first,
                    w.size,
                    to_millis(w.due)
                ])
            },
        )?;
        Ok(())
    }

    async fn waves(&self, batch: &BatchId) -> PortResult<Vec<Wave>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT number, first, size, due, status FROM waves
                 WHERE batch = ?1 ORDER BY number",
            )
            .map_err(PortError::new)?;
        let rows = statement
            .query_map([batch.as_str()], wave_from_row)
            .map_err(PortError::new)?;
        rows.collect::<Result<_, _>>().map_err(PortError::new)
    }

    async fn unreleased_due_before(
        &self,
        before: DateTime<Utc>,
    ) -> PortResult<Vec<(BatchId, Wave)>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(UNRELEASED_DUE_BEFORE)
            .map_err(PortError::new)?;
        let rows = statement
            .query_map([to_millis(before)], |row| {
                let batch: String = row.get(5)?;
                Ok((batch, wave_from_row(row)?))
            })
            .map_err(PortError::new)?;
        let mut overdue = Vec::new();
        for row in rows {
            let (batch, wave) = row.map_err(PortError::new)?;
            overdue.push((batch.parse().map_err(PortError::new)?, wave));
        }
        Ok(overdue)
    }

    async fn wave_event(&self, batch: &BatchId, wave: u32, event: WaveEvent) -> PortResult<bool> {
        let m = moves_for!(WaveStatus, event);
        let changed = self
            .connection()
            .execute(
                &format!(
                    "UPDATE waves SET status = {} WHERE batch = ?1 AND number = ?2 AND status IN {}",
                    m.new_status, m.sources
                ),
                params![batch.as_str(), wave],
            )
            .map_err(PortError::new)?;
        Ok(changed == 1)
    }
}

impl WaveScheduler for Database {
    async fn schedule(&self, batch: &BatchId, waves: &[Wave]) -> PortResult<()> {
        self.each_in_transaction(
            "INSERT INTO schedules (batch, wave, due) VALUES (?1, ?2, ?3)
             ON CONFLICT (batch, wave) DO NOTHING",
            waves,
            |statement, w| statement.execute(params![batch.as_str(), w.number, to_millis(w.due)]),
        )?;
        Ok(())
    }

    async fn unschedule(&self, batch: &BatchId, waves: &[u32]) -> PortResult<()> {
        self.each_in_transaction(
            "DELETE FROM schedules WHERE batch = ?1 AND wave = ?2",
            waves,
            |statement, wave| statement.execute(params![batch.as_str(), wave]),
        )?;
        Ok(())
    }
}

impl Database {
    /// Schedules of `batch` due at `now` or before, earliest first.
    pub fn due_waves(&self, batch: &BatchId, now: DateTime<Utc>) -> PortResult<Vec<DueWave>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT wave, due FROM schedules WHERE batch = ?1 AND due <= ?2 ORDER BY due, wave",
            )
            .map_err(PortError::new)?;
        let rows = statement
            .query_map(params![batch.as_str(), to_millis(now)], |row| {
                Ok(DueWave {
                    batch: batch.clone(),
                    wave: row.get(0)?,
                    due: from_millis(row.get(1)?),
                })
            })
            .map_err(PortError::new)?;
        rows.collect::<Result<_, _>>().map_err(PortError::new)
    }

    /// When the next schedule of `batch` fires, if any is left.
    pub fn next_due(&self, batch: &BatchId) -> PortResult<Option<DateTime<Utc>>> {
        self.connection()
            .query_row(
                "SELECT min(due) FROM schedules WHERE batch = ?1",
                [batch.as_str()],
                |row| row.get::<_, Option<i64>>(0),
            )
            .map(|due| due.map(from_millis))
            .map_err(PortError::new)
    }

    /// The schedule has fired: remove it.
    pub fn fired(&self, due: &DueWave) -> PortResult<()> {
        self.connection()
            .execute(
                "DELETE FROM schedules WHERE batch = ?1 AND wave = ?2",
                params![due.batch.as_str(), due.wave],
            )
            .map(drop)
            .map_err(PortError::new)
    }

    /// Batches with a schedule still to fire, a job in the queue, a text
    /// `sending` or a wave `releasing`: the work `batchmsg run` looks for.
    /// Each is read from a table or partial index that holds only work left
    /// (fired schedules and done jobs are deleted), so finished batches are
    /// never read.
    pub fn batches_with_work(&self) -> PortResult<Vec<BatchId>> {
        self.batch_ids(BATCHES_WITH_WORK)
    }

    /// Batches still `awaiting-upload`: on one machine, lists whose
    /// validation is running or was cut off (`send` holds the batch's lock
    /// while it validates).
    pub fn awaiting_upload(&self) -> PortResult<Vec<BatchId>> {
        self.batch_ids(AWAITING_UPLOAD)
    }

    /// The batch ids `sql` selects, in its first column.
    fn batch_ids(&self, sql: &str) -> PortResult<Vec<BatchId>> {
        let connection = self.connection();
        let mut statement = connection.prepare(sql).map_err(PortError::new)?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(PortError::new)?;
        let mut ids = Vec::new();
        for row in rows {
            let id = row.map_err(PortError::new)?;
            ids.push(id.parse().map_err(PortError::new)?);
        }
        Ok(ids)
    }
}

pub(crate) const AWAITING_UPLOAD: &str =
    "SELECT id FROM batches WHERE status = 'awaiting-upload' ORDER BY id";

/// Read through the partial index `waves_unreleased` only.
pub(crate) const UNRELEASED_DUE_BEFORE: &str =
    "SELECT number, first, size, due, status, batch FROM waves
     WHERE status IN ('pending', 'releasing') AND due < ?1
     ORDER BY due, batch, number";

pub(crate) const BATCHES_WITH_WORK: &str =
    "SELECT batch FROM schedules UNION SELECT batch FROM queue
     UNION SELECT batch FROM recipients WHERE status = 'sending'
     UNION SELECT batch FROM waves WHERE status = 'releasing'
     UNION SELECT id FROM batches INDEXED BY batches_open WHERE open = 1
     ORDER BY 1";

/// A wave from a row whose first five columns are number, first, size, due
/// and status.
fn wave_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Wave> {
    let status: String = row.get(4)?;
    Ok(Wave {
        number: row.get(0)?,
        first: row.get(1)?,
        size: row.get(2)?,
        due: from_millis(row.get(3)?),
        status: status.parse::<WaveStatus>().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
        })?,
    })
}
