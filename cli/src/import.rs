//! `send`'s list into a new batch, on the use case AWS runs for an upload
//! (`validate_upload`): the batch is created `awaiting-upload`, the list is
//! put in the batch's folder as S3 would hold it, and validation stores the
//! recipients and reports and marks the batch `validated`. Only the adapters
//! differ: the folder store, the `--opted-out` file, SQLite.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use batchmsg_core::batch::{Batch, BatchId, Recipient};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::message::Template;
use batchmsg_core::ports::{BatchRepo, ObjectStore, SystemClock};
use batchmsg_core::report::write_summary;
use batchmsg_core::sending::{UploadKeys, UploadOutcome, validate_upload};
use batchmsg_core::validation::Summary;
use batchmsg_local::{FolderStore, OptedOutFile, batch_folder, summary_key, upload_keys};
use chrono::Utc;

use crate::runner::Local;

/// The patient list as named on the command line, opened: a path that
/// cannot be a list is refused before anything is created.
pub struct ListFile {
    file: File,
    /// The file's name, kept with the batch.
    pub name: String,
}

impl ListFile {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = File::open(path)
            .with_context(|| format!("cannot open the patient list {}", path.display()))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            bail!("{} is a folder, not a patient list", path.display());
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self { file, name })
    }
}

/// A batch validated from the list, before it is planned.
pub struct Imported {
    pub summary: Summary,
    /// The first recipient, whose text the plan shows.
    pub first: Option<Recipient>,
}

/// Validates `list` into the new batch `id`. The batch row is created
/// first: if `id` is taken (another `send` made the same id), nothing is
/// read, written or removed, and the error says so. If the list stops the
/// run (or anything fails) before a row was stored, the batch and its folder
/// are removed: nothing can upload another list for it. Once rows were
/// stored, `validate_upload` has cancelled it, as on AWS, and it stays,
/// cancelled, with the reason in its folder. Either way no batch is left
/// `validated`.
pub async fn import(
    local: &Local,
    id: &BatchId,
    template: &Template,
    list: ListFile,
    opted_out: &OptedOutFile,
) -> anyhow::Result<Imported> {
    let db = &local.db;
    let created = db
        .create_batch(&Batch {
            id: id.clone(),
            status: BatchStatus::AwaitingUpload,
            created_at: Utc::now(),
            list_name: list.name.clone(),
            message: template.source(),
            rows: 0,
            accepted: 0,
            not_accepted: 0,
        })
        .await?;
    if !created {
        return Err(id_taken(id));
    }
    let store = FolderStore::new(&local.data_dir);
    let result = validate(local, &store, id, list, opted_out).await;
    // The list's own copy goes whatever happened: the recipients and the
    // not-accepted list hold what is needed of it.
    let removed = store.remove(&upload_keys(id).upload);
    if result.is_err() {
        let gone = db.discard_unvalidated_batch(id).unwrap_or(false)
            || matches!(db.batch(id).await, Ok(None));
        if gone {
            let _ = std::fs::remove_dir_all(batch_folder(&local.data_dir, id));
        }
    }
    let imported = result?;
    removed?;
    Ok(imported)
}

/// Two sends made the same batch id: the second is refused before it
/// touches anything of the first.
pub fn id_taken(id: &BatchId) -> anyhow::Error {
    anyhow::anyhow!(
        "batch id {id} is already in use by another batch, so nothing was sent and nothing of \
         that batch was changed; run the same command again (each send makes a new id)"
    )
}

async fn validate(
    local: &Local,
    store: &FolderStore,
    id: &BatchId,
    mut list: ListFile,
    opted_out: &OptedOutFile,
) -> anyhow::Result<Imported> {
    let db = &local.db;
    let keys = put_list(store, id, &mut list.file).await?;
    let outcome = validate_upload(db, db, store, opted_out, &SystemClock, id, &keys).await?;
    let summary = match outcome {
        UploadOutcome::Validated(summary) => summary,
        UploadOutcome::Refused(reason) => bail!(reason),
        UploadOutcome::AlreadyDone(status) => {
            bail!("batch {id} became {status} while its list was being validated")
        }
    };
    let mut staged = store.stage()?;
    write_summary(&mut staged, &summary).map_err(anyhow::Error::from_boxed)?;
    staged.flush()?;
    store
        .put(&summary_key(id), staged, "application/json")
        .await?;
    tracing::info!(
        batch = %id,
        rows = summary.rows,
        accepted = summary.accepted,
        not_accepted = summary.not_accepted,
        "batch validated"
    );
    Ok(Imported {
        first: db.first_recipient(id)?,
        summary,
    })
}

/// Copies the list into the batch's folder, where validation reads it, and
/// returns the keys with the copy's tag: validation's two readings of it
/// then read the same bytes, even from a pipe.
async fn put_list(
    store: &FolderStore,
    id: &BatchId,
    list: &mut File,
) -> anyhow::Result<UploadKeys> {
    let mut keys = upload_keys(id);
    let mut staged = store.stage()?;
    std::io::copy(list, &mut staged).context("cannot read the patient list")?;
    staged.flush()?;
    store
        .put(&keys.upload, staged, "application/octet-stream")
        .await?;
    keys.tag = store.tag(&keys.upload)?;
    Ok(keys)
}
