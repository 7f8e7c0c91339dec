//! The `RecipientRepo` contract.

use std::future::Future;

use chrono::{DateTime, TimeDelta, Utc};

use super::case_id;
use crate::batch::{BatchId, Recipient, RecipientRecord, Seq, StatusCounts};
use crate::delivery::{CANCELLED_REASON, RecipientEvent, RecipientStatus};
use crate::ports::{Published, Receipt, ReceiptApplied, ReceiptOutcome, RecipientRepo};
use crate::test_support::{recipient, recipient_with_body, t0};

use RecipientStatus as S;

const EVENTS: [RecipientEvent; 8] = [
    RecipientEvent::Claim,
    RecipientEvent::Published,
    RecipientEvent::Throttled,
    RecipientEvent::TechnicalFailure,
    RecipientEvent::Delivered,
    RecipientEvent::TemporaryFailure,
    RecipientEvent::PermanentFailure,
    RecipientEvent::Cancel,
];

/// Runs every case, each on a fresh store from `fresh`.
pub async fn recipient_repo<R, F, Fut>(fresh: F)
where
    R: RecipientRepo + Sync,
    F: Fn() -> Fut,
    Fut: Future<Output = R>,
{
    a_repeated_import_changes_nothing(&fresh().await).await;
    an_import_of_new_rows_then_its_retry(&fresh().await).await;
    a_batch_that_does_not_exist(&fresh().await).await;
    a_recipient_is_claimed_only_from_queued_once(&fresh().await).await;
    each_event_moves_only_from_its_sources(&fresh().await).await;
    moves_keep_what_they_record(&fresh().await).await;
    receipts_apply_once_in_order(&fresh().await).await;
    cancel_moves_only_queued_and_counts_them(&fresh().await).await;
    counts_by_status_name_then_most_first(&fresh().await).await;
    many_at_once(&fresh().await).await;
    a_big_batch_is_read_whole(&fresh().await).await;
    super::lost_jobs::lost_jobs(&fresh).await;
}

fn recipients(seqs: std::ops::Range<Seq>) -> Vec<Recipient> {
    seqs.map(recipient).collect()
}

fn at(hours: i64) -> DateTime<Utc> {
    t0() + TimeDelta::hours(hours)
}

/// The provider's id for `seq` of `batch`: unique across batches.
fn provider_id(batch: &BatchId, seq: Seq) -> String {
    format!("{batch}-{seq}")
}

fn published(batch: &BatchId, seq: Seq) -> Published {
    Published {
        seq,
        provider_id: provider_id(batch, seq),
        at: at(1),
    }
}

fn receipt(
    batch: &BatchId,
    seq: Seq,
    outcome: ReceiptOutcome,
    reason: Option<&str>,
    hours: i64,
) -> Receipt {
    Receipt {
        provider_id: provider_id(batch, seq),
        outcome,
        reason: reason.map(str::to_owned),
        at: at(hours),
    }
}

async fn statuses(repo: &impl RecipientRepo, batch: &BatchId) -> Vec<RecipientStatus> {
    let records = repo.records(batch).await.unwrap();
    records.iter().map(|r| r.status).collect()
}

async fn record(repo: &impl RecipientRepo, batch: &BatchId, seq: Seq) -> RecipientRecord {
    let records = repo.records(batch).await.unwrap();
    let found = records.into_iter().find(|r| r.recipient.seq == seq);
    found.unwrap_or_else(|| panic!("recipient {seq} is stored"))
}

