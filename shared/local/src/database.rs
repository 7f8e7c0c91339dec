//! The one SQLite database in the data folder, and its schema.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use batchmsg_core::ports::{PortError, PortResult};
use rusqlite::Connection;

pub const DATABASE_FILE: &str = "batchmsg.sqlite3";

/// Each entry moves the schema up one version; applied in order, once.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE templates (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        text TEXT NOT NULL
    ) STRICT;",
    // Times are milliseconds since 1970 (UTC).
    "CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        list_name TEXT NOT NULL,
        message TEXT NOT NULL,
        rows INTEGER NOT NULL,
        accepted INTEGER NOT NULL,
        not_accepted INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE recipients (
        batch TEXT NOT NULL,
        seq INTEGER NOT NULL,
        row INTEGER NOT NULL,
        nhs_number TEXT NOT NULL,
        mobile TEXT NOT NULL,
        body TEXT NOT NULL,
        encoding TEXT NOT NULL,
        fragments INTEGER NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        provider_id TEXT,
        claimed_at INTEGER,
        sent_at INTEGER,
        receipt_at INTEGER,
        PRIMARY KEY (batch, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE UNIQUE INDEX recipients_by_provider_id ON recipients (provider_id)
        WHERE provider_id IS NOT NULL;
    CREATE INDEX recipients_by_status ON recipients (batch, status);
    CREATE TABLE waves (
        batch TEXT NOT NULL,
        number INTEGER NOT NULL,
        first INTEGER NOT NULL,
        size INTEGER NOT NULL,
        due INTEGER NOT NULL,
        status TEXT NOT NULL,
        PRIMARY KEY (batch, number)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE schedules (
        batch TEXT NOT NULL,
        wave INTEGER NOT NULL,
        due INTEGER NOT NULL,
        PRIMARY KEY (batch, wave)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX schedules_by_due ON schedules (due);
    CREATE TABLE queue (
        id INTEGER PRIMARY KEY,
        batch TEXT NOT NULL,
        seq INTEGER NOT NULL,
        available_at INTEGER NOT NULL,
        taken INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX queue_by_batch ON queue (batch, taken, id);
    CREATE TABLE send_rates (
        batch TEXT PRIMARY KEY,
        per_second INTEGER,
        unit TEXT NOT NULL
    ) STRICT;
    CREATE TABLE receipt_feed (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        outbox_offset INTEGER NOT NULL
    ) STRICT;",
    // The upload a batch is validated from (S3's ETag; the folder store's tag).
    "ALTER TABLE batches ADD COLUMN upload_tag TEXT;",
    // What the sweep and `batchmsg run` look for, in partial indexes, so that
    // finished batches, however many, are never read: batches open to the
    // sweep (sending, or cancelled until it closes them), texts `sending`,
    // waves `releasing`.
    "ALTER TABLE batches ADD COLUMN open INTEGER NOT NULL DEFAULT 0;
    UPDATE batches SET open = 1 WHERE status IN ('sending', 'cancelled');
    CREATE INDEX batches_open ON batches (created_at, id) WHERE open = 1;
    CREATE INDEX recipients_sending ON recipients (batch) WHERE status = 'sending';
    CREATE INDEX waves_releasing ON waves (batch) WHERE status = 'releasing';
    CREATE INDEX batches_awaiting_upload ON batches (id) WHERE status = 'awaiting-upload';",
    // Each batch's sending window as the person sending gave it, applied to
    // every text; and what `status` says about waves that went late and
    // texts the window paused.
    "CREATE TABLE send_windows (
        batch TEXT PRIMARY KEY,
        spec TEXT NOT NULL
    ) STRICT;
    CREATE TABLE timing_notes (
        batch TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        wave INTEGER,
        at INTEGER NOT NULL,
        until INTEGER NOT NULL,
        texts INTEGER NOT NULL DEFAULT 0,
        because TEXT,
        PRIMARY KEY (batch, key)
    ) STRICT;",
    // When a queued recipient was last given a job (released, queued again,
    // or by the sweep's rule for lost jobs), and the waves not yet released,
    // apart from the rest: what `queued_without_job_since` and
    // `unreleased_due_before` read.
    "ALTER TABLE recipients ADD COLUMN job_at INTEGER;
    CREATE INDEX waves_unreleased ON waves (due, batch, number)
        WHERE status IN ('pending', 'releasing');",
    // Finished batches (completed, or cancelled and closed) until the
    // retention run records their expiry (`batchmsg_core::retention`), in
    // a partial index: when each was first seen finished, and when its data
    // may go (`batchmsg purge` deletes; SQLite has no time to live).
    "ALTER TABLE batches ADD COLUMN expiring INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE batches ADD COLUMN finished_at INTEGER;
    ALTER TABLE batches ADD COLUMN expires_at INTEGER;
    UPDATE batches SET expiring = 1 WHERE open = 0 AND status IN ('completed', 'cancelled');
    CREATE INDEX batches_expiring ON batches (created_at, id) WHERE expiring = 1;",
];

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the database file {path} owner-only: {source}")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the data folder {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the database {path} was written by a newer batchmsg (schema {found}, this one knows {known}): \
         use that version, or another --data-dir"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: usize,
    },
}

/// A connection shared by the adapters; SQLite work is short, so one
/// connection behind a mutex serves the whole process.
pub struct Database {
    connection: Mutex<Connection>,
}

/// Two connections switching a new database to WAL at once can each hold
/// the read lock the other must upgrade past; SQLite answers one "busy" at
/// once rather than wait (a wait could never end), so it tries again.
fn switch_to_wal(connection: &Connection) -> rusqlite::Result<()> {
    let mut tries = 0;
    loop {
        match connection.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && tries < 100 =>
            {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            done => return done,
        }
    }
}

impl Database {
    /// Opens (creating if need be) the database in `data_dir`, in WAL mode,
    /// with the schema brought up to date.
    pub fn open(data_dir: &Path) -> Result<Self, OpenError> {
        crate::owner_only::create_dir_all(data_dir)
            .and_then(|()| crate::owner_only::restrict_dir(data_dir))
            .map_err(|source| OpenError::Folder {
                path: data_dir.to_owned(),
                source,
            })?;
        let path = data_dir.join(DATABASE_FILE);
        // SQLite creates the -wal and -shm files with the database file's
        // permissions, so the database file is made owner-only first.
        crate::owner_only::options()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .and_then(|_| crate::owner_only::restrict(&path))
            .and_then(|()| crate::durable::sync_dir(data_dir))
            .map_err(|source| OpenError::File {
                path: path.clone(),
                source,
            })?;
        let sqlite = |source| OpenError::Sqlite {
            path: path.clone(),
            source,
        };
        let mut connection = Connection::open(&path).map_err(sqlite)?;
        // The timeout first: two processes opening a new folder at once both
        // switch it to WAL and bring its schema up to date. `FULL` syncs the
        // WAL at every commit: under `NORMAL` a committed claim can roll back
        // in a power loss while its text stays in the outbox, and the text is
        // sent again (see `durable`). Patient data is overwritten where it is
        // deleted or updated (`FAST`: within the page, at no extra I/O);
        // `batchmsg purge` vacuums away what came before.
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .and_then(|()| switch_to_wal(&connection))
            .and_then(|()| connection.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| connection.pragma_update(None, "secure_delete", "FAST"))
            .map_err(sqlite)?;
        // Read and migrate under the write lock, so a second process opening
        // at the same moment waits and then finds the schema made.
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let version: i64 = transaction
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(sqlite)?;
        if version > MIGRATIONS.len() as i64 {
            return Err(OpenError::TooNew {
                path,
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        for (done, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            transaction.execute_batch(migration).map_err(sqlite)?;
            transaction
                .pragma_update(None, "user_version", done as i64 + 1)
                .map_err(sqlite)?;
        }
        transaction.commit().map_err(sqlite)?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    /// Runs `sql`, bound by `bind`, once for each of `items` in one
    /// transaction; how many rows it changed in all.
    pub(crate) fn each_in_transaction<T>(
        &self,
        sql: &str,
        items: &[T],
        mut bind: impl FnMut(&mut rusqlite::Statement<'_>, &T) -> rusqlite::Result<usize>,
    ) -> PortResult<usize> {
        if items.is_empty() {
            return Ok(0);
        }
        let mut connection = self.connection();
        let transaction = connection.transaction().map_err(PortError::new)?;
        let mut changed = 0;
        {
            let mut statement = transaction.prepare_cached(sql).map_err(PortError::new)?;
            for item in items {
                changed += bind(&mut statement, item).map_err(PortError::new)?;
            }
        }
        transaction.commit().map_err(PortError::new)?;
        Ok(changed)
    }

    pub(crate) fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent
        // (the transaction rolls back), so a poisoned lock is still usable.
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_twice_keeps_the_schema_and_uses_wal() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        Database::open(dir.path()).expect("creates");
        let again = Database::open(dir.path()).expect("opens again");
        let connection = again.connection();
        let mode: String = connection
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .expect("reads the journal mode");
        assert_eq!(mode, "wal");
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("reads the version");
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_newer_schema_is_refused_not_damaged() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        drop(Database::open(dir.path()).expect("creates"));
        let raw = Connection::open(dir.path().join(DATABASE_FILE)).expect("opens");
        raw.pragma_update(None, "user_version", 99).expect("sets");
        drop(raw);
        assert!(matches!(
            Database::open(dir.path()),
            Err(OpenError::TooNew { found: 99, .. })
        ));
    }
}
