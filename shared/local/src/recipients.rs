//! Recipients in SQLite. Every change of status is one conditional update
//! per recipient, many to a transaction.

use std::ops::Range;

use batchmsg_core::batch::{BatchId, Recipient, RecipientRecord, Seq, StatusCounts};
use batchmsg_core::delivery::{BatchStatus, RecipientEvent, RecipientStatus};
use batchmsg_core::ports::{
    PortError, PortResult, Published, Receipt, ReceiptApplied, ReceiptOutcome, RecipientRepo,
};
use batchmsg_core::sms::Encoding;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

use crate::Database;
use crate::time::{from_millis, to_millis};
use crate::transition::moves_for;

const RECIPIENT_COLUMNS: &str = "seq, row, nhs_number, mobile, body, encoding, fragments";

pub use batchmsg_core::delivery::CANCELLED_REASON;

fn conversion(i: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
}

fn recipient_from(row: &Row<'_>) -> rusqlite::Result<Recipient> {
    let encoding: String = row.get(5)?;
    let nhs_number: String = row.get(2)?;
    let mobile: String = row.get(3)?;
    Ok(Recipient {
        seq: row.get(0)?,
        row: row.get(1)?,
        nhs_number: nhs_number.parse().map_err(|e| conversion(2, e))?,
        mobile: mobile.parse().map_err(|e| conversion(3, e))?,
        body: row.get::<_, String>(4)?.into(),
        encoding: match encoding.as_str() {
            "UCS-2" => Encoding::Ucs2,
            _ => Encoding::Gsm7,
        },
        fragments: row.get(6)?,
    })
}

fn status_from(row: &Row<'_>, i: usize) -> rusqlite::Result<RecipientStatus> {
    let status: String = row.get(i)?;
    status.parse().map_err(|e| conversion(i, e))
}

