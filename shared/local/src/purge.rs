//! Deleting a finished batch's rows, with SQLite's `secure_delete` so the
//! patient data is overwritten rather than left in free pages, and then a
//! checkpoint that empties the write-ahead log of older copies. Which batches
//! may go is core's rule (`batchmsg_core::retention`).

use batchmsg_core::batch::BatchId;
use batchmsg_core::ports::{PortError, PortResult};

use crate::Database;

/// What was deleted for one batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgedRows {
    pub recipients: u64,
    pub waves: u64,
    pub queue_jobs: u64,
}

/// Every table that holds rows of a batch, by its batch column; `batches` last.
const TABLES: [(&str, &str); 8] = [
    ("recipients", "batch"),
    ("waves", "batch"),
    ("schedules", "batch"),
    ("queue", "batch"),
    ("send_rates", "batch"),
    ("send_windows", "batch"),
    ("timing_notes", "batch"),
    ("batches", "id"),
];

impl Database {
    /// Deletes `batch` and all its rows in one transaction, overwriting the
    /// deleted content.
    pub fn purge_batch(&self, batch: &BatchId) -> PortResult<PurgedRows> {
        let mut connection = self.connection();
        connection
            .pragma_update(None, "secure_delete", "ON")
            .map_err(PortError::new)?;
        let result = (|| {
            let transaction = connection.transaction()?;
            let mut purged = PurgedRows::default();
            for (table, column) in TABLES {
                let n = transaction.execute(
                    &format!("DELETE FROM {table} WHERE {column} = ?1"),
                    [batch.as_str()],
                )? as u64;
                match table {
                    "recipients" => purged.recipients = n,
                    "waves" => purged.waves = n,
                    "queue" => purged.queue_jobs = n,
                    _ => {}
                }
            }
            transaction.commit()?;
            Ok(purged)
        })();
        connection
            .pragma_update(None, "secure_delete", "FAST")
            .map_err(PortError::new)?;
        result.map_err(|e: rusqlite::Error| PortError::new(e))
    }

    /// Rewrites the database without its free space, where copies of rows
    /// deleted or updated before `secure_delete` was on can stay (a row's
    /// earlier status, a version without it). The new pages go through the
    /// log, which [`Self::checkpoint_and_truncate_log`] then empties.
    pub fn vacuum(&self) -> PortResult<()> {
        self.connection()
            .execute_batch("VACUUM")
            .map_err(PortError::new)
    }

    /// Copies the log into the database and empties it, so no older copy of
    /// a deleted row stays in `-wal`. `false` when another process's reading
    /// kept part of the log.
    pub fn checkpoint_and_truncate_log(&self) -> PortResult<bool> {
        let connection = self.connection();
        let busy: i64 = connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0))
            .map_err(PortError::new)?;
        Ok(busy == 0)
    }
}
