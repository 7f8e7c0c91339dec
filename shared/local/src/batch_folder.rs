//! Each batch's folder in the data folder: its validation reports (kept for
//! the life of the batch) and the lock held by the process sending it.

use std::fs::File;
use std::path::{Path, PathBuf};

use batchmsg_core::batch::BatchId;
use batchmsg_core::report::{NOT_ACCEPTED_FILE, SUMMARY_FILE};
use batchmsg_core::sending::UploadKeys;

/// `<data dir>/batches/<batch id>`.
pub fn batch_folder(data_dir: &Path, batch: &BatchId) -> PathBuf {
    data_dir.join("batches").join(batch.as_str())
}

/// The key, in a [`crate::FolderStore`] over the data folder, of the file
/// `name` in the batch's folder.
pub fn batch_key(batch: &BatchId, name: &str) -> String {
    format!("batches/{batch}/{name}")
}

/// Where, in a [`crate::FolderStore`] over the data folder, a batch's list is
/// put for validation (`tag` still to be set), and where validation leaves
/// its not-accepted list and any reason the list could not be read: all in
/// the batch's folder. The list itself is removed once validated.
pub fn upload_keys(batch: &BatchId) -> UploadKeys {
    UploadKeys {
        upload: batch_key(batch, UPLOADED_LIST_FILE),
        tag: None,
        not_accepted: batch_key(batch, NOT_ACCEPTED_FILE),
        problem: batch_key(batch, PROBLEM_FILE),
    }
}

/// The list as given, while it is validated.
pub const UPLOADED_LIST_FILE: &str = "uploaded-list";
/// Why the list could not be read, as on AWS.
pub const PROBLEM_FILE: &str = "problem.txt";

/// The key of a batch's `summary.json`.
pub fn summary_key(batch: &BatchId) -> String {
    batch_key(batch, SUMMARY_FILE)
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "batch {0} is being sent by another batchmsg on this machine; \
         wait for it to finish, or stop it and run batchmsg run"
    )]
    Busy(BatchId),
    #[error("cannot lock batch {batch}: {source}")]
    Io {
        batch: BatchId,
        #[source]
        source: std::io::Error,
    },
}

/// Held while a process sends a batch. The operating system releases it when
/// the process ends, however it ends, so the next holder knows that anything
/// left `sending` was left by a process that has stopped.
#[derive(Debug)]
pub struct SendingLock {
    _file: File,
}

impl SendingLock {
    pub fn try_acquire(data_dir: &Path, batch: &BatchId) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            batch: batch.clone(),
            source,
        };
        let folder = batch_folder(data_dir, batch);
        crate::owner_only::create_dir_all(&folder).map_err(io)?;
        let file = crate::owner_only::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(folder.join("sending.lock"))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(LockError::Busy(batch.clone())),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_free_once_dropped() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let batch: BatchId = "b-1".parse().expect("an id");
        let held = SendingLock::try_acquire(dir.path(), &batch).expect("first");
        assert!(matches!(
            SendingLock::try_acquire(dir.path(), &batch),
            Err(LockError::Busy(_))
        ));
        drop(held);
        SendingLock::try_acquire(dir.path(), &batch).expect("free again");
    }
}