impl RecipientRepo for Database {
    async fn insert_recipients(&self, batch: &BatchId, recipients: &[Recipient]) -> PortResult<()> {
        self.each_in_transaction(
            "INSERT INTO recipients
                 (batch, seq, row, nhs_number, mobile, body, encoding, fragments, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued')
             ON CONFLICT (batch, seq) DO NOTHING",
            recipients,
            |statement, r| {
                statement.execute(params![
                    batch.as_str(),
                    r.seq,
                    r.row,
                    r.nhs_number.to_string(),
                    r.mobile.e164().as_str(),
                    r.body.as_str(),
                    r.encoding.as_str(),
                    r.fragments
                ])
            },
        )?;
        Ok(())
    }

    async fn queued_in(&self, batch: &BatchId, range: Range<Seq>) -> PortResult<Vec<Seq>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT seq FROM recipients
                 WHERE batch = ?1 AND seq >= ?2 AND seq < ?3 AND status = 'queued'
                 ORDER BY seq",
            )
            .map_err(PortError::new)?;
        let seqs = statement
            .query_map(params![batch.as_str(), range.start, range.end], |row| {
                row.get(0)
            })
            .map_err(PortError::new)?;
        seqs.collect::<Result<_, _>>().map_err(PortError::new)
    }

    async fn queued_without_job_since(
        &self,
        batch: &BatchId,
        range: Range<Seq>,
        before: DateTime<Utc>,
    ) -> PortResult<Vec<Seq>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT seq FROM recipients
                 WHERE batch = ?1 AND seq >= ?2 AND seq < ?3 AND status = 'queued'
                     AND (job_at IS NULL OR job_at < ?4)
                 ORDER BY seq",
            )
            .map_err(PortError::new)?;
        let seqs = statement
            .query_map(
                params![batch.as_str(), range.start, range.end, to_millis(before)],
                |row| row.get(0),
            )
            .map_err(PortError::new)?;
        seqs.collect::<Result<_, _>>().map_err(PortError::new)
    }

    async fn gave_jobs(&self, batch: &BatchId, seqs: &[Seq], at: DateTime<Utc>) -> PortResult<()> {
        self.each_in_transaction(
            "UPDATE recipients SET job_at = MAX(COALESCE(job_at, ?3), ?3)
             WHERE batch = ?1 AND seq = ?2 AND status = 'queued'",
            seqs,
            |statement, seq| statement.execute(params![batch.as_str(), seq, to_millis(at)]),
        )?;
        Ok(())
    }

    async fn claim(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> PortResult<Vec<Recipient>> {
        let m = moves_for!(RecipientStatus, RecipientEvent::Claim);
        let sql = format!(
            "UPDATE recipients SET status = {}, claimed_at = ?3
             WHERE batch = ?1 AND seq = ?2 AND status IN {}
             RETURNING {RECIPIENT_COLUMNS}",
            m.new_status, m.sources
        );
        let at = to_millis(at);
        let mut claimed = Vec::with_capacity(seqs.len());
        self.each_in_transaction(&sql, seqs, |statement, seq| {
            let mut rows = statement.query(params![batch.as_str(), seq, at])?;
            match rows.next()? {
                Some(row) => {
                    claimed.push(recipient_from(row)?);
                    Ok(1)
                }
                None => Ok(0),
            }
        })?;
        Ok(claimed)
    }

    async fn mark_sent(&self, batch: &BatchId, published: &[Published]) -> PortResult<()> {
        let m = moves_for!(RecipientStatus, RecipientEvent::Published);
        let sql = format!(
            "UPDATE recipients SET status = {}, provider_id = ?3, sent_at = ?4
             WHERE batch = ?1 AND seq = ?2 AND status IN {}",
            m.new_status, m.sources
        );
        self.each_in_transaction(&sql, published, |statement, p| {
            statement.execute(params![
                batch.as_str(),
                p.seq,
                p.provider_id,
                to_millis(p.at)
            ])
        })?;
        Ok(())
    }

    async fn requeue(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<()> {
        let m = moves_for!(RecipientStatus, RecipientEvent::Throttled);
        // The job it goes back to counts from its claim, unless a later one
        // was recorded (see `queued_without_job_since`).
        let sql = format!(
            "UPDATE recipients SET status = {},
                 job_at = MAX(COALESCE(job_at, claimed_at), COALESCE(claimed_at, job_at)),
                 claimed_at = NULL
             WHERE batch = ?1 AND seq = ?2 AND status IN {}",
            m.new_status, m.sources
        );
        self.each_in_transaction(&sql, seqs, |statement, seq| {
            statement.execute(params![batch.as_str(), seq])
        })?;
        Ok(())
    }

    async fn fail_technical(
        &self,
        batch: &BatchId,
        failed: &[(Seq, String)],
        at: DateTime<Utc>,
    ) -> PortResult<()> {
        let m = moves_for!(RecipientStatus, RecipientEvent::TechnicalFailure);
        let sql = format!(
            "UPDATE recipients SET status = {}, reason = ?3, receipt_at = ?4
             WHERE batch = ?1 AND seq = ?2 AND status IN {}",
            m.new_status, m.sources
        );
        let at = to_millis(at);
        self.each_in_transaction(&sql, failed, |statement, (seq, reason)| {
            statement.execute(params![batch.as_str(), seq, reason, at])
        })?;
        Ok(())
    }

    async fn record_receipt(&self, receipt: &Receipt) -> PortResult<ReceiptApplied> {
        apply_receipt(&self.connection(), receipt).map_err(PortError::new)
    }

    /// In one transaction: with every commit synced to disk, one each would
    /// cost a sync a receipt.
    async fn record_receipts(&self, receipts: &[Receipt]) -> PortResult<Vec<ReceiptApplied>> {
        let mut connection = self.connection();
        let transaction = connection.transaction().map_err(PortError::new)?;
        let applied = receipts
            .iter()
            .map(|receipt| apply_receipt(&transaction, receipt))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(PortError::new)?;
        transaction.commit().map_err(PortError::new)?;
        Ok(applied)
    }

    async fn cancel_queued(&self, batch: &BatchId, at: DateTime<Utc>) -> PortResult<u64> {
        let m = moves_for!(RecipientStatus, RecipientEvent::Cancel);
        let changed = self
            .connection()
            .execute(
                &format!(
                    "UPDATE recipients SET status = {}, reason = ?2, receipt_at = ?3
                     WHERE batch = ?1 AND status IN {}",
                    m.new_status, m.sources
                ),
                params![batch.as_str(), CANCELLED_REASON, to_millis(at)],
            )
            .map_err(PortError::new)?;
        Ok(changed as u64)
    }

    async fn cancel_these(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> PortResult<u64> {
        let m = moves_for!(RecipientStatus, RecipientEvent::Cancel);
        let sql = format!(
            "UPDATE recipients SET status = {}, reason = ?3, receipt_at = ?4
             WHERE batch = ?1 AND seq = ?2 AND status IN {}",
            m.new_status, m.sources
        );
        let at = to_millis(at);
        let changed = self.each_in_transaction(&sql, seqs, |statement, seq| {
            statement.execute(params![batch.as_str(), seq, CANCELLED_REASON, at])
        })?;
        Ok(changed as u64)
    }

    async fn sending(&self, batch: &BatchId) -> PortResult<Vec<(Seq, DateTime<Utc>)>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT seq, claimed_at FROM recipients
                 WHERE batch = ?1 AND status = 'sending' ORDER BY seq",
            )
            .map_err(PortError::new)?;
        let rows = statement
            .query_map([batch.as_str()], |row| {
                Ok((
                    row.get(0)?,
                    from_millis(row.get::<_, Option<i64>>(1)?.unwrap_or(0)),
                ))
            })
            .map_err(PortError::new)?;
        rows.collect::<Result<_, _>>().map_err(PortError::new)
    }

    async fn counts(&self, batch: &BatchId, range: Option<Range<Seq>>) -> PortResult<StatusCounts> {
        let range = range.unwrap_or(0..Seq::MAX);
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT status, reason, count(*) FROM recipients
                 WHERE batch = ?1 AND seq >= ?2 AND seq < ?3
                 GROUP BY status, reason ORDER BY status, count(*) DESC, reason",
            )
            .map_err(PortError::new)?;
        let rows = statement
            .query_map(params![batch.as_str(), range.start, range.end], |row| {
                Ok((
                    status_from(row, 0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, u64>(2)?,
                ))
            })
            .map_err(PortError::new)?;
        let mut counts = StatusCounts::default();
        for row in rows {
            let (status, reason, n) = row.map_err(PortError::new)?;
            match counts.by_status.iter_mut().find(|(s, _)| *s == status) {
                Some((_, total)) => *total += n,
                None => counts.by_status.push((status, n)),
            }
            if let Some(reason) = reason {
                counts.reasons.push((status, reason, n));
            }
        }
        Ok(counts)
    }

    async fn records(&self, batch: &BatchId) -> PortResult<Vec<RecipientRecord>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {RECIPIENT_COLUMNS}, status, reason, provider_id, sent_at, receipt_at
                 FROM recipients WHERE batch = ?1 ORDER BY seq"
            ))
            .map_err(PortError::new)?;
        let rows = statement
            .query_map([batch.as_str()], |row| {
                Ok(RecipientRecord {
                    recipient: recipient_from(row)?,
                    status: status_from(row, 7)?,
                    reason: row.get(8)?,
                    provider_id: row.get(9)?,
                    sent_at: row.get::<_, Option<i64>>(10)?.map(from_millis),
                    receipt_at: row.get::<_, Option<i64>>(11)?.map(from_millis),
                })
            })
            .map_err(PortError::new)?;
        rows.collect::<Result<_, _>>().map_err(PortError::new)
    }
}

