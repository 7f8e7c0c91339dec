//! An uploaded list becomes a validated batch: every row accepted or not,
//! recipients stored, the not-accepted list kept beside the upload.

use std::io::{Read, Write};

use tokio::sync::{mpsc, oneshot};

use super::SendingError;
use super::import::RecipientRows;
use crate::batch::{BatchId, Recipient};
use crate::delivery::{BatchEvent, BatchStatus};
use crate::message::Template;
use crate::opt_out::OptOutList;
use crate::patient_list::{ListError, PatientList};
use crate::ports::{
    BatchRepo, Clock, ListCounts, ObjectStore, OptedOutNumbers, PortError, RecipientRepo,
    UploadClaim,
};
use crate::report::CsvReports;
use crate::validation::{Declines, Summary, ValidationError, ValidationOptions, validate_list};
use crate::waves::uk_today;

/// Where the upload is and where its reports go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadKeys {
    pub upload: String,
    /// The upload's version (S3's ETag), when the event names it: only that
    /// version is read, and a batch takes rows from one upload only.
    pub tag: Option<String>,
    pub not_accepted: String,
    /// Why the list could not be read at all, for whoever uploaded it.
    pub problem: String,
}

#[derive(Debug)]
pub enum UploadOutcome {
    Validated(Summary),
    /// The batch had already left `awaiting-upload`: a repeated event, or an
    /// upload after validation. Nothing changed.
    AlreadyDone(BatchStatus),
    /// The file is not a list we can read (no header, a missing column, a
    /// placeholder the file lacks…). The reason, which quotes no cell, is
    /// stored at [`UploadKeys::problem`]. The batch waits for a new upload,
    /// unless rows were stored before the problem showed (a quote never
    /// closed), when it is cancelled.
    Refused(String),
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Sending(#[from] SendingError),
    #[error(
        "there is no upload at {0}, or not the one the event named: it was removed or \
         replaced before it could be validated"
    )]
    Missing(String),
    #[error("the upload could not be read to the end ({0}); validating it again is safe")]
    Interrupted(std::io::Error),
}

impl From<PortError> for UploadError {
    fn from(e: PortError) -> Self {
        UploadError::Sending(e.into())
    }
}

