//! Test support for every crate that implements or drives the ports: the
//! in-memory fake of every port ([`fake`]), and the conformance suites
//! ([`conformance`]) each implementation runs, so that the fake, SQLite and
//! DynamoDB are held to one contract rather than to their doc comments.
//!
//! Built for core's own tests, and for other crates with the `test-support`
//! feature (as a dev-dependency only).

pub mod chaos;
pub mod conformance;
pub mod fake;

use chrono::{DateTime, TimeZone, Utc};

use crate::batch::{Batch, BatchId, Recipient, Seq};
use crate::delivery::BatchStatus;
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;
use crate::ports::{BatchRepo, PortResult, RecipientRepo};
use crate::sms::Encoding;

/// 09:00 UTC on 25 November 2026, when the test batches are made.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

/// The test batch's id.
pub fn batch_id() -> BatchId {
    "20261125-090000-0001".parse().unwrap()
}

/// A test batch of `accepted` recipients, none declined, made at [`t0`].
pub fn batch(id: BatchId, status: BatchStatus, accepted: u32) -> Batch {
    Batch {
        id,
        status,
        created_at: t0(),
        list_name: "clinic-list.csv".into(),
        message: "Hello ((name)), your appointment is tomorrow.".into(),
        rows: u64::from(accepted),
        accepted: u64::from(accepted),
        not_accepted: 0,
    }
}

/// Stores [`batch`] and its `accepted` recipients ([`recipient`] 0, 1, …)
/// in `repos`; the recipients.
pub async fn store_batch(
    repos: &(impl BatchRepo + RecipientRepo + Sync),
    id: &BatchId,
    status: BatchStatus,
    accepted: u32,
) -> PortResult<Vec<Recipient>> {
    repos
        .create_batch(&batch(id.clone(), status, accepted))
        .await?;
    let recipients: Vec<Recipient> = (0..accepted).map(recipient).collect();
    repos.insert_recipients(id, &recipients).await?;
    Ok(recipients)
}

/// Recipient `seq` of a test batch: one fragment, mobile `+447700900{seq:03}`.
pub fn recipient(seq: Seq) -> Recipient {
    recipient_with_body(seq, format!("Hello {seq}, your appointment is tomorrow."))
}

/// Recipient `seq` with `body` as their text. The one place the suites and
/// the fake build a [`Recipient`].
pub fn recipient_with_body(seq: Seq, body: String) -> Recipient {
    Recipient {
        seq,
        row: u64::from(seq) + 2,
        nhs_number: (0..10)
            .find_map(|k| NhsNumber::from_first_nine(999_000_000 + u64::from(seq) * 10 + k))
            .expect("a check digit"),
        mobile: format!("+447700900{:03}", seq % 1000)
            .parse::<UkMobile>()
            .expect("a drama-range mobile"),
        body: body.into(),
        encoding: Encoding::Gsm7,
        fragments: 1,
    }
}