/// Puts each `(seq, status)` of `batch` in that status through the port's
/// own moves, from `queued`.
async fn put_in(repo: &impl RecipientRepo, batch: &BatchId, wanted: &[(Seq, RecipientStatus)]) {
    let all: Vec<Recipient> = wanted.iter().map(|&(seq, _)| recipient(seq)).collect();
    repo.insert_recipients(batch, &all).await.unwrap();
    let which = |f: fn(RecipientStatus) -> bool| -> Vec<Seq> {
        wanted
            .iter()
            .filter(|(_, s)| f(*s))
            .map(|(seq, _)| *seq)
            .collect()
    };
    let claimed = which(|s| !matches!(s, S::Queued | S::Cancelled));
    assert_eq!(
        repo.claim(batch, &claimed, at(0)).await.unwrap().len(),
        claimed.len()
    );
    let sent = which(|s| {
        matches!(
            s,
            S::Sent | S::Delivered | S::TemporaryFailure | S::PermanentFailure
        )
    });
    let sent: Vec<Published> = sent.into_iter().map(|seq| published(batch, seq)).collect();
    repo.mark_sent(batch, &sent).await.unwrap();
    for (seq, status) in wanted {
        let outcome = match status {
            S::Delivered => ReceiptOutcome::Delivered,
            S::TemporaryFailure => ReceiptOutcome::TemporaryFailure,
            S::PermanentFailure => ReceiptOutcome::PermanentFailure,
            _ => continue,
        };
        let r = receipt(batch, *seq, outcome, Some("Provider's reason"), 2);
        assert_eq!(
            repo.record_receipt(&r).await.unwrap(),
            ReceiptApplied::Applied
        );
    }
    let failed: Vec<(Seq, String)> = which(|s| s == S::TechnicalFailure)
        .into_iter()
        .map(|seq| (seq, "Refused".to_owned()))
        .collect();
    repo.fail_technical(batch, &failed, at(2)).await.unwrap();
    let cancelled = which(|s| s == S::Cancelled);
    repo.cancel_these(batch, &cancelled, at(2)).await.unwrap();
    for (seq, status) in wanted {
        assert_eq!(record(repo, batch, *seq).await.status, *status, "{seq}");
    }
}

async fn a_repeated_import_changes_nothing(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(1);
    repo.insert_recipients(&id, &recipients(0..5))
        .await
        .unwrap();
    repo.claim(&id, &[0], at(0)).await.unwrap();
    repo.mark_sent(&id, &[published(&id, 0)]).await.unwrap();
    let changed: Vec<Recipient> = (0..8)
        .map(|seq| recipient_with_body(seq, format!("Changed {seq}")))
        .collect();
    repo.insert_recipients(&id, &changed).await.unwrap();
    repo.insert_recipients(&id, &[]).await.unwrap();
    let records = repo.records(&id).await.unwrap();
    let got: Vec<(Recipient, RecipientStatus)> = records
        .into_iter()
        .map(|r| (r.recipient, r.status))
        .collect();
    let mut expected: Vec<(Recipient, RecipientStatus)> = (0..5)
        .map(|seq| (recipient(seq), S::Queued))
        .chain((5..8).map(|seq| (changed[seq as usize].clone(), S::Queued)))
        .collect();
    expected[0].1 = S::Sent;
    assert_eq!(
        got, expected,
        "stored ones are left alone, a sent one stays sent"
    );

    let twice = [
        recipient_with_body(9, "First".to_owned()),
        recipient_with_body(9, "Second".to_owned()),
    ];
    repo.insert_recipients(&id, &twice).await.unwrap();
    assert_eq!(
        record(repo, &id, 9).await.recipient,
        twice[0],
        "of one seq twice in an import, the first"
    );
}

