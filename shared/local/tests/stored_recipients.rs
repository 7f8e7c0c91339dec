//! Recipients are stored in SQLite as the same strings as before they were
//! typed (so existing databases still read), and a stored value that no
//! longer parses is a typed error naming the column, not a panic.

use batchmsg_core::batch::{Batch, BatchId, Recipient};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::ports::{BatchRepo, RecipientRepo};
use batchmsg_local::{DATABASE_FILE, Database};
use chrono::{TimeZone, Utc};

fn batch_id() -> BatchId {
    "20261125-090000-0001".parse().unwrap()
}

async fn seeded(dir: &std::path::Path) -> Database {
    let db = Database::open(dir).unwrap();
    db.create_batch(&Batch {
        id: batch_id(),
        status: BatchStatus::Validated,
        created_at: Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap(),
        list_name: "clinic.csv".to_owned(),
        message: "Hello ((name))".to_owned(),
        rows: 1,
        accepted: 1,
        not_accepted: 0,
    })
    .await
    .unwrap();
    let recipient = Recipient::new(
        0,
        2,
        "943 476 5919".parse().unwrap(),
        "07700 900123".parse().unwrap(),
        "Dear Zebedee, see you soon",
    );
    db.insert_recipients(&batch_id(), &[recipient])
        .await
        .unwrap();
    db
}

fn raw(dir: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join(DATABASE_FILE)).unwrap()
}

#[tokio::test]
async fn stored_as_the_same_strings_and_read_back_typed() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded(dir.path()).await;
    let stored: (String, String, String) = raw(dir.path())
        .query_row("SELECT nhs_number, mobile, body FROM recipients", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(
        stored,
        (
            "9434765919".to_owned(),
            "+447700900123".to_owned(),
            "Dear Zebedee, see you soon".to_owned()
        )
    );
    let records = db.records(&batch_id()).await.unwrap();
    assert_eq!(records[0].recipient.nhs_number.to_string(), "9434765919");
    assert_eq!(records[0].recipient.mobile.e164().as_str(), "+447700900123");
}

#[tokio::test]
async fn a_stored_value_that_no_longer_parses_is_an_error_that_shows_nothing() {
    for (column, value) in [
        ("nhs_number", "9434765918"),
        ("mobile", "+441632960000"),
        ("mobile", ""),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let db = seeded(dir.path()).await;
        raw(dir.path())
            .execute(&format!("UPDATE recipients SET {column} = ?1"), [value])
            .unwrap();
        let error = db.records(&batch_id()).await.unwrap_err().to_string();
        assert!(value.is_empty() || !error.contains(value), "{error}");
        assert!(
            error.contains("Conversion error"),
            "a typed conversion error: {error}"
        );
        assert!(!error.contains("Zebedee"), "{error}");
        let claimed = db.claim(&batch_id(), &[0], Utc::now()).await;
        assert!(
            claimed.is_err(),
            "{column} = {value:?} claimed as a recipient"
        );
    }
}
