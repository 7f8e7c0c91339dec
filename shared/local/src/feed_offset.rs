//! How far the receipt feed has read the outbox, so a restart does not
//! replay every receipt since the first text.

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
}