/// The first claim's import writes its rows as new; a retry of the same
/// upload (a later claim) imports them all again the careful way: what the
/// first stored stays as it is, what it did not reach is added.
async fn an_import_of_new_rows_then_its_retry(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(4);
    let first = recipients(0..260);
    repo.insert_new_recipients(&id, &first[..130])
        .await
        .unwrap();
    repo.insert_new_recipients(&id, &[]).await.unwrap();
    let records = repo.records(&id).await.unwrap();
    assert_eq!(
        records
            .iter()
            .map(|r| (r.recipient.clone(), r.status))
            .collect::<Vec<_>>(),
        first[..130]
            .iter()
            .map(|r| (r.clone(), S::Queued))
            .collect::<Vec<_>>(),
        "new rows are stored whole, queued"
    );
    // The import stopped there; one of its texts has moved on (as no text
    // can before validation ends: this shows the retry does not look).
    repo.claim(&id, &[7], at(0)).await.unwrap();
    repo.insert_recipients(&id, &first).await.unwrap();
    let records = repo.records(&id).await.unwrap();
    assert_eq!(records.len(), 260, "the retry adds what the first missed");
    for (r, wanted) in records.iter().zip(&first) {
        assert_eq!(&r.recipient, wanted);
        let status = if r.recipient.seq == 7 {
            S::Sending
        } else {
            S::Queued
        };
        assert_eq!(r.status, status, "{}", r.recipient.seq);
    }
}

async fn a_batch_that_does_not_exist(repo: &(impl RecipientRepo + Sync)) {
    let (missing, other) = (case_id(2), case_id(3));
    repo.insert_recipients(&other, &recipients(0..3))
        .await
        .unwrap();
    assert!(
        repo.queued_in(&missing, 0..Seq::MAX)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        repo.claim(&missing, &[0, 1], at(0))
            .await
            .unwrap()
            .is_empty()
    );
    repo.mark_sent(&missing, &[published(&missing, 0)])
        .await
        .unwrap();
    repo.requeue(&missing, &[0]).await.unwrap();
    repo.fail_technical(&missing, &[(0, "x".to_owned())], at(0))
        .await
        .unwrap();
    assert_eq!(repo.cancel_queued(&missing, at(0)).await.unwrap(), 0);
    assert_eq!(
        repo.cancel_these(&missing, &[0, 1], at(0)).await.unwrap(),
        0
    );
    assert!(repo.sending(&missing).await.unwrap().is_empty());
    assert_eq!(
        repo.counts(&missing, None).await.unwrap(),
        StatusCounts::default()
    );
    assert_eq!(
        repo.counts(&missing, Some(0..10)).await.unwrap(),
        StatusCounts::default()
    );
    assert!(
        repo.records(&missing).await.unwrap().is_empty(),
        "no move creates a recipient"
    );
    assert_eq!(
        repo.record_receipt(&receipt(&missing, 0, ReceiptOutcome::Delivered, None, 1))
            .await
            .unwrap(),
        ReceiptApplied::NotYetKnown
    );
    assert_eq!(
        statuses(repo, &other).await,
        [S::Queued; 3],
        "another batch's recipients are untouched"
    );
}

