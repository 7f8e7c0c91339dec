//! The validate function: S3 calls it when a list is uploaded to
//! `uploads/{org}/{batch}.csv` (or `.xlsx`). For each record it calls
//! [`validate_upload`]: every row accepted or not, recipients into DynamoDB,
//! `reports/{org}/{batch}/not-accepted.csv` into the bucket, the batch
//! `validated` with its counts.
//!
//! - The same event delivered twice changes nothing: the second finds the
//!   batch past `awaiting-upload` (`already`).
//! - A file that is not a list we can read is `refused`: the reason goes to
//!   `reports/{org}/{batch}/problem.txt` for the uploader, and the function
//!   succeeds, since retrying cannot help.
//! - An upload cut off part way, or a failure of S3 or DynamoDB, is an error,
//!   and Lambda retries the event; repeating the work is safe.
//! - A key that is not an upload, or names no batch, is an error that says
//!   so (the other records of the event are still validated).
//! - S3's `s3:TestEvent` is acknowledged and ignored.
//!
//! Logs carry batch ids, row counts and keys, never a cell of the list.

use aws_lambda_events::s3::S3Event;
use batchmsg_core::batch::BatchId;
use batchmsg_core::ports::{BatchRepo, Clock, ObjectStore, OptedOutNumbers, RecipientRepo};
use batchmsg_core::sending::{UploadError, UploadKeys, UploadOutcome, validate_upload};
use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;

/// What became of each upload in the event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ValidateSummary {
    pub uploads: Vec<UploadSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UploadSummary {
    pub batch: String,
    /// `validated`, `already <status>` or `refused`.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_accepted: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    /// Never quotes the payload.
    #[error(
        "the event is not an S3 event notification ({why}); check the bucket's notification \
         configuration"
    )]
    BadEvent { why: String },
    /// Never quotes the key, which whoever put the object chose.
    #[error(
        "an object of the event is not an upload: uploads are \
         uploads/<organisation>/<batch id>.csv (or .xlsx); check the notification's prefix filter"
    )]
    NotAnUpload,
    #[error("could not validate the upload for batch {batch}: {source}")]
    Upload {
        batch: BatchId,
        #[source]
        source: UploadError,
    },
}

impl ValidateError {
    fn kind(&self) -> &'static str {
        match self {
            ValidateError::BadEvent { .. } => "BadEvent",
            ValidateError::NotAnUpload => "NotAnUpload",
            ValidateError::Upload { .. } => "UploadFailed",
        }
    }
}

