//! `stamp_finished` on the fake, whose clock moves on by
//! `stamp_takes` with each page.

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::delivery::{BatchEvent, BatchStatus, RecipientStatus};
use crate::ports::{BatchRepo, Published, Receipt, ReceiptApplied, ReceiptOutcome, RecipientRepo};
use crate::test_support::fake::Fake;
use crate::test_support::{batch_id, t0};

const NINETY: TimeDelta = TimeDelta::days(90);

/// A sending batch of `total` recipients in waves of `sizes`, the first
/// `sent` of them sent (provider ids `p0`, `p1`, …) and the rest
/// technical failures: nothing left waiting.
async fn settled(sizes: &[u32], sent: u32) -> Fake {
    let fake = Fake::with_batch(BatchStatus::Sending, sizes);
    let total: u32 = sizes.iter().sum();
    let id = batch_id();
    let seqs: Vec<u32> = (0..total).collect();
    fake.claim(&id, &seqs, t0()).await.unwrap();
    let published: Vec<Published> = (0..sent)
        .map(|seq| Published {
            seq,
            provider_id: format!("p{seq}"),
            at: t0(),
        })
        .collect();
    fake.mark_sent(&id, &published).await.unwrap();
    let failed: Vec<(u32, String)> = (sent..total).map(|s| (s, "x".to_owned())).collect();
    fake.fail_technical(&id, &failed, t0()).await.unwrap();
    {
        let mut st = fake.state();
        for wave in st.waves.get_mut(&id).unwrap().values_mut() {
            wave.status = crate::delivery::WaveStatus::Released;
        }
    }
    fake
}

/// Every item key the batch should have stamped.
fn all_keys(total: u32, sent: u32, waves: u32) -> Vec<String> {
    let mut keys: Vec<String> = (0..total).map(|s| format!("R#{s:07}")).collect();
    keys.extend((0..sent).map(|s| format!("MSG#p{s}")));
    keys.extend((1..=waves).map(|w| format!("W#{w:05}")));
    keys.push("BATCH".to_owned());
    keys.sort();
    keys
}

fn stamped(fake: &Fake) -> Vec<(String, DateTime<Utc>)> {
    let st = fake.state();
    st.expires_at
        .iter()
        .map(|((_, key), at)| (key.clone(), *at))
        .collect()
}

fn far() -> DateTime<Utc> {
    t0() + TimeDelta::days(1)
}

#[tokio::test]
async fn completed_and_cancelled_batches_both_expire_every_item() {
    for cancelled in [false, true] {
        let fake = settled(&[30, 25], 40).await;
        let id = batch_id();
        if cancelled {
            assert!(fake.batch_event(&id, BatchEvent::Cancel).await.unwrap());
            assert!(fake.close(&id).await.unwrap());
        } else {
            assert!(fake.batch_event(&id, BatchEvent::Complete).await.unwrap());
        }
        let finished_at = fake.state().now;
        let run = stamp_finished(&fake, &fake, NINETY, TimeDelta::zero(), far())
            .await
            .unwrap();
        assert_eq!(
            run,
            StampedRun {
                batches_done: 1,
                items: 55 + 40 + 2 + 1,
                out_of_time: false
            },
            "cancelled: {cancelled}"
        );
        let got = stamped(&fake);
        let keys: Vec<String> = got.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(keys, all_keys(55, 40, 2), "cancelled: {cancelled}");
        assert!(got.iter().all(|(_, at)| *at == finished_at + NINETY));
        assert!(fake.state().finished.is_empty());
    }
}

#[tokio::test]
async fn the_budget_stops_a_run_and_the_next_goes_on_from_there() {
    let fake = settled(&[95], 50).await;
    fake.state().stamp_takes = TimeDelta::seconds(1);
    let id = batch_id();
    assert!(fake.batch_event(&id, BatchEvent::Complete).await.unwrap());
    let finished_at = fake.state().now;

    // Pages of 10 items, a second each: three fit in three seconds.
    let deadline = finished_at + TimeDelta::seconds(3);
    let first = stamp_finished(&fake, &fake, NINETY, TimeDelta::zero(), deadline)
        .await
        .unwrap();
    assert_eq!(
        first,
        StampedRun {
            batches_done: 0,
            items: 30,
            out_of_time: true
        }
    );
    assert!(!stamped(&fake).iter().any(|(k, _)| k == "BATCH"));
    assert_eq!(fake.state().finished.len(), 1, "still to do");

    // The next sweep, five minutes on, goes on with the same expiry.
    fake.state().now += TimeDelta::minutes(5);
    let mut runs = 1;
    loop {
        let now = fake.state().now;
        let run = stamp_finished(
            &fake,
            &fake,
            NINETY,
            TimeDelta::zero(),
            now + TimeDelta::seconds(4),
        )
        .await
        .unwrap();
        runs += 1;
        if run.batches_done == 1 {
            break;
        }
        assert!(run.out_of_time);
        assert!(runs < 20, "it goes on");
    }
    // 95 recipients + 50 ids + 1 wave = 146 items in pages of 10: 15
    // pages, 3 then 4 a run.
    assert_eq!(runs, 4);
    let got = stamped(&fake);
    assert_eq!(
        got.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
        all_keys(95, 50, 1)
    );
    assert!(
        got.iter().all(|(_, at)| *at == finished_at + NINETY),
        "counted from when the first run saw it finished"
    );
}

