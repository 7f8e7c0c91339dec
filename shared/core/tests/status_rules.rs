//! The rules `batchmsg status` and `batchmsg report` show, kept in core so
//! every front end counts and dates texts alike.

use batchmsg_core::batch::{RecipientRecord, StatusCounts};
use batchmsg_core::delivery::RecipientStatus;
use chrono::{DateTime, TimeZone, Utc};

#[test]
fn failed_is_the_three_kinds_of_failure_and_never_a_cancel() {
    let failures: Vec<_> = RecipientStatus::ALL
        .iter()
        .copied()
        .filter(|s| s.is_failure())
        .collect();
    assert_eq!(
        failures,
        [
            RecipientStatus::TemporaryFailure,
            RecipientStatus::PermanentFailure,
            RecipientStatus::TechnicalFailure,
        ]
    );
    // 1, 2, 4, … for each status in turn: the sum says which were counted.
    let counts = StatusCounts {
        by_status: RecipientStatus::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| (*s, 1 << i))
            .collect(),
        reasons: Vec::new(),
    };
    assert_eq!(counts.failed(), 16 + 32 + 64);
    assert_eq!(StatusCounts::default().failed(), 0);
}

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, minute, 0).unwrap()
}

fn record(status: RecipientStatus, sent: Option<u32>, receipt: Option<u32>) -> RecipientRecord {
    RecipientRecord {
        recipient: batchmsg_core::batch::Recipient::new(
            0,
            2,
            "9434765919".parse().unwrap(),
            "+447700900000".parse().unwrap(),
            "Hello",
        ),
        status,
        reason: None,
        provider_id: None,
        sent_at: sent.map(at),
        receipt_at: receipt.map(at),
    }
}

#[test]
fn a_texts_status_time_is_when_it_got_its_present_status() {
    use RecipientStatus as S;
    // (status, sent_at, receipt_at) → (delivered_at, status_at)
    let cases = [
        (S::Queued, None, None, None, None),
        // A claim's time is not a status time: it may not have gone.
        (S::Sending, None, None, None, None),
        (S::Sent, Some(1), None, None, Some(1)),
        (S::Delivered, Some(1), Some(3), Some(3), Some(3)),
        (S::TemporaryFailure, Some(1), Some(4), None, Some(4)),
        (S::PermanentFailure, Some(1), Some(5), None, Some(5)),
        // Failed or cancelled before it went: the time it was recorded.
        (S::TechnicalFailure, None, Some(6), None, Some(6)),
        (S::Cancelled, None, Some(7), None, Some(7)),
    ];
    assert_eq!(cases.len(), RecipientStatus::ALL.len());
    for (status, sent, receipt, delivered_at, status_at) in cases {
        let r = record(status, sent, receipt);
        assert_eq!(r.delivered_at(), delivered_at.map(at), "{status}");
        assert_eq!(r.status_at(), status_at.map(at), "{status}");
    }
}