impl Database {
    /// The batch's first recipient in list order, as stored.
    pub fn first_recipient(&self, batch: &BatchId) -> PortResult<Option<Recipient>> {
        self.connection()
            .query_row(
                &format!(
                    "SELECT {RECIPIENT_COLUMNS} FROM recipients WHERE batch = ?1 ORDER BY seq LIMIT 1"
                ),
                [batch.as_str()],
                recipient_from,
            )
            .optional()
            .map_err(PortError::new)
    }

    /// Removes a batch still `awaiting-upload` (its list never validated),
    /// with any recipients stored for it; `false`, changing nothing, for any
    /// other batch. On one machine no second upload can come for it, so a
    /// list that stopped before any row was stored leaves no batch behind.
    pub fn discard_unvalidated_batch(&self, batch: &BatchId) -> PortResult<bool> {
        let mut connection = self.connection();
        let transaction = connection.transaction().map_err(PortError::new)?;
        let removed = transaction
            .execute(
                "DELETE FROM batches WHERE id = ?1 AND status = ?2",
                params![batch.as_str(), BatchStatus::AwaitingUpload.as_str()],
            )
            .map_err(PortError::new)?;
        if removed == 1 {
            transaction
                .execute("DELETE FROM recipients WHERE batch = ?1", [batch.as_str()])
                .map_err(PortError::new)?;
        }
        transaction.commit().map_err(PortError::new)?;
        Ok(removed == 1)
    }
}

/// Moves the recipient whose text has the receipt's provider id, if the
/// receipt applies to its status.
fn apply_receipt(
    connection: &rusqlite::Connection,
    receipt: &Receipt,
) -> rusqlite::Result<ReceiptApplied> {
    let event = match receipt.outcome {
        ReceiptOutcome::Delivered => RecipientEvent::Delivered,
        ReceiptOutcome::TemporaryFailure => RecipientEvent::TemporaryFailure,
        ReceiptOutcome::PermanentFailure => RecipientEvent::PermanentFailure,
    };
    let m = moves_for!(RecipientStatus, event);
    let sql = format!(
        "UPDATE recipients SET status = {}, reason = ?2, receipt_at = ?3
         WHERE provider_id = ?1 AND status IN {}",
        m.new_status, m.sources
    );
    let changed = connection.prepare_cached(&sql)?.execute(params![
        receipt.provider_id,
        receipt.reason,
        to_millis(receipt.at)
    ])?;
    if changed == 1 {
        return Ok(ReceiptApplied::Applied);
    }
    let known = connection
        .prepare_cached("SELECT 1 FROM recipients WHERE provider_id = ?1")?
        .exists([&receipt.provider_id])?;
    Ok(if known {
        ReceiptApplied::Ignored
    } else {
        ReceiptApplied::NotYetKnown
    })
}