#[tokio::test]
async fn the_finish_time_is_recorded_once_by_the_first_run_that_sees_it() {
    let fake = settled(&[5], 5).await;
    fake.state().stamp_takes = TimeDelta::seconds(1);
    let id = batch_id();
    assert!(fake.batch_event(&id, BatchEvent::Complete).await.unwrap());
    let seen = fake.state().now + TimeDelta::minutes(4);
    fake.state().now = seen;
    // A run whose deadline has passed on arrival does nothing, records nothing.
    let none = stamp_finished(&fake, &fake, NINETY, TimeDelta::zero(), seen)
        .await
        .unwrap();
    assert_eq!(none.items, 0);
    assert_eq!(fake.state().finished[&id], None);
    stamp_finished(
        &fake,
        &fake,
        NINETY,
        TimeDelta::zero(),
        seen + TimeDelta::seconds(1),
    )
    .await
    .unwrap();
    assert_eq!(fake.state().finished[&id], Some(seen));
    fake.state().now += TimeDelta::minutes(5);
    stamp_finished(&fake, &fake, NINETY, TimeDelta::zero(), far())
        .await
        .unwrap();
    assert!(stamped(&fake).iter().all(|(_, at)| *at == seen + NINETY));
}

#[tokio::test]
async fn a_receipt_after_the_stamp_keeps_the_expiry() {
    let fake = settled(&[3], 3).await;
    let id = batch_id();
    assert!(fake.batch_event(&id, BatchEvent::Complete).await.unwrap());
    stamp_finished(&fake, &fake, NINETY, TimeDelta::zero(), far())
        .await
        .unwrap();
    let before = stamped(&fake);
    let receipt = Receipt {
        provider_id: "p1".to_owned(),
        outcome: ReceiptOutcome::Delivered,
        reason: None,
        at: t0() + TimeDelta::hours(1),
    };
    assert_eq!(
        fake.record_receipt(&receipt).await.unwrap(),
        ReceiptApplied::Applied
    );
    assert_eq!(
        fake.records(&id).await.unwrap()[1].status,
        RecipientStatus::Delivered
    );
    assert_eq!(stamped(&fake), before);
    // And a later run stamps nothing again.
    let again = stamp_finished(&fake, &fake, NINETY, TimeDelta::zero(), far())
        .await
        .unwrap();
    assert_eq!(again, StampedRun::default());
}

#[tokio::test]
async fn batches_not_finished_are_left_alone() {
    for status in [
        BatchStatus::AwaitingUpload,
        BatchStatus::Validated,
        BatchStatus::Scheduled,
        BatchStatus::Sending,
    ] {
        let fake = Fake::with_batch(status, &[4]);
        let run = stamp_finished(&fake, &fake, NINETY, TimeDelta::zero(), far())
            .await
            .unwrap();
        assert_eq!(run, StampedRun::default(), "{status:?}");
        assert!(stamped(&fake).is_empty());
    }
    // Cancelled but not closed (texts could still move): not yet.
    let fake = Fake::with_batch(BatchStatus::Sending, &[4]);
    assert!(
        fake.batch_event(&batch_id(), BatchEvent::Cancel)
            .await
            .unwrap()
    );
    let run = stamp_finished(&fake, &fake, NINETY, TimeDelta::zero(), far())
        .await
        .unwrap();
    assert_eq!(run, StampedRun::default());
}

#[test]
fn a_retention_is_a_whole_number_of_days_from_one_to_ten_years() {
    assert_eq!("90".parse::<RetentionDays>().unwrap().period(), NINETY);
    assert_eq!(" 1 ".parse::<RetentionDays>().unwrap().days(), 1);
    assert_eq!("3650".parse::<RetentionDays>().unwrap().days(), 3650);
    for bad in ["0", "-1", "3651", "90d", "", "1.5", "99999999999999999999"] {
        let error = bad.parse::<RetentionDays>().unwrap_err().to_string();
        assert!(error.contains("from 1 to 3650"), "{bad}: {error}");
    }
}

#[tokio::test]
async fn the_fake_retention_conforms() {
    crate::test_support::conformance::retention(|| async { Fake::new() }).await;
}

#[tokio::test]
async fn a_batch_is_stamped_only_once_it_has_been_finished_for_the_settle_time() {
    let fake = settled(&[30], 20).await;
    let id = batch_id();
    assert!(fake.batch_event(&id, BatchEvent::Cancel).await.unwrap());
    assert!(fake.close(&id).await.unwrap());
    let settle = TimeDelta::minutes(16);

    // The first look records when it was seen finished, and stamps nothing.
    let seen = fake.state().now;
    let first = stamp_finished(&fake, &fake, NINETY, settle, far())
        .await
        .unwrap();
    assert_eq!(first, StampedRun::default());
    assert!(stamped(&fake).is_empty());

    // A sweep a minute short of the settle time: still nothing.
    fake.state().now = seen + settle - TimeDelta::minutes(1);
    let early = stamp_finished(&fake, &fake, NINETY, settle, far())
        .await
        .unwrap();
    assert_eq!(early.items, 0);
    assert!(stamped(&fake).is_empty());

    // Once settled, every item, with the expiry counted from when it was
    // first seen finished.
    fake.state().now = seen + settle;
    let run = stamp_finished(&fake, &fake, NINETY, settle, far())
        .await
        .unwrap();
    assert_eq!(run.batches_done, 1);
    let got = stamped(&fake);
    assert_eq!(got.len(), 30 + 20 + 1 + 1);
    assert!(got.iter().all(|(_, at)| *at == seen + NINETY));
}
