//! `RecipientRows` behind a real validation run.

use std::io::Cursor;

use chrono::NaiveDate;

use crate::batch::Recipient;
use crate::message::Template;
use crate::opt_out::OptOutList;
use crate::patient_list::PatientList;
use crate::sending::{IMPORT_CHUNK, RecipientRows};
use crate::sms::Encoding;
pub(super) use crate::test_lists::nhs;
use crate::validation::{
    AcceptedRow, Declines, Layout, NotAcceptedRow, SinkError, Summary, ValidationError,
    ValidationOptions, ValidationSink, validate_list,
};

/// The inner sink: what it was handed.
#[derive(Default)]
struct Reports {
    starts: usize,
    accepted: Vec<u64>,
    not_accepted: Vec<u64>,
}

impl ValidationSink for Reports {
    fn start(&mut self, _layout: &Layout) -> Result<(), SinkError> {
        self.starts += 1;
        Ok(())
    }

    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        self.accepted.push(row.row);
        Ok(())
    }

    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        self.not_accepted.push(row.row);
        Ok(())
    }
}

const MESSAGE: &str = "Your ((clinic)) appointment: see you soon, ((name|patient)).";
const HEADER: &str = "NHS Number,Mobile,Date of Birth,Name,Clinic\r\n";

/// Validates `csv` with [`MESSAGE`] into `RecipientRows`; the summary, the
/// inner sink, and each chunk stored.
fn import(csv: &str) -> (Summary, Reports, Vec<Vec<Recipient>>) {
    let template = Template::parse(MESSAGE).unwrap();
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: Some(&template),
        opted_out: &opted_out,
        today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        declines: &Declines::default(),
    };
    let mut list = PatientList::open(Cursor::new(csv.as_bytes().to_vec())).unwrap();
    let mut chunks = Vec::new();
    let mut rows = RecipientRows::new(Reports::default(), &template, |chunk| {
        chunks.push(chunk);
        Ok(())
    });
    let summary = validate_list(&mut list, &options, &mut rows).unwrap();
    let reports = rows.finish().unwrap();
    (summary, reports, chunks)
}

#[test]
fn accepted_rows_become_recipients_with_their_texts() {
    let long_clinic = "x".repeat(150);
    let csv = format!(
        "{HEADER}\
         {},07700 900000,31/01/1990,Ann,Leeds\r\n\
         123,07700 900009,31/01/1990,Nobody,Leeds\r\n\
         {},+44 7700 900001,01/02/1980,,Bradford\r\n\
         {},07700900002,01/01/1970,Li,診所\r\n\
         {},07700 900003,05/05/1955,Bob,{long_clinic}\r\n",
        nhs(0),
        nhs(1),
        nhs(2),
        nhs(3),
    );
    let (summary, reports, chunks) = import(&csv);
    assert_eq!((summary.accepted, summary.not_accepted), (4, 1));

    // The inner sink still got every row.
    assert_eq!(reports.starts, 1);
    assert_eq!(reports.accepted, [2, 4, 5, 6]);
    assert_eq!(reports.not_accepted, [3]);

    // A short list is one chunk, stored at finish.
    assert_eq!(chunks.len(), 1);
    let got = &chunks[0];
    let expected = [
        (
            0,
            2,
            nhs(0),
            "+447700900000",
            "Your Leeds appointment: see you soon, Ann.".to_owned(),
            Encoding::Gsm7,
            1,
        ),
        (
            1,
            4,
            nhs(1),
            "+447700900001",
            // An empty name takes the fallback.
            "Your Bradford appointment: see you soon, patient.".to_owned(),
            Encoding::Gsm7,
            1,
        ),
        (
            2,
            5,
            nhs(2),
            "+447700900002",
            "Your 診所 appointment: see you soon, Li.".to_owned(),
            Encoding::Ucs2,
            1,
        ),
        (
            3,
            6,
            nhs(3),
            "+447700900003",
            format!("Your {long_clinic} appointment: see you soon, Bob."),
            Encoding::Gsm7,
            2,
        ),
    ];
    assert_eq!(got.len(), expected.len());
    for (r, (seq, row, nhs_number, mobile, body, encoding, fragments)) in got.iter().zip(expected) {
        assert_eq!(
            r,
            &Recipient {
                encoding,
                fragments,
                ..Recipient::new(
                    seq,
                    row,
                    nhs_number.parse().unwrap(),
                    mobile.parse().unwrap(),
                    body,
                )
            }
        );
    }
}

#[test]
fn recipients_are_stored_in_chunks_and_the_rest_at_finish() {
    let accepted = IMPORT_CHUNK as u32 + 3;
    let mut csv = String::from(HEADER);
    for i in 0..accepted {
        csv.push_str(&format!(
            "{},07700 900{:03},31/01/1990,Ann,Leeds\r\n",
            nhs(i),
            i % 1000
        ));
        if i == 10 {
            // A refused row takes no seq.
            csv.push_str("123,07700 900999,31/01/1990,Nobody,Leeds\r\n");
        }
    }
    let (summary, reports, chunks) = import(&csv);
    assert_eq!(summary.accepted, u64::from(accepted));
    assert_eq!(summary.not_accepted, 1);
    assert_eq!(reports.accepted.len(), accepted as usize);
    assert_eq!(reports.not_accepted, [13]);

    let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
    assert_eq!(sizes, [IMPORT_CHUNK, 3]);
    let all: Vec<&Recipient> = chunks.iter().flatten().collect();
    assert!(all.iter().enumerate().all(|(i, r)| r.seq == i as u32));
    // Seq follows accepted rows: the refused row 13 is skipped.
    assert_eq!(all[10].row, 12);
    assert_eq!(all[11].row, 14);
    assert_eq!(all[11].nhs_number.to_string(), nhs(11));
    assert_eq!(all.last().unwrap().row, u64::from(accepted) + 2);
}

#[test]
fn a_list_with_nobody_accepted_stores_nothing() {
    let csv = format!("{HEADER}123,07700 900000,31/01/1990,Ann,Leeds\r\n");
    let (summary, reports, chunks) = import(&csv);
    assert_eq!(summary.accepted, 0);
    assert_eq!(reports.not_accepted, [2]);
    assert!(chunks.is_empty());
}

#[test]
fn a_store_that_fails_fails_the_import() {
    let template = Template::parse(MESSAGE).unwrap();
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: Some(&template),
        opted_out: &opted_out,
        today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        declines: &Declines::default(),
    };
    let mut csv = String::from(HEADER);
    for i in 0..IMPORT_CHUNK as u32 + 1 {
        csv.push_str(&format!(
            "{},07700 900{:03},31/01/1990,Ann,Leeds\r\n",
            nhs(i),
            i % 1000
        ));
    }
    let mut list = PatientList::open(Cursor::new(csv.into_bytes())).unwrap();
    let mut rows = RecipientRows::new(Reports::default(), &template, |_| Err("disk full".into()));
    let result = validate_list(&mut list, &options, &mut rows);
    assert!(
        matches!(&result, Err(ValidationError::Sink(e)) if e.to_string() == "disk full"),
        "{result:?}"
    );
}
