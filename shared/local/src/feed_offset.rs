//! What the receipt feed keeps in the database: how far it has read the
//! outbox, so a restart does not replay every receipt since the first text;
//! and whether a text may yet take a receipt that came too early, so that
//! receipt is kept (see [`crate::outbox::ReceiptFeed::retry_at`]).

use batchmsg_core::batch::Seq;
use batchmsg_core::delivery::RecipientStatus;
use batchmsg_core::ports::{PortError, PortResult};
use rusqlite::OptionalExtension;

use crate::Database;

impl Database {
    pub fn receipt_feed_offset(&self) -> PortResult<u64> {
        self.connection()
            .query_row(
                "SELECT outbox_offset FROM receipt_feed WHERE id = 1",
                [],
                |row| row.get(0),
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(PortError::new)
    }

    /// Whether the outbox in `data_dir` holds lines the receipt feed has not
    /// read: texts a process sent and stopped before their receipts came.
    pub fn receipts_unread(&self, data_dir: &std::path::Path) -> PortResult<bool> {
        let outbox = data_dir.join(crate::outbox::OUTBOX_FILE);
        let length = match std::fs::metadata(&outbox) {
            Ok(metadata) => metadata.len(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => 0,
            Err(error) => return Err(PortError::new(error)),
        };
        Ok(length > self.receipt_feed_offset()?)
    }

    pub fn save_receipt_feed_offset(&self, offset: u64) -> PortResult<()> {
        self.connection()
            .execute(
                "INSERT INTO receipt_feed (id, outbox_offset) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET outbox_offset = excluded.outbox_offset",
                [offset],
            )
            .map(drop)
            .map_err(PortError::new)
    }

    /// Whether text `seq` of `batch` may yet take a receipt: it is
    /// `sending` (its sender, or the recovery after that sender stopped,
    /// will record it `sent`), or `sent` already. Not when it is gone (its
    /// batch removed), final, or `queued` again.
    pub fn may_take_receipt(&self, batch: &str, seq: Seq) -> PortResult<bool> {
        let status: Option<String> = self
            .connection()
            .prepare_cached("SELECT status FROM recipients WHERE batch = ?1 AND seq = ?2")
            .and_then(|mut statement| {
                statement
                    .query_row(rusqlite::params![batch, seq], |row| row.get(0))
                    .optional()
            })
            .map_err(PortError::new)?;
        Ok(status.is_some_and(|status| {
            status == RecipientStatus::Sending.as_str() || status == RecipientStatus::Sent.as_str()
        }))
    }
}
