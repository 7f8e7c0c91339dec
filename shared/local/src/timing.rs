//! What `batchmsg run` needs to keep a batch's timing across restarts: the
//! sending window the batch was sent with (as the person typed it, parsed
//! again by core when used, so a later window syntax reads it the same),
//! schedules moved when overdue waves catch up, and the notes `status`
//! shows about waves that went late and texts the window paused.

use batchmsg_core::batch::BatchId;
use batchmsg_core::ports::{PortError, PortResult};
use batchmsg_core::waves::{LateBecause, TimingNote};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::Database;
use crate::time::{from_millis, to_millis};

impl Database {
    pub fn save_send_window(&self, batch: &BatchId, spec: &str) -> PortResult<()> {
        self.connection()
            .execute(
                "INSERT INTO send_windows (batch, spec) VALUES (?1, ?2)
                 ON CONFLICT (batch) DO UPDATE SET spec = excluded.spec",
                params![batch.as_str(), spec],
            )
            .map(drop)
            .map_err(PortError::new)
    }

    /// The sending window `batch` was sent with, as given; `None` if none.
    pub fn send_window(&self, batch: &BatchId) -> PortResult<Option<String>> {
        self.connection()
            .query_row(
                "SELECT spec FROM send_windows WHERE batch = ?1",
                [batch.as_str()],
                |row| row.get(0),
            )
            .optional()
            .map_err(PortError::new)
    }

    /// The schedules still to fire for `batch`, earliest first.
    pub fn pending_schedules(&self, batch: &BatchId) -> PortResult<Vec<(u32, DateTime<Utc>)>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached("SELECT wave, due FROM schedules WHERE batch = ?1 ORDER BY due, wave")
            .map_err(PortError::new)?;
        let rows = statement
            .query_map([batch.as_str()], |row| {
                Ok((row.get(0)?, from_millis(row.get(1)?)))
            })
            .map_err(PortError::new)?;
        rows.collect::<Result<_, _>>().map_err(PortError::new)
    }

    /// Moves schedules of `batch` to new times, and notes why, in one
    /// transaction.
    pub fn reschedule(
        &self,
        batch: &BatchId,
        moves: &[(u32, DateTime<Utc>)],
        late: &TimingNote,
    ) -> PortResult<()> {
        let mut connection = self.connection();
        let result = (|| {
            let transaction = connection.transaction()?;
            {
                let mut statement = transaction
                    .prepare("UPDATE schedules SET due = ?3 WHERE batch = ?1 AND wave = ?2")?;
                for (wave, due) in moves {
                    statement.execute(params![batch.as_str(), wave, to_millis(*due)])?;
                }
            }
            insert_note(&transaction, batch, late)?;
            transaction.commit()
        })();
        result.map_err(PortError::new)
    }

    /// Notes that the window paused texts (counted with others paused until
    /// the same opening).
    pub fn note_timing(&self, batch: &BatchId, note: &TimingNote) -> PortResult<()> {
        insert_note(&self.connection(), batch, note).map_err(PortError::new)
    }

    /// Everything noted about `batch`'s timing, in the order it happened.
    pub fn timing_notes(&self, batch: &BatchId) -> PortResult<Vec<TimingNote>> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT kind, wave, at, until, texts, because FROM timing_notes
                 WHERE batch = ?1 ORDER BY at, until",
            )
            .map_err(PortError::new)?;
        let rows = statement
            .query_map([batch.as_str()], |row| {
                let kind: String = row.get(0)?;
                let wave: Option<u32> = row.get(1)?;
                let (at, until) = (from_millis(row.get(2)?), from_millis(row.get(3)?));
                let because: Option<String> = row.get(5)?;
                Ok(match (kind.as_str(), wave) {
                    ("late", Some(wave)) => Some(TimingNote::Late {
                        wave,
                        due: at,
                        went: until,
                        because: match because.as_deref() {
                            Some("held-up") => LateBecause::HeldUp,
                            Some("confirmation") => LateBecause::WaitedForConfirmation,
                            _ => LateBecause::NotRunning,
                        },
                    }),
                    ("paused", _) => Some(TimingNote::Paused {
                        at,
                        resumes: until,
                        texts: row.get(4)?,
                    }),
                    _ => None,
                })
            })
            .map_err(PortError::new)?;
        let notes: Vec<Option<TimingNote>> =
            rows.collect::<Result<_, _>>().map_err(PortError::new)?;
        Ok(notes.into_iter().flatten().collect())
    }
}

fn insert_note(
    connection: &rusqlite::Connection,
    batch: &BatchId,
    note: &TimingNote,
) -> rusqlite::Result<()> {
    match note {
        TimingNote::Late {
            wave,
            due,
            went,
            because,
        } => {
            let because = match because {
                LateBecause::NotRunning => "not-running",
                LateBecause::HeldUp => "held-up",
                LateBecause::WaitedForConfirmation => "confirmation",
            };
            connection.execute(
                "INSERT INTO timing_notes (batch, key, kind, wave, at, until, because)
                 VALUES (?1, ?2, 'late', ?3, ?4, ?5, ?6)
                 ON CONFLICT (batch, key) DO UPDATE SET until = excluded.until,
                     because = excluded.because",
                params![
                    batch.as_str(),
                    format!("late-{wave}"),
                    wave,
                    to_millis(*due),
                    to_millis(*went),
                    because
                ],
            )?;
        }
        TimingNote::Paused { at, resumes, texts } => {
            connection.execute(
                "INSERT INTO timing_notes (batch, key, kind, at, until, texts)
                 VALUES (?1, ?2, 'paused', ?3, ?4, ?5)
                 ON CONFLICT (batch, key) DO UPDATE SET texts = texts + excluded.texts,
                     at = min(at, excluded.at)",
                params![
                    batch.as_str(),
                    format!("paused-{}", to_millis(*resumes)),
                    to_millis(*at),
                    to_millis(*resumes),
                    texts
                ],
            )?;
        }
    }
    Ok(())
}