impl From<ValidateError> for Diagnostic {
    fn from(error: ValidateError) -> Self {
        Diagnostic {
            error_type: error.kind().to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Where an upload is, and where its reports go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub org: String,
    pub batch: BatchId,
    pub keys: UploadKeys,
}

/// Reads an object key as S3 sends it in events (URL-encoded, spaces as
/// `+`), and finds the organisation and batch in it; `tag` is the object's
/// ETag from the event.
pub fn parse_upload_key(encoded: &str, tag: Option<&str>) -> Result<Upload, ValidateError> {
    let spaced = encoded.replace('+', " ");
    let key = percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned();
    let not_an_upload = || ValidateError::NotAnUpload;
    let rest = key.strip_prefix("uploads/").ok_or_else(not_an_upload)?;
    let (org, file) = rest.split_once('/').ok_or_else(not_an_upload)?;
    let stem = file
        .strip_suffix(".csv")
        .or_else(|| file.strip_suffix(".xlsx"))
        .ok_or_else(not_an_upload)?;
    let org_ok = !org.is_empty()
        && org.len() <= 64
        && org
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let batch: BatchId = stem.parse().map_err(|_| not_an_upload())?;
    if !org_ok {
        return Err(not_an_upload());
    }
    let reports = format!("reports/{org}/{batch}");
    Ok(Upload {
        keys: UploadKeys {
            upload: key.clone(),
            tag: tag.filter(|t| !t.is_empty()).map(str::to_owned),
            not_accepted: format!("{reports}/not-accepted.csv"),
            problem: format!("{reports}/problem.txt"),
        },
        org: org.to_owned(),
        batch,
    })
}

/// The uploads an event announces; `Ok(vec![])` for S3's test event.
pub fn parse_event(payload: Value) -> Result<Vec<Result<Upload, ValidateError>>, ValidateError> {
    if payload.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    let event: S3Event = serde_json::from_value(payload).map_err(|e| ValidateError::BadEvent {
        why: match e.classify() {
            serde_json::error::Category::Data => "its fields are not an S3 event's".to_owned(),
            _ => "not JSON".to_owned(),
        },
    })?;
    if event.records.is_empty() {
        return Err(ValidateError::BadEvent {
            why: "it has no records".to_owned(),
        });
    }
    Ok(event
        .records
        .iter()
        .filter(|r| {
            r.event_name
                .as_deref()
                .is_some_and(|name| name.starts_with("ObjectCreated:"))
        })
        .map(|r| {
            let object = &r.s3.object;
            parse_upload_key(
                object.key.as_deref().unwrap_or_default(),
                object.e_tag.as_deref(),
            )
        })
        .collect())
}

/// Handles one S3 event: validates each upload it names. Every upload is
/// tried; the first error is returned after, so Lambda retries the event
/// (the uploads already validated are `already` the second time).
pub async fn handle<R, O, P, C>(
    repos: &R,
    objects: &O,
    opt_outs: &P,
    clock: &C,
    payload: Value,
) -> Result<ValidateSummary, ValidateError>
where
    R: BatchRepo + RecipientRepo + Sync,
    O: ObjectStore + Sync,
    P: OptedOutNumbers + Sync,
    C: Clock + Sync,
{
    let uploads = parse_event(payload).inspect_err(|error| {
        tracing::error!(error = %error, "not an S3 event");
    })?;
    let mut summary = ValidateSummary::default();
    let mut first_error = None;
    for upload in uploads {
        let result = match upload {
            Ok(upload) => validate(repos, objects, opt_outs, clock, &upload).await,
            Err(error) => Err(error),
        };
        match result {
            Ok(done) => summary.uploads.push(done),
            Err(error) => {
                tracing::error!(error = %error, "could not validate an upload");
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(summary),
    }
}

async fn validate<R, O, P, C>(
    repos: &R,
    objects: &O,
    opt_outs: &P,
    clock: &C,
    upload: &Upload,
) -> Result<UploadSummary, ValidateError>
where
    R: BatchRepo + RecipientRepo + Sync,
    O: ObjectStore + Sync,
    P: OptedOutNumbers + Sync,
    C: Clock + Sync,
{
    let batch = &upload.batch;
    let outcome = validate_upload(repos, repos, objects, opt_outs, clock, batch, &upload.keys)
        .await
        .map_err(|source| ValidateError::Upload {
            batch: batch.clone(),
            source,
        })?;
    let mut done = UploadSummary {
        batch: batch.to_string(),
        outcome: String::new(),
        rows: None,
        accepted: None,
        not_accepted: None,
    };
    match outcome {
        UploadOutcome::Validated(counts) => {
            tracing::info!(
                batch = %batch,
                rows = counts.rows,
                accepted = counts.accepted,
                not_accepted = counts.not_accepted,
                "validated the upload"
            );
            done.outcome = "validated".to_owned();
            done.rows = Some(counts.rows);
            done.accepted = Some(counts.accepted);
            done.not_accepted = Some(counts.not_accepted);
        }
        UploadOutcome::AlreadyDone(status) => {
            tracing::info!(batch = %batch, status = %status, "the upload was already validated");
            done.outcome = format!("already {status}");
        }
        UploadOutcome::Refused(_) => {
            tracing::warn!(
                batch = %batch,
                problem = %upload.keys.problem,
                "the upload is not a list that can be read; the reason is in the problem report"
            );
            done.outcome = "refused".to_owned();
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_key_names_the_organisation_and_batch_and_where_reports_go() {
        let upload =
            parse_upload_key("uploads/north-clinic/20261125-090000-0001.csv", Some("e1")).unwrap();
        assert_eq!(upload.org, "north-clinic");
        assert_eq!(upload.batch.as_str(), "20261125-090000-0001");
        assert_eq!(
            upload.keys,
            UploadKeys {
                upload: "uploads/north-clinic/20261125-090000-0001.csv".into(),
                tag: Some("e1".into()),
                not_accepted: "reports/north-clinic/20261125-090000-0001/not-accepted.csv".into(),
                problem: "reports/north-clinic/20261125-090000-0001/problem.txt".into(),
            }
        );
        let xlsx = parse_upload_key("uploads/n_1/20261125-090000-0001.xlsx", None).unwrap();
        assert_eq!(xlsx.keys.upload, "uploads/n_1/20261125-090000-0001.xlsx");
    }

    #[test]
    fn keys_arrive_url_encoded() {
        let upload =
            parse_upload_key("uploads/north%2Dclinic/20261125%2D090000%2D0001.csv", None).unwrap();
        assert_eq!(
            upload.keys.upload,
            "uploads/north-clinic/20261125-090000-0001.csv"
        );
        // `+` is a space, which no organisation has.
        let error =
            parse_upload_key("uploads/north+clinic/20261125-090000-0001.csv", None).unwrap_err();
        assert!(matches!(error, ValidateError::NotAnUpload));
        assert!(!error.to_string().contains("north"), "{error}");
    }

    #[test]
    fn other_keys_are_not_uploads() {
        for key in [
            "reports/north-clinic/20261125-090000-0001/not-accepted.csv",
            "uploads/20261125-090000-0001.csv",
            "uploads/north-clinic/20261125-090000-0001.txt",
            "uploads/north-clinic/sub/20261125-090000-0001.csv",
            "uploads//20261125-090000-0001.csv",
        ] {
            let error = parse_upload_key(key, None).unwrap_err();
            assert!(matches!(error, ValidateError::NotAnUpload), "{key}");
        }
    }

    #[test]
    fn an_event_that_is_not_an_s3_event_says_so_without_quoting_it() {
        let error = parse_event(serde_json::json!({"Records": [{"s3": 4}], "nhs": "9990000018"}))
            .unwrap_err();
        assert!(matches!(error, ValidateError::BadEvent { .. }));
        assert!(!error.to_string().contains("9990000018"));
        let error = parse_event(serde_json::json!({"Records": []})).unwrap_err();
        assert!(error.to_string().contains("no records"), "{error}");
    }
}
