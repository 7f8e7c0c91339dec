//! Batches in SQLite.

use batchmsg_core::batch::{Batch, BatchId};
use batchmsg_core::delivery::{BatchEvent, BatchStatus};
use batchmsg_core::ports::{BatchRepo, ListCounts, PortError, PortResult, UploadClaim};
use rusqlite::{OptionalExtension, Row, params};

use crate::Database;
use crate::time::{from_millis, to_millis};
use crate::transition::moves_for;

const COLUMNS: &str = "id, status, created_at, list_name, message, rows, accepted, not_accepted";

/// `('sending', 'cancelled')`: the statuses a batch is open to the sweep in.
fn swept_statuses() -> String {
    let names: Vec<String> = BatchStatus::ALL
        .iter()
        .filter(|s| s.is_swept())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", names.join(", "))
}

fn batch_from(row: &Row<'_>) -> rusqlite::Result<Batch> {
    let id: String = row.get(0)?;
    let status: String = row.get(1)?;
    let bad = |i, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
    };
    Ok(Batch {
        id: id.parse().map_err(|e| bad(0, Box::new(e)))?,
        status: status.parse().map_err(|e| bad(1, Box::new(e)))?,
        created_at: from_millis(row.get(2)?),
        list_name: row.get(3)?,
        message: row.get(4)?,
        rows: row.get(5)?,
        accepted: row.get(6)?,
        not_accepted: row.get(7)?,
    })
}

/// `('completed')`: the statuses a batch is finished in the moment it
/// reaches them (final, and not left open to the sweep).
fn finished_statuses() -> String {
    let names: Vec<String> = BatchStatus::ALL
        .iter()
        .filter(|s| s.is_final() && !s.is_swept())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", names.join(", "))
}

pub(crate) fn open_batches_query() -> String {
    format!("SELECT {COLUMNS} FROM batches WHERE open = 1 ORDER BY created_at DESC, id DESC")
}

impl BatchRepo for Database {
    async fn create_batch(&self, batch: &Batch) -> PortResult<bool> {
        let created = self
            .connection()
            .execute(
                &format!(
                    "INSERT INTO batches ({COLUMNS}, open) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (id) DO NOTHING"
                ),
                params![
                    batch.id.as_str(),
                    batch.status.as_str(),
                    to_millis(batch.created_at),
                    batch.list_name,
                    batch.message,
                    batch.rows,
                    batch.accepted,
                    batch.not_accepted,
                    batch.status.is_swept(),
                ],
            )
            .map_err(PortError::new)?;
        Ok(created == 1)
    }

    async fn batch(&self, id: &BatchId) -> PortResult<Option<Batch>> {
        self.connection()
            .query_row(
                &format!("SELECT {COLUMNS} FROM batches WHERE id = ?1"),
                [id.as_str()],
                batch_from,
            )
            .optional()
            .map_err(PortError::new)
    }

    async fn batches(&self) -> PortResult<Vec<Batch>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {COLUMNS} FROM batches ORDER BY created_at DESC, id DESC"
            ))
            .map_err(PortError::new)?;
        let rows = statement
            .query_map([], batch_from)
            .map_err(PortError::new)?;
        rows.collect::<Result<_, _>>().map_err(PortError::new)
    }

    /// The open ones through the partial index `batches_open`.
    async fn open_batches(&self) -> PortResult<Vec<Batch>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(&open_batches_query())
            .map_err(PortError::new)?;
        let rows = statement
            .query_map([], batch_from)
            .map_err(PortError::new)?;
        rows.collect::<Result<_, _>>().map_err(PortError::new)
    }

    async fn close(&self, id: &BatchId) -> PortResult<bool> {
        let closed = self
            .connection()
            .execute(
                "UPDATE batches SET open = 0, expiring = 1
                 WHERE id = ?1 AND open = 1 AND status = ?2",
                params![id.as_str(), BatchStatus::Cancelled.as_str()],
            )
            .map_err(PortError::new)?;
        Ok(closed == 1)
    }

    async fn batch_event(&self, id: &BatchId, event: BatchEvent) -> PortResult<bool> {
        let m = moves_for!(BatchStatus, event);
        let moved = self
            .connection()
            .execute(
                &format!(
                    "UPDATE batches SET status = {new}, open = ({new}) IN {swept},
                         expiring = ({new}) IN {finished}
                     WHERE id = ?1 AND status IN {sources}",
                    new = m.new_status,
                    swept = swept_statuses(),
                    finished = finished_statuses(),
                    sources = m.sources
                ),
                [id.as_str()],
            )
            .map_err(PortError::new)?;
        Ok(moved == 1)
    }

    /// The first claim sets the tag where none is; otherwise the batch is
    /// this upload's again if it holds the same tag.
    async fn claim_upload(&self, id: &BatchId, tag: &str) -> PortResult<UploadClaim> {
        let connection = self.connection();
        let waiting = BatchStatus::AwaitingUpload.as_str();
        let first = connection
            .execute(
                "UPDATE batches SET upload_tag = ?2
                 WHERE id = ?1 AND status = ?3 AND upload_tag IS NULL",
                params![id.as_str(), tag, waiting],
            )
            .map_err(PortError::new)?;
        if first == 1 {
            return Ok(UploadClaim::First);
        }
        let again = connection
            .query_row(
                "SELECT count(*) FROM batches WHERE id = ?1 AND status = ?3 AND upload_tag = ?2",
                params![id.as_str(), tag, waiting],
                |row| row.get::<_, i64>(0),
            )
            .map_err(PortError::new)?;
        Ok(if again == 1 {
            UploadClaim::Again
        } else {
            UploadClaim::Refused
        })
    }

    async fn mark_validated(&self, id: &BatchId, counts: ListCounts) -> PortResult<bool> {
        let m = moves_for!(BatchStatus, BatchEvent::Validate);
        let moved = self
            .connection()
            .execute(
                &format!(
                    "UPDATE batches SET status = {}, rows = ?2, accepted = ?3, not_accepted = ?4
                     WHERE id = ?1 AND status IN {}",
                    m.new_status, m.sources
                ),
                params![
                    id.as_str(),
                    counts.rows,
                    counts.accepted,
                    counts.not_accepted
                ],
            )
            .map_err(PortError::new)?;
        Ok(moved == 1)
    }
}