async fn a_recipient_is_claimed_only_from_queued_once(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(4);
    repo.insert_recipients(&id, &recipients(0..5))
        .await
        .unwrap();
    assert_eq!(
        repo.claim(&id, &[3, 1, 1, 99], at(0)).await.unwrap(),
        [recipient(3), recipient(1)],
        "in the order asked, once each, only those stored"
    );
    assert_eq!(
        repo.claim(&id, &[0, 1, 3], at(1)).await.unwrap(),
        [recipient(0)],
        "only those still queued"
    );
    assert_eq!(
        repo.sending(&id).await.unwrap(),
        [(0, at(1)), (1, at(0)), (3, at(0))],
        "in seq order, with when each was claimed"
    );
    assert_eq!(repo.queued_in(&id, 0..5).await.unwrap(), [2, 4]);
    assert!(
        repo.claim(&case_id(5), &[2, 4], at(0))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(repo.queued_in(&id, 0..5).await.unwrap(), [2, 4]);
}

/// From every state, every event, through the port method that makes it:
/// a move happens exactly when `crate::delivery` allows it.
async fn each_event_moves_only_from_its_sources(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(6);
    let mut cases = Vec::new();
    let mut seq = 0;
    for &from in S::ALL {
        for event in EVENTS {
            cases.push((seq, from, event));
            seq += 1;
        }
    }
    let wanted: Vec<(Seq, RecipientStatus)> = cases.iter().map(|&(seq, s, _)| (seq, s)).collect();
    put_in(repo, &id, &wanted).await;

    for (seq, from, event) in cases {
        let before = record(repo, &id, seq).await;
        let expected = from.apply(event).ok();
        let again = Published {
            provider_id: format!("{}-again", provider_id(&id, seq)),
            ..published(&id, seq)
        };
        let outcome = |o| receipt(&id, seq, o, Some("Receipt"), 3);
        let reported = match event {
            RecipientEvent::Claim => Some(repo.claim(&id, &[seq], at(3)).await.unwrap().len() == 1),
            RecipientEvent::Published => {
                repo.mark_sent(&id, std::slice::from_ref(&again))
                    .await
                    .unwrap();
                None
            }
            RecipientEvent::Throttled => {
                repo.requeue(&id, &[seq]).await.unwrap();
                None
            }
            RecipientEvent::TechnicalFailure => {
                let failed = [(seq, "Failed".to_owned())];
                repo.fail_technical(&id, &failed, at(3)).await.unwrap();
                None
            }
            RecipientEvent::Delivered
            | RecipientEvent::TemporaryFailure
            | RecipientEvent::PermanentFailure => {
                let o = match event {
                    RecipientEvent::Delivered => ReceiptOutcome::Delivered,
                    RecipientEvent::TemporaryFailure => ReceiptOutcome::TemporaryFailure,
                    _ => ReceiptOutcome::PermanentFailure,
                };
                let applied = repo.record_receipt(&outcome(o)).await.unwrap();
                let unmoved = if before.provider_id.is_some() {
                    ReceiptApplied::Ignored
                } else {
                    ReceiptApplied::NotYetKnown
                };
                let wanted = if expected.is_some() {
                    ReceiptApplied::Applied
                } else {
                    unmoved
                };
                assert_eq!(applied, wanted, "{from} on {event:?}");
                Some(applied == ReceiptApplied::Applied)
            }
            RecipientEvent::Cancel => {
                Some(repo.cancel_these(&id, &[seq], at(3)).await.unwrap() == 1)
            }
        };
        if let Some(moved) = reported {
            assert_eq!(moved, expected.is_some(), "{from} on {event:?}: reported");
        }
        let after = record(repo, &id, seq).await;
        assert_eq!(
            after.status,
            expected.unwrap_or(from),
            "{from} on {event:?}"
        );
        if expected.is_none() {
            assert_eq!(after, before, "{from} on {event:?}: nothing changes");
        }
        if event == RecipientEvent::Published && expected.is_none() {
            let r = Receipt {
                provider_id: again.provider_id.clone(),
                ..outcome(ReceiptOutcome::Delivered)
            };
            assert_eq!(
                repo.record_receipt(&r).await.unwrap(),
                ReceiptApplied::NotYetKnown,
                "{from}: the id of a text not marked sent finds nothing"
            );
        }
    }
}

async fn moves_keep_what_they_record(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(7);
    repo.insert_recipients(&id, &recipients(0..6))
        .await
        .unwrap();
    repo.claim(&id, &[0, 1, 2, 3], at(1)).await.unwrap();
    repo.mark_sent(
        &id,
        &[Published {
            at: at(2),
            ..published(&id, 0)
        }],
    )
    .await
    .unwrap();
    let sent = record(repo, &id, 0).await;
    assert_eq!(
        (
            sent.status,
            sent.provider_id,
            sent.sent_at,
            sent.reason,
            sent.receipt_at
        ),
        (S::Sent, Some(provider_id(&id, 0)), Some(at(2)), None, None)
    );

    repo.requeue(&id, &[1]).await.unwrap();
    assert_eq!(record(repo, &id, 1).await.status, S::Queued);
    assert_eq!(repo.sending(&id).await.unwrap(), [(2, at(1)), (3, at(1))]);
    repo.claim(&id, &[1], at(3)).await.unwrap();
    assert_eq!(
        repo.sending(&id).await.unwrap(),
        [(1, at(3)), (2, at(1)), (3, at(1))],
        "claimed again, at the new time"
    );

    repo.fail_technical(&id, &[(2, "Refused: opted out".to_owned())], at(4))
        .await
        .unwrap();
    let failed = record(repo, &id, 2).await;
    assert_eq!(
        (failed.status, failed.reason.as_deref(), failed.receipt_at),
        (S::TechnicalFailure, Some("Refused: opted out"), Some(at(4)))
    );

    assert_eq!(repo.cancel_these(&id, &[4], at(5)).await.unwrap(), 1);
    let cancelled = record(repo, &id, 4).await;
    assert_eq!(
        (
            cancelled.status,
            cancelled.reason.as_deref(),
            cancelled.receipt_at
        ),
        (S::Cancelled, Some(CANCELLED_REASON), Some(at(5)))
    );

    let temporary = receipt(&id, 0, ReceiptOutcome::TemporaryFailure, Some("Absent"), 6);
    repo.record_receipt(&temporary).await.unwrap();
    let delivered = receipt(&id, 0, ReceiptOutcome::Delivered, None, 7);
    repo.record_receipt(&delivered).await.unwrap();
    let record0 = record(repo, &id, 0).await;
    assert_eq!(
        (
            record0.status,
            record0.reason,
            record0.receipt_at,
            record0.sent_at
        ),
        (S::Delivered, None, Some(at(7)), Some(at(2))),
        "the last receipt's reason (none) and time; sent_at kept"
    );
    assert_eq!(
        record0.recipient,
        recipient(0),
        "the recipient is as imported"
    );
}

async fn receipts_apply_once_in_order(repo: &(impl RecipientRepo + Sync)) {
    use ReceiptApplied::{Applied, Ignored, NotYetKnown};
    use ReceiptOutcome::{Delivered, PermanentFailure, TemporaryFailure};
    let id = case_id(8);
    repo.insert_recipients(&id, &recipients(0..4))
        .await
        .unwrap();
    repo.claim(&id, &[0, 1, 2, 3], at(0)).await.unwrap();
    let sent: Vec<Published> = (0..4).map(|seq| published(&id, seq)).collect();
    repo.mark_sent(&id, &sent).await.unwrap();

    let one = |seq, outcome| receipt(&id, seq, outcome, None, 2);
    assert_eq!(
        repo.record_receipt(&one(0, Delivered)).await.unwrap(),
        Applied
    );
    assert_eq!(
        repo.record_receipt(&one(0, Delivered)).await.unwrap(),
        Ignored
    );
    assert_eq!(
        repo.record_receipt(&one(1, TemporaryFailure))
            .await
            .unwrap(),
        Applied
    );
    assert_eq!(
        repo.record_receipt(&one(1, Delivered)).await.unwrap(),
        Applied
    );
    assert_eq!(
        repo.record_receipt(&one(2, Delivered)).await.unwrap(),
        Applied
    );
    assert_eq!(
        repo.record_receipt(&one(2, PermanentFailure))
            .await
            .unwrap(),
        Ignored
    );
    let unknown = Receipt {
        provider_id: "never-given".to_owned(),
        ..one(0, Delivered)
    };
    assert_eq!(repo.record_receipt(&unknown).await.unwrap(), NotYetKnown);

    let many = [
        one(3, TemporaryFailure),
        one(3, PermanentFailure),
        one(3, Delivered),
        unknown,
        one(0, PermanentFailure),
    ];
    assert_eq!(
        repo.record_receipts(&many).await.unwrap(),
        [Applied, Applied, Ignored, NotYetKnown, Ignored],
        "each as if one by one, in order"
    );
    assert_eq!(
        statuses(repo, &id).await,
        [
            S::Delivered,
            S::Delivered,
            S::Delivered,
            S::PermanentFailure
        ]
    );
    assert!(repo.record_receipts(&[]).await.unwrap().is_empty());
}

async fn cancel_moves_only_queued_and_counts_them(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(9);
    repo.insert_recipients(&id, &recipients(0..8))
        .await
        .unwrap();
    repo.claim(&id, &[0, 1], at(0)).await.unwrap();
    repo.mark_sent(&id, &[published(&id, 0)]).await.unwrap();
    assert_eq!(
        repo.cancel_these(&id, &[1, 2, 3, 3, 99], at(1))
            .await
            .unwrap(),
        2
    );
    assert_eq!(repo.cancel_queued(&id, at(1)).await.unwrap(), 4);
    assert_eq!(repo.cancel_queued(&id, at(1)).await.unwrap(), 0);
    assert_eq!(repo.cancel_these(&id, &[2, 4], at(1)).await.unwrap(), 0);
    let mut expected = vec![S::Sent, S::Sending];
    expected.extend([S::Cancelled; 6]);
    assert_eq!(statuses(repo, &id).await, expected);
}

/// `counts` lists statuses in the order of their names, and reasons by
/// status name, then most first, then by the reason's text.
async fn counts_by_status_name_then_most_first(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(10);
    repo.insert_recipients(&id, &recipients(0..12))
        .await
        .unwrap();
    repo.claim(&id, &[2, 3, 4, 5, 6, 7, 8, 9], at(0))
        .await
        .unwrap();
    let sent: Vec<Published> = (2..7).map(|seq| published(&id, seq)).collect();
    repo.mark_sent(&id, &sent).await.unwrap();
    let unknown = Some("Unknown subscriber");
    let receipts = [
        receipt(&id, 2, ReceiptOutcome::PermanentFailure, unknown, 2),
        receipt(&id, 3, ReceiptOutcome::PermanentFailure, unknown, 2),
        receipt(&id, 4, ReceiptOutcome::PermanentFailure, Some("Barred"), 2),
        receipt(&id, 5, ReceiptOutcome::Delivered, None, 2),
        receipt(&id, 6, ReceiptOutcome::TemporaryFailure, Some("Absent"), 2),
    ];
    repo.record_receipts(&receipts).await.unwrap();
    let failed = [(8, "Refused: b".to_owned()), (9, "Refused: a".to_owned())];
    repo.fail_technical(&id, &failed, at(2)).await.unwrap();
    repo.cancel_these(&id, &[10], at(2)).await.unwrap();

    let all = repo.counts(&id, None).await.unwrap();
    assert_eq!(
        all.by_status,
        [
            (S::Cancelled, 1),
            (S::Delivered, 1),
            (S::PermanentFailure, 3),
            (S::Queued, 3),
            (S::Sending, 1),
            (S::TechnicalFailure, 2),
            (S::TemporaryFailure, 1),
        ]
    );
    assert_eq!(
        all.reasons,
        [
            (S::Cancelled, CANCELLED_REASON.to_owned(), 1),
            (S::PermanentFailure, "Unknown subscriber".to_owned(), 2),
            (S::PermanentFailure, "Barred".to_owned(), 1),
            (S::TechnicalFailure, "Refused: a".to_owned(), 1),
            (S::TechnicalFailure, "Refused: b".to_owned(), 1),
            (S::TemporaryFailure, "Absent".to_owned(), 1),
        ]
    );
    assert_eq!((all.total(), all.waiting()), (12, 4));
    assert_eq!(repo.counts(&id, Some(0..Seq::MAX)).await.unwrap(), all);

    let wave = repo.counts(&id, Some(4..8)).await.unwrap();
    assert_eq!(
        wave.by_status,
        [
            (S::Delivered, 1),
            (S::PermanentFailure, 1),
            (S::Sending, 1),
            (S::TemporaryFailure, 1),
        ]
    );
    assert_eq!(
        wave.reasons,
        [
            (S::PermanentFailure, "Barred".to_owned(), 1),
            (S::TemporaryFailure, "Absent".to_owned(), 1),
        ]
    );
    assert_eq!(
        repo.counts(&id, Some(5..5)).await.unwrap(),
        StatusCounts::default()
    );
    assert_eq!(
        repo.counts(&id, Some(12..20)).await.unwrap(),
        StatusCounts::default()
    );

    assert_eq!(repo.queued_in(&id, 0..4).await.unwrap(), [0, 1]);
    assert_eq!(repo.queued_in(&id, 4..12).await.unwrap(), [11]);
    assert_eq!(repo.queued_in(&id, 0..Seq::MAX).await.unwrap(), [0, 1, 11]);
    assert!(repo.queued_in(&id, 5..5).await.unwrap().is_empty());
}

/// More at once than one DynamoDB transaction (100) or batch write (25)
/// holds.
async fn many_at_once(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(11);
    let n = 250;
    repo.insert_recipients(&id, &recipients(0..n))
        .await
        .unwrap();
    let seqs: Vec<Seq> = (0..n).collect();
    let claimed = repo.claim(&id, &seqs, at(0)).await.unwrap();
    assert_eq!(claimed, recipients(0..n));
    let sent: Vec<Published> = (0..n).map(|seq| published(&id, seq)).collect();
    repo.mark_sent(&id, &sent).await.unwrap();
    let receipts: Vec<Receipt> = (0..n)
        .map(|seq| receipt(&id, seq, ReceiptOutcome::Delivered, None, 2))
        .collect();
    assert_eq!(
        repo.record_receipts(&receipts).await.unwrap(),
        vec![ReceiptApplied::Applied; n as usize]
    );
    assert_eq!(
        repo.counts(&id, None).await.unwrap().by_status,
        [(S::Delivered, u64::from(n))]
    );
    repo.insert_recipients(&id, &recipients(n..2 * n))
        .await
        .unwrap();
    assert_eq!(repo.cancel_queued(&id, at(3)).await.unwrap(), u64::from(n));
}

/// 1,100 recipients of ~1.9 kB: more than a DynamoDB page (1 MB) holds,
/// read whole and in order by every method that reads the batch.
async fn a_big_batch_is_read_whole(repo: &(impl RecipientRepo + Sync)) {
    let id = case_id(12);
    let n: Seq = 1_100;
    let long: Vec<Recipient> = (0..n)
        .map(|seq| recipient_with_body(seq, format!("{seq} {}", "é".repeat(900))))
        .collect();
    repo.insert_recipients(&id, &long).await.unwrap();
    repo.insert_recipients(&id, &long).await.unwrap();
    assert_eq!(
        repo.claim(&id, &[100, 1_050], at(0)).await.unwrap(),
        [long[100].clone(), long[1_050].clone()]
    );
    assert_eq!(repo.cancel_these(&id, &[700], at(0)).await.unwrap(), 1);

    let records = repo.records(&id).await.unwrap();
    assert_eq!(records.len(), n as usize);
    assert!(records.iter().zip(&long).all(|(r, l)| r.recipient == *l));
    let queued = repo.queued_in(&id, 0..n).await.unwrap();
    assert_eq!(queued.len(), n as usize - 3);
    assert_eq!(queued[99..101], [99, 101]);
    assert_eq!(
        repo.sending(&id).await.unwrap(),
        [(100, at(0)), (1_050, at(0))]
    );
    assert_eq!(
        repo.counts(&id, None).await.unwrap().by_status,
        [
            (S::Cancelled, 1),
            (S::Queued, u64::from(n) - 3),
            (S::Sending, 2)
        ]
    );
    assert_eq!(
        repo.counts(&id, Some(1_000..n)).await.unwrap().by_status,
        [(S::Queued, 99), (S::Sending, 1)]
    );
    assert_eq!(repo.queued_in(&id, 1_000..n).await.unwrap().len(), 99);
    assert_eq!(
        repo.queued_without_job_since(&id, 0..n, at(1))
            .await
            .unwrap(),
        queued
    );
}
