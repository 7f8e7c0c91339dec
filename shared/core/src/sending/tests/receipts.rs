use chrono::TimeDelta;

use super::fake::{Fake, t0};
use crate::delivery::{BatchStatus, RecipientStatus};
use crate::ports::{Receipt, ReceiptOutcome};
use crate::sending::{RateUnit, ReceiptsRecorded, Recovered};

fn receipt(provider_id: &str, outcome: ReceiptOutcome, reason: Option<&str>) -> Receipt {
    Receipt {
        provider_id: provider_id.to_owned(),
        outcome,
        reason: reason.map(str::to_owned),
        at: t0() + TimeDelta::minutes(5),
    }
}

#[tokio::test]
async fn receipts_apply_where_the_texts_state_allows() {
    use ReceiptOutcome::*;
    let fake = Fake::with_batch(BatchStatus::Sending, &[4]);
    assert_eq!(fake.send(&[0, 1, 2]).await.sent, 3);
    let id = |seq| fake.provider_id(seq).unwrap();

    let unknown = receipt("msg-unknown", Delivered, None);
    let recorded = fake
        .receipts(&[
            receipt(&id(0), Delivered, None),
            // A temporary failure may be followed by the final receipt.
            receipt(&id(1), TemporaryFailure, Some("Phone is off")),
            receipt(&id(1), Delivered, None),
            receipt(&id(2), PermanentFailure, Some("Number not in service")),
            // Repeated or late: ignored.
            receipt(&id(0), Delivered, None),
            receipt(&id(0), TemporaryFailure, Some("late")),
            receipt(&id(2), Delivered, None),
            // For no text we know (yet): handed back.
            unknown.clone(),
        ])
        .await;
    assert_eq!(
        recorded,
        ReceiptsRecorded {
            applied: 4,
            ignored: 3,
            early: vec![unknown],
        }
    );
    assert_eq!(
        fake.statuses(),
        [
            RecipientStatus::Delivered,
            RecipientStatus::Delivered,
            RecipientStatus::PermanentFailure,
            RecipientStatus::Queued,
        ]
    );
    let failed = fake.record(2);
    assert_eq!(failed.reason.as_deref(), Some("Number not in service"));
    assert_eq!(failed.receipt_at, Some(t0() + TimeDelta::minutes(5)));
    // Receipts send nothing.
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1, 0]);
}

#[tokio::test]
async fn a_receipt_for_a_text_in_a_final_state_is_ignored() {
    use ReceiptOutcome::*;
    let fake = Fake::with_batch(BatchStatus::Sending, &[2]);
    fake.send(&[0, 1]).await;
    let id0 = fake.provider_id(0).unwrap();
    let id1 = fake.provider_id(1).unwrap();
    assert_eq!(
        fake.receipts(&[
            receipt(&id0, PermanentFailure, Some("Blocked")),
            receipt(&id1, TemporaryFailure, None),
            receipt(&id1, TemporaryFailure, None),
        ])
        .await,
        ReceiptsRecorded {
            applied: 2,
            ignored: 1,
            early: vec![],
        }
    );
    for outcome in [Delivered, TemporaryFailure, PermanentFailure] {
        let recorded = fake.receipts(&[receipt(&id0, outcome, None)]).await;
        assert_eq!((recorded.applied, recorded.ignored), (0, 1), "{outcome:?}");
        assert!(recorded.early.is_empty());
    }
    assert_eq!(fake.status(0), RecipientStatus::PermanentFailure);
    assert_eq!(fake.record(0).reason.as_deref(), Some("Blocked"));
    assert_eq!(fake.status(1), RecipientStatus::TemporaryFailure);
    assert_eq!(fake.receipts(&[]).await, ReceiptsRecorded::default());
}

#[tokio::test]
async fn a_receipt_that_overtakes_its_text_applies_once_the_text_is_recorded() {
    use ReceiptOutcome::*;
    let fake = Fake::with_batch(BatchStatus::Sending, &[2]);
    // The provider took both texts; the sender stopped before recording them.
    fake.state().fail_mark_sent = 1;
    assert!(fake.send_in(&[0, 1], RateUnit::Texts).await.is_err());
    let early = [
        receipt(&fake.provider_id(0).unwrap(), Delivered, None),
        receipt(&fake.provider_id(1).unwrap(), PermanentFailure, Some("Off")),
    ];
    let recorded = fake.receipts(&early).await;
    assert_eq!((recorded.applied, recorded.ignored), (0, 0));
    assert_eq!(recorded.early, early);
    assert_eq!(fake.statuses(), [RecipientStatus::Sending; 2]);

    assert_eq!(fake.recover().await.sent, 2);
    let recorded = fake.receipts(&recorded.early).await;
    assert_eq!(
        recorded,
        ReceiptsRecorded {
            applied: 2,
            ..ReceiptsRecorded::default()
        }
    );
    assert_eq!(
        fake.statuses(),
        [
            RecipientStatus::Delivered,
            RecipientStatus::PermanentFailure
        ]
    );
    assert_eq!(fake.texts_per_recipient(), [1, 1]);
    assert_eq!(fake.recover().await, Recovered::default());
}
