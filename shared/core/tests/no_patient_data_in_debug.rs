//! No domain type that holds patient data shows any of it in `Debug`: each is
//! built from one known patient and formatted with `{:?}` and `{:#?}`, and
//! none of the patient's values appears, in any of the forms they are written.

use std::io::Cursor;

use batchmsg_core::batch::{MessageBody, Recipient, RecipientRecord};
use batchmsg_core::date_of_birth::DateOfBirth;
use batchmsg_core::delivery::RecipientStatus;
use batchmsg_core::mobile::UkMobile;
use batchmsg_core::nhs_number::NhsNumber;
use batchmsg_core::opt_out::OptOutList;
use batchmsg_core::patient_list::PatientList;
use batchmsg_core::validation::Declines;
use chrono::{NaiveDate, TimeZone, Utc};

const NHS: &str = "9434765919";
const MOBILE: &str = "07700900123";
const NAME: &str = "Zebedee";
const BODY: &str = "Dear Zebedee, your flu jab is on 3 Dec at 10:15.";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
}

/// Every way the patient's values could show up in text.
fn forbidden() -> Vec<&'static str> {
    vec![
        NHS,
        "943 476 5919",
        "434765919",
        MOBILE,
        "7700900123",
        "7700 900123",
        "+447700900123",
        "447700900123",
        "1987-03-14",
        "14/03/1987",
        "1987, 3, 14",
        "19870314",
        "1987-3-14",
        NAME,
        "flu jab",
    ]
}

fn assert_redacted(what: &str, value: &impl std::fmt::Debug) {
    for shown in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in forbidden() {
            assert!(
                !shown.contains(secret),
                "{what}'s Debug shows {secret:?}: {shown}"
            );
        }
    }
}

fn nhs() -> NhsNumber {
    NhsNumber::parse(NHS).unwrap()
}

fn mobile() -> UkMobile {
    UkMobile::parse(MOBILE).unwrap()
}

fn date_of_birth() -> DateOfBirth {
    DateOfBirth::parse("14/03/1987", today()).unwrap()
}

fn recipient() -> Recipient {
    Recipient::new(7, 9, nhs(), mobile(), BODY)
}

#[test]
fn the_values_are_what_the_test_looks_for() {
    // Guards against a vacuous pass: each value renders, where it is meant
    // to, in the forms the test searches for.
    assert_eq!(nhs().to_string(), NHS);
    assert_eq!(mobile().e164().as_str(), "+447700900123");
    assert_eq!(date_of_birth().iso().as_str(), "1987-03-14");
    assert_eq!(recipient().body.as_str(), BODY);
    let naive = format!("{:?}", date_of_birth().date());
    assert!(forbidden().contains(&naive.as_str()), "{naive}");
}

#[test]
fn typed_values() {
    assert_redacted("NhsNumber", &nhs());
    assert_redacted("UkMobile", &mobile());
    assert_redacted("DateOfBirth", &date_of_birth());
    assert_redacted("MessageBody", &MessageBody::new(BODY));
    assert_eq!(
        format!("{:?}", MessageBody::new(BODY)),
        format!("MessageBody(<{} bytes>)", BODY.len())
    );
}

#[test]
fn recipient_and_record() {
    let recipient = recipient();
    assert_redacted("Recipient", &recipient);
    let record = RecipientRecord {
        recipient,
        status: RecipientStatus::Delivered,
        reason: None,
        provider_id: Some("provider-1".to_owned()),
        sent_at: Some(Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap()),
        receipt_at: None,
    };
    assert_redacted("RecipientRecord", &record);
    assert_redacted("Vec<RecipientRecord>", &vec![record]);
}

#[test]
fn opt_out_list() {
    let list = OptOutList::read(Cursor::new(format!("{NHS}\n{MOBILE}\n"))).unwrap();
    assert_eq!(list.len(), 2, "both entries read");
    assert!(list.contains_nhs_number(nhs()) && list.contains_mobile(mobile()));
    assert_redacted("OptOutList", &list);
}

#[test]
fn declines() {
    let csv = format!(
        "NHS Number,Mobile,Date of birth,Name,Consent\r\n\
         {NHS},{MOBILE},14/03/1987,{NAME},Declined\r\n\
         ,07700900456,14/03/1987,{NAME},Declined\r\n"
    );
    let mut list = PatientList::open(Cursor::new(csv.into_bytes())).unwrap();
    let declines = Declines::find(&mut list, &OptOutList::default(), today()).unwrap();
    assert_eq!(declines.len(), 2, "both rows stop a text");
    assert_redacted("Declines", &declines);
}
