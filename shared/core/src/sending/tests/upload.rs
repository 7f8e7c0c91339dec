//! `validate_upload`: an uploaded list into a validated batch, once.

use super::fake::{Fake, batch_id};
use super::import::nhs;
use crate::delivery::{BatchStatus, RecipientStatus};
use crate::sending::{IMPORT_CHUNK, UploadError, UploadKeys, UploadOutcome, validate_upload};

const HEADER: &str = "NHS Number,Mobile,Date of Birth,Name\r\n";

fn keys() -> UploadKeys {
    UploadKeys {
        upload: "uploads/org/batch.csv".into(),
        tag: Some("etag-2".into()),
        not_accepted: "reports/org/batch/not-accepted.csv".into(),
        problem: "reports/org/batch/problem.txt".into(),
    }
}

fn rows(count: u32) -> String {
    let mut csv = HEADER.to_owned();
    for i in 0..count {
        csv.push_str(&format!(
            "{},07700 900{:03},31/01/1990,Ann\r\n",
            nhs(i),
            i % 1000
        ));
    }
    csv
}

/// The test batch waiting for its list, with `csv` uploaded.
fn uploaded(csv: &str) -> Fake {
    let fake = Fake::with_recipients(BatchStatus::AwaitingUpload, 0);
    fake.state()
        .objects
        .insert(keys().upload, (csv.as_bytes().to_vec(), "text/csv"));
    fake
}

impl Fake {
    async fn validate(&self) -> Result<UploadOutcome, UploadError> {
        validate_upload(self, self, self, self, self, &batch_id(), &keys()).await
    }

    fn object(&self, key: &str) -> Option<String> {
        let st = self.state();
        st.objects
            .get(key)
            .map(|(bytes, _)| String::from_utf8(bytes.clone()).unwrap())
    }

    fn stored(&self) -> usize {
        self.state().recipients[&batch_id()].len()
    }
}

#[tokio::test]
async fn an_upload_becomes_a_validated_batch_with_its_recipients_and_report() {
    let csv = format!(
        "{HEADER}\
         {},07700 900000,31/01/1990,Ann\r\n\
         123,07700 900001,31/01/1990,Nobody\r\n\
         {},07700 900149,01/02/1980,Stopped\r\n\
         {},07700900002,01/01/1970,Li\r\n",
        nhs(0),
        nhs(1),
        nhs(2),
    );
    let fake = uploaded(&csv);
    fake.state().provider_opt_outs = vec!["+447700900149".into()];

    let UploadOutcome::Validated(summary) = fake.validate().await.unwrap() else {
        panic!("not validated");
    };
    assert_eq!(
        (summary.rows, summary.accepted, summary.not_accepted),
        (4, 2, 2)
    );

    let batch = fake.state().batches[&batch_id()].clone();
    assert_eq!(batch.status, BatchStatus::Validated);
    assert_eq!((batch.rows, batch.accepted, batch.not_accepted), (4, 2, 2));
    assert_eq!(fake.stored(), 2);
    assert_eq!(fake.record(0).recipient.row, 2);
    assert_eq!(fake.record(1).recipient.row, 5);
    assert_eq!(
        fake.record(1).recipient.body.as_str(),
        "Hello Li, your appointment is tomorrow."
    );
    assert!(
        fake.statuses()
            .iter()
            .all(|s| *s == RecipientStatus::Queued)
    );

    let report = fake.object(&keys().not_accepted).unwrap();
    let reported_rows: Vec<&str> = report
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(reported_rows, ["3", "4"]);
    assert!(report.contains("opted-out list"), "{report}");
    assert_eq!(
        fake.state().objects[&keys().not_accepted].1,
        "text/csv; charset=utf-8"
    );
}

#[tokio::test]
async fn the_same_upload_validated_twice_changes_nothing() {
    let fake = uploaded(&rows(30));
    assert!(matches!(
        fake.validate().await.unwrap(),
        UploadOutcome::Validated(_)
    ));
    let before = fake.state().recipients[&batch_id()].len();
    fake.set_status(0, RecipientStatus::Sent);

    let again = fake.validate().await.unwrap();
    assert!(matches!(
        again,
        UploadOutcome::AlreadyDone(BatchStatus::Validated)
    ));
    assert_eq!(fake.stored(), before);
    assert_eq!(fake.status(0), RecipientStatus::Sent);
}

