//! A column whose name mentions texts (SMS, text, texts, texting, text
//! message, txt, mobile messaging) is never passed over in silence: it is
//! read as consent either way round, positively recognised as something else
//! (a date or recorder, a phone number, texts sent, another subject), or it
//! stops the run naming it.

use super::*;
use crate::opt_out::OptOutList;
use crate::test_lists::validate_twice;
use crate::validation::{
    AcceptedRow, Declines, Layout, NotAcceptedRow, Reason, SinkError, ValidationOptions,
    ValidationSink,
};

/// Odd names a practice might give a column about texts. None may be
/// ignored; what each means is not asserted here, only that it is decided.
const ODD_SMS_NAMES: &[&str] = &[
    "SMS blocked",
    "Block SMS",
    "Suppress SMS",
    "SMS suppressed",
    "Text Stop",
    "STOP texts",
    "SMS unwanted",
    "SMS disabled",
    "SMS barred",
    "Texts off",
    "SMS exempt",
    "Texting stopped",
    "SMS opt-out (updated)",
    "Declined SMS (user entered)",
    "Updated SMS consent",
    "SMS consent - reviewed",
    "SMS ceased",
    "SMS halted",
    "SMS paused",
    "SMS inactive",
    "SMS enabled",
    "SMS active",
    "Texts yes/no",
    "SMS (historic)",
    "SMS flag 2",
    "Bulk SMS",
    "SMS list",
    "SMS widget",
    "Text frobnicated",
    "Texting - see notes",
    "Txt",
    "Msg",
    "Text message",
    "Mobile messaging",
    "Mobile messaging status",
    "SMS reminders",
    "Accurx SMS",
    "iPlato texts",
    "SMS - latest",
    "SMS (clinician)",
    "SMS user entered",
    "SMS version",
    "SMS by",
    "SMS current",
    "SMS consent current",
    "NoSMS",
    "Texts - do not",
    "SMS ok?",
    "SMS never",
    "SMS: please don't",
];

/// Names about texts that are positively not a consent value, with why.
const NOT_A_CONSENT_VALUE: &[&str] = &[
    "SMS consent date",
    "Date consent recorded",
    "Consent recorded by",
    "Last SMS sent",
    "No. of texts",
    "SMS count",
    "Texts sent",
];

/// What a name comes to as the only extra column of a list.
#[derive(Debug, PartialEq, Eq)]
enum Decided {
    Read(YesMeans),
    NotConsent,
    Stops,
    /// Neither read nor stopped nor recognised: silently ignored.
    Ignored,
}

fn decided(name: &str) -> Decided {
    let headers = headers_of(["NHS Number", "Mobile", "DOB", name]);
    match ColumnMap::from_headers(&headers) {
        Ok(map) => match map.consent.as_slice() {
            [
                ConsentColumn {
                    index: 3,
                    yes_means,
                },
            ] => Decided::Read(*yes_means),
            [] if consent_header(name) == Some(ConsentHeader::NotSms) => Decided::NotConsent,
            [] => Decided::Ignored,
            other => panic!("{name}: {other:?}"),
        },
        Err(ColumnProblem::UnclearConsent(column)) if column.index == 3 => Decided::Stops,
        Err(other) => panic!("{name}: {other:?}"),
    }
}

#[test]
fn no_column_about_texts_is_silently_ignored() {
    let ignored: Vec<&str> = ODD_SMS_NAMES
        .iter()
        .copied()
        .filter(|name| decided(name) == Decided::Ignored)
        .collect();
    assert!(ignored.is_empty(), "ignored: {ignored:?}");
    // Only names that say they are a date, a recorder or texts sent are
    // taken as not a consent value.
    for name in ODD_SMS_NAMES {
        assert_ne!(decided(name), Decided::NotConsent, "{name}");
    }
    for name in NOT_A_CONSENT_VALUE {
        assert_eq!(decided(name), Decided::NotConsent, "{name}");
    }
}

#[test]
fn a_word_that_says_no_only_counts_when_the_column_is_about_texts() {
    // A patient list may say who is disabled, or which drug was stopped.
    for name in ["Disabled", "Stopped", "Blocked", "Off", "Exempt", "Barred"] {
        assert_eq!(consent_header(name), None, "{name}");
        assert_eq!(decided(name), Decided::Ignored, "{name}");
    }
    for name in ["Email blocked", "Letters stopped"] {
        assert_eq!(consent_header(name), None, "{name}");
    }
}

#[derive(Default)]
struct Rows {
    accepted: Vec<u64>,
    declined: Vec<u64>,
}

impl ValidationSink for Rows {
    fn start(&mut self, _: &Layout) -> Result<(), SinkError> {
        Ok(())
    }
    fn accepted(&mut self, row: &AcceptedRow<'_>) -> Result<(), SinkError> {
        self.accepted.push(row.row);
        Ok(())
    }
    fn not_accepted(&mut self, row: &NotAcceptedRow<'_>) -> Result<(), SinkError> {
        if row.reasons.contains(&Reason::Declined) {
            self.declined.push(row.row);
        }
        Ok(())
    }
}

fn rows(csv: &str) -> Rows {
    let opted_out = OptOutList::default();
    let options = ValidationOptions {
        message: None,
        opted_out: &opted_out,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
        declines: &Declines::default(),
    };
    let mut rows = Rows::default();
    validate_twice(csv.as_bytes(), &options, &mut rows).expect("validates");
    rows
}

/// cases/consent_column_unclassified_ignored.csv: each patient said no in a
/// different column; none is texted.
#[test]
fn declines_in_columns_named_every_way_are_read() {
    let rows = rows(&format!(
        "NHS Number,Name,Mobile,DOB,SMS Consent,SMS blocked,Suppress SMS,Text Stop,SMS unwanted,Texting stopped\n\
         9434765919,Alice,07700 900001,01/02/1980,Yes,Yes,,,,\n\
         9434765870,Bob,07700 900002,02/03/1970,Yes,,Y,,,\n\
         9434765005,Carol,07700 900003,03/04/1960,,,,Yes,,\n\
         9434765013,Dan,07700 900004,04/05/1950,,,,,Yes,\n\
         9434765021,Eve,07700 900005,05/06/1955,,,,,,Yes\n\
         {},Fay,07700 900006,05/06/1955,Yes,No,N,No,No,No\n",
        crate::test_lists::nhs(6)
    ));
    assert_eq!(rows.declined, [2, 3, 4, 5, 6]);
    assert_eq!(rows.accepted, [7]);
}

/// cases/consent_column_qualifier_ignored.csv.
#[test]
fn declines_in_qualified_columns_are_read() {
    let rows = rows(
        "NHS Number,Name,Mobile,DOB,SMS opt-out (updated),Declined SMS (user entered),Updated SMS consent,SMS consent - reviewed\n\
         9434765919,Alice,07700 900001,01/02/1980,Yes,,,\n\
         9434765870,Bob,07700 900002,02/03/1970,,Yes,,\n\
         9434765005,Carol,07700 900003,03/04/1960,,,No,\n\
         9434765013,Dan,07700 900004,04/05/1950,,,,No\n\
         9434765021,Eve,07700 900005,05/06/1955,No,No,Yes,Yes\n",
    );
    assert_eq!(rows.declined, [2, 3, 4, 5]);
    assert_eq!(rows.accepted, [6]);
}