/// Validates the list uploaded for a batch `awaiting-upload`, storing its
/// recipients and not-accepted list, then marks it `validated` with its
/// counts. Safe to repeat: recipients already stored are left alone, the
/// report is written whole each time, and a batch past `awaiting-upload` is
/// not touched.
///
/// The list is read and checked on a thread of its own while recipients are
/// stored, a chunk at a time, on the caller's task.
pub async fn validate_upload<O: ObjectStore + Sync>(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    objects: &O,
    provider_opt_outs: &(impl OptedOutNumbers + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
    keys: &UploadKeys,
) -> Result<UploadOutcome, UploadError> {
    let batch = batches
        .batch(id)
        .await?
        .ok_or_else(|| SendingError::NoSuchBatch(id.clone()))?;
    if batch.status != BatchStatus::AwaitingUpload {
        return Ok(UploadOutcome::AlreadyDone(batch.status));
    }
    let template = match Template::parse(&batch.message) {
        Ok(template) => template,
        Err(e) => return refuse(objects, keys, format!("The batch's message: {e}")).await,
    };
    let opted_out = provider_opt_outs.opted_out().await?;
    let upload = open_upload(objects, keys).await?;
    let today = uk_today(clock.now());
    let (opted_out, declines, unread) = match first_reading(upload, opted_out, today).await? {
        Ok(first) => first,
        Err(ListError::Read(e)) => return Err(UploadError::Interrupted(e)),
        Err(refused) => return refuse(objects, keys, refused.to_string()).await,
    };
    let upload = match unread {
        Some(list) => Upload::Opened(Box::new(list)),
        None => Upload::Unopened(open_upload(objects, keys).await?),
    };
    let report = objects.stage()?;

    let (chunks_tx, mut chunks) = mpsc::channel::<Vec<Recipient>>(2);
    let (done_tx, done) = oneshot::channel();
    std::thread::spawn(move || {
        let options = ValidationOptions {
            message: Some(&template),
            opted_out: &opted_out,
            today,
            declines: &declines,
        };
        let result = validate_into(upload, &template, &options, report, chunks_tx);
        let _ = done_tx.send(result);
    });
    let mut stored_any = false;
    // Whether this run's claim was the upload's first: then no row of the
    // batch was stored before, and its rows are written without looking.
    let mut first_claim = false;
    while let Some(chunk) = chunks.recv().await {
        let claim = match (&keys.tag, stored_any) {
            (Some(tag), false) => batches.claim_upload(id, tag).await?,
            _ => UploadClaim::Again,
        };
        first_claim |= claim == UploadClaim::First;
        if claim == UploadClaim::Refused {
            let status = current_status(batches, id).await?;
            if status != BatchStatus::AwaitingUpload {
                return Ok(UploadOutcome::AlreadyDone(status));
            }
            // Another file's rows are stored already: rows from two files
            // would mix, so neither is sent. The run storing them may still
            // be writing: it (or the sweep) closes the batch once it stops,
            // so that nothing it writes after this is missed.
            batches.batch_event(id, BatchEvent::Cancel).await?;
            recipients.cancel_queued(id, clock.now()).await?;
            let reason = "A second file was uploaded for this batch while the first was \
                          being validated, so nothing will be sent from it. Start a new \
                          batch and upload the file once";
            return refuse(objects, keys, reason.to_owned()).await;
        }
        // A repeated event still validating when the first has finished
        // stops here, before it can write over a text being sent; a batch
        // cancelled meanwhile has the rows this run stored cancelled too.
        if stored_any {
            let status = current_status(batches, id).await?;
            if status != BatchStatus::AwaitingUpload {
                settle_if_cancelled(batches, recipients, clock, id, status).await?;
                return Ok(UploadOutcome::AlreadyDone(status));
            }
        }
        if first_claim {
            recipients.insert_new_recipients(id, &chunk).await?;
        } else {
            recipients.insert_recipients(id, &chunk).await?;
        }
        stored_any = true;
    }
    let (summary, report) = match done.await {
        Ok(Ok(validated)) => validated,
        Ok(Err(ValidationError::List(ListError::Read(e)))) => {
            return Err(UploadError::Interrupted(e));
        }
        Ok(Err(ValidationError::Sink(e))) => {
            return Err(PortError(e).into());
        }
        Ok(Err(refused)) if stored_any => {
            // Rows already stored would sit beside a corrected list's under
            // the same numbers, so this batch cannot take another upload.
            abandon(batches, recipients, clock, id).await?;
            let reason = format!(
                "{refused}. This batch is cancelled: upload the corrected file as a new batch"
            );
            return refuse(objects, keys, reason).await;
        }
        Ok(Err(refused)) => return refuse(objects, keys, refused.to_string()).await,
        Err(_) => return Err(PortError::new(ValidationStopped).into()),
    };
    objects
        .put(&keys.not_accepted, report, CSV_CONTENT_TYPE)
        .await?;
    let counts = ListCounts {
        rows: summary.rows,
        accepted: summary.accepted,
        not_accepted: summary.not_accepted,
    };
    if batches.mark_validated(id, counts).await? {
        return Ok(UploadOutcome::Validated(summary));
    }
    let status = current_status(batches, id).await?;
    settle_if_cancelled(batches, recipients, clock, id, status).await?;
    Ok(UploadOutcome::AlreadyDone(status))
}

/// A batch cancelled while this run stored its rows: they are never sent,
/// so they are cancelled (a cancel, or the sweep's close, may have come
/// before the last of them were written), and the batch closed.
async fn settle_if_cancelled(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
    status: BatchStatus,
) -> Result<(), UploadError> {
    if status == BatchStatus::Cancelled {
        recipients.cancel_queued(id, clock.now()).await?;
        batches.close(id).await?;
    }
    Ok(())
}

async fn current_status(
    batches: &(impl BatchRepo + Sync),
    id: &BatchId,
) -> Result<BatchStatus, UploadError> {
    Ok(batches
        .batch(id)
        .await?
        .ok_or_else(|| SendingError::NoSuchBatch(id.clone()))?
        .status)
}

/// The batch is cancelled and any rows stored for it with it.
async fn abandon(
    batches: &(impl BatchRepo + Sync),
    recipients: &(impl RecipientRepo + Sync),
    clock: &(impl Clock + Sync),
    id: &BatchId,
) -> Result<(), UploadError> {
    batches.batch_event(id, BatchEvent::Cancel).await?;
    recipients.cancel_queued(id, clock.now()).await?;
    // None of its texts was ever queued for sending: nothing to settle.
    batches.close(id).await?;
    Ok(())
}

const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";

#[derive(Debug, thiserror::Error)]
#[error("validation stopped without a result")]
struct ValidationStopped;

async fn open_upload<O: ObjectStore>(
    objects: &O,
    keys: &UploadKeys,
) -> Result<Box<dyn Read + Send>, UploadError> {
    objects
        .open(&keys.upload, keys.tag.as_deref())
        .await?
        .ok_or_else(|| UploadError::Missing(keys.upload.clone()))
}

/// The first reading of the upload, on a thread of its own: every patient a
/// row stops, and the list itself when that needed no reading of rows.
async fn first_reading(
    upload: Box<dyn Read + Send>,
    opted_out: OptOutList,
    today: chrono::NaiveDate,
) -> Result<Result<(OptOutList, Declines, Option<PatientList>), ListError>, UploadError> {
    let (done_tx, done) = oneshot::channel();
    std::thread::spawn(move || {
        let found = PatientList::open(upload).and_then(|mut list| {
            let declines = Declines::find(&mut list, &opted_out, today)?;
            let unread = (!declines.read_the_list()).then_some(list);
            Ok((opted_out, declines, unread))
        });
        let _ = done_tx.send(found);
    });
    done.await
        .map_err(|_| PortError::new(ValidationStopped).into())
}

/// The upload for validation's reading: still unread, or opened by the first.
enum Upload {
    Opened(Box<PatientList>),
    Unopened(Box<dyn Read + Send>),
}

fn validate_into<W: Write>(
    upload: Upload,
    template: &Template,
    options: &ValidationOptions<'_>,
    report: W,
    chunks: mpsc::Sender<Vec<Recipient>>,
) -> Result<(Summary, W), ValidationError> {
    let mut list = match upload {
        Upload::Opened(list) => *list,
        Upload::Unopened(reader) => PatientList::open(reader)?,
    };
    let reports = CsvReports::new(std::io::sink(), report);
    let mut rows = RecipientRows::new(reports, template, |chunk| {
        chunks
            .blocking_send(chunk)
            .map_err(|_| "storing recipients stopped".into())
    });
    let summary = validate_list(&mut list, options, &mut rows)?;
    let reports = rows.finish().map_err(ValidationError::Sink)?;
    let (_, mut report) = reports.finish().map_err(ValidationError::Sink)?;
    report
        .flush()
        .map_err(|e| ValidationError::Sink(Box::new(e)))?;
    Ok((summary, report))
}

async fn refuse<O: ObjectStore>(
    objects: &O,
    keys: &UploadKeys,
    reason: String,
) -> Result<UploadOutcome, UploadError> {
    let mut staged = objects.stage()?;
    staged
        .write_all(reason.as_bytes())
        .and_then(|()| staged.flush())
        .map_err(PortError::new)?;
    objects
        .put(&keys.problem, staged, "text/plain; charset=utf-8")
        .await?;
    Ok(UploadOutcome::Refused(reason))
}