#[tokio::test]
async fn a_list_without_a_mobile_column_is_refused_and_the_batch_waits_for_another() {
    let fake = uploaded(&format!(
        "NHS Number,Date of Birth\r\n{},31/01/1990\r\n",
        nhs(0)
    ));
    let UploadOutcome::Refused(reason) = fake.validate().await.unwrap() else {
        panic!("not refused");
    };
    assert!(reason.contains("no mobile"), "{reason}");
    assert_eq!(fake.object(&keys().problem).unwrap(), reason);
    assert_eq!(fake.object(&keys().not_accepted), None);
    assert_eq!(fake.stored(), 0);
    assert_eq!(
        fake.state().batches[&batch_id()].status,
        BatchStatus::AwaitingUpload
    );

    // The corrected list, uploaded again, is validated.
    fake.state()
        .objects
        .insert(keys().upload, (rows(3).into_bytes(), "text/csv"));
    assert!(matches!(
        fake.validate().await.unwrap(),
        UploadOutcome::Validated(_)
    ));
    assert_eq!(fake.stored(), 3);
}

#[tokio::test]
async fn a_list_refused_after_rows_were_stored_cancels_the_batch() {
    // Far enough past the first chunk that the reader, which reads ahead,
    // reaches the quote after that chunk is stored.
    let count = IMPORT_CHUNK as u32 * 4;
    let csv = format!(
        "{}{},07700 900001,\"31/01/1990,Ann\r\n",
        rows(count),
        nhs(count)
    );
    let fake = uploaded(&csv);

    let UploadOutcome::Refused(reason) = fake.validate().await.unwrap() else {
        panic!("not refused");
    };
    assert!(
        reason.contains("quote") && reason.contains("new batch"),
        "{reason}"
    );
    assert!(fake.stored() >= IMPORT_CHUNK);
    assert_eq!(
        fake.state().batches[&batch_id()].status,
        BatchStatus::Cancelled
    );
}

#[tokio::test]
async fn an_upload_cut_off_part_way_is_an_error_to_retry_and_a_retry_completes_it() {
    let csv = rows(IMPORT_CHUNK as u32 * 2 + 10);
    let fake = uploaded(&csv);
    fake.state().upload_breaks_after = Some(csv.len() * 3 / 4);

    let error = fake.validate().await.unwrap_err();
    assert!(matches!(error, UploadError::Interrupted(_)), "{error}");
    assert!(error.to_string().contains("validating it again is safe"));
    assert_eq!(
        fake.state().batches[&batch_id()].status,
        BatchStatus::AwaitingUpload
    );

    fake.state().upload_breaks_after = None;
    let UploadOutcome::Validated(summary) = fake.validate().await.unwrap() else {
        panic!("not validated");
    };
    assert_eq!(summary.accepted, u64::from(IMPORT_CHUNK as u32 * 2 + 10));
    assert_eq!(fake.stored(), IMPORT_CHUNK * 2 + 10);
}

#[tokio::test]
async fn a_missing_upload_or_batch_is_an_error_that_says_which() {
    let fake = Fake::with_recipients(BatchStatus::AwaitingUpload, 0);
    let error = fake.validate().await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no upload at uploads/org/batch.csv"),
        "{error}"
    );

    let fake = Fake::new();
    let error = fake.validate().await.unwrap_err();
    assert!(error.to_string().contains("there is no batch"), "{error}");
}

#[tokio::test]
async fn a_patient_declined_on_a_later_row_is_not_stored_from_an_earlier_one() {
    let csv = format!(
        "NHS Number,Mobile,Date of Birth,Name,SMS Consent\r\n\
         {},07700 900000,31/01/1990,Ann,Yes\r\n\
         {},07700 900001,31/01/1990,Bo,Yes\r\n\
         {},07700 900000,31/01/1990,Ann,Declined\r\n\
         {},07700 900002,31/01/1990,Cy,Yes\r\n\
         {},07700 900149,31/01/1990,Cy,\r\n",
        nhs(0),
        nhs(1),
        nhs(0),
        nhs(2),
        nhs(2),
    );
    let fake = uploaded(&csv);
    // Cy's second row gives a number the provider was told never to text.
    fake.state().provider_opt_outs = vec!["+447700900149".into()];

    let UploadOutcome::Validated(summary) = fake.validate().await.unwrap() else {
        panic!("not validated");
    };
    assert_eq!((summary.accepted, summary.not_accepted), (1, 4));
    let stored: Vec<u64> = fake.state().recipients[&batch_id()]
        .values()
        .map(|stored| stored.record.recipient.row)
        .collect();
    assert_eq!(stored, vec![3], "only Bo, on row 3, is stored");
    let report = fake.object(&keys().not_accepted).unwrap();
    assert!(
        report.contains("Patient has declined SMS on row 4"),
        "{report}"
    );
    assert!(
        report.contains("Patient is on the opted-out list (row 6)"),
        "{report}"
    );
}
