//! The rate each batch was sent at, so that `batchmsg run` resumes it at the
//! same rate. (On AWS the rate is the stack's, from its configuration.)

use std::num::NonZeroU32;

use batchmsg_core::batch::BatchId;
use batchmsg_core::ports::{PortError, PortResult};
use batchmsg_core::sending::RateUnit;
use rusqlite::{OptionalExtension, params};

use crate::Database;

impl Database {
    pub fn save_send_rate(
        &self,
        batch: &BatchId,
        per_second: Option<NonZeroU32>,
        unit: RateUnit,
    ) -> PortResult<()> {
        let unit = match unit {
            RateUnit::Texts => "texts",
            RateUnit::Fragments => "fragments",
        };
        self.connection()
            .execute(
                "INSERT INTO send_rates (batch, per_second, unit) VALUES (?1, ?2, ?3)
                 ON CONFLICT (batch) DO UPDATE SET per_second = excluded.per_second,
                     unit = excluded.unit",
                params![batch.as_str(), per_second.map(NonZeroU32::get), unit],
            )
            .map(drop)
            .map_err(PortError::new)
    }

    /// The rate `batch` was sent at: `None` if never recorded, `Some(None, _)`
    /// if it had no limit.
    pub fn send_rate(&self, batch: &BatchId) -> PortResult<Option<(Option<NonZeroU32>, RateUnit)>> {
        self.connection()
            .query_row(
                "SELECT per_second, unit FROM send_rates WHERE batch = ?1",
                [batch.as_str()],
                |row| {
                    let per_second: Option<u32> = row.get(0)?;
                    let unit: String = row.get(1)?;
                    Ok((
                        per_second.and_then(NonZeroU32::new),
                        if unit == "fragments" {
                            RateUnit::Fragments
                        } else {
                            RateUnit::Texts
                        },
                    ))
                },
            )
            .optional()
            .map_err(PortError::new)
    }
}
