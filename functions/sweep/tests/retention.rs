//! The sweep function on moto completes a finished batch and, in the same
//! run, gives every item of it its expiry: `expires_at` (seconds) =
//! `finished_at` + `BATCHMSG_RETENTION_DAYS` on the batch, its waves, its
//! recipients and the `MSG#` item of each sent text.

use batchmsg_aws::dynamo::{DynamoRepos, TTL_ATTRIBUTE};
use batchmsg_core::batch::BatchId;
use batchmsg_core::delivery::{BatchEvent, WaveEvent};
use batchmsg_core::ports::{BatchRepo, Published, RecipientRepo, SystemClock, WaveRepo};
use batchmsg_core::sending::SweepTimes;
use batchmsg_moto::items::{every_item, number};
use batchmsg_moto::{Moto, ten_in_three_waves};
use batchmsg_sweep::{SETTLE_BEFORE_STAMPING, handle_with_retention, retention_from};
use chrono::{TimeDelta, Utc};

/// The test batch, every wave released and every text sent.
async fn all_sent(repos: &DynamoRepos) -> BatchId {
    let (batch, waves) = ten_in_three_waves(repos).await;
    for wave in &waves {
        for event in [WaveEvent::StartRelease, WaveEvent::FinishRelease] {
            assert!(repos.wave_event(&batch, wave.number, event).await.unwrap());
        }
    }
    assert!(
        repos
            .batch_event(&batch, BatchEvent::StartSending)
            .await
            .unwrap()
    );
    let seqs: Vec<u32> = (0..10).collect();
    repos.claim(&batch, &seqs, Utc::now()).await.unwrap();
    let published: Vec<Published> = seqs
        .iter()
        .map(|&seq| Published {
            seq,
            provider_id: format!("sns-{seq}"),
            at: Utc::now(),
        })
        .collect();
    repos.mark_sent(&batch, &published).await.unwrap();
    batch
}

#[tokio::test]
async fn the_sweep_completes_a_batch_and_gives_every_item_its_expiry() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let batch = all_sent(&stack.repos).await;
    let retention = retention_from(|_| Some("30".to_owned())).unwrap();

    // A run with no time left completes the batch and stamps nothing.
    let summary = handle_with_retention(
        &stack.repos,
        &stack.sender,
        &stack.queue,
        &SystemClock,
        &SweepTimes::default(),
        retention,
        TimeDelta::zero(),
        Utc::now() - TimeDelta::seconds(1),
    )
    .await
    .expect("sweeps");
    assert_eq!(summary.completed, 1);
    assert_eq!((summary.items_stamped, summary.stamping_left), (0, true));
    assert!(
        every_item(&stack.repos)
            .await
            .iter()
            .all(|i| !i.contains_key(TTL_ATTRIBUTE))
    );

    // As the function runs it: a batch finished a moment ago is left to
    // settle (an import cancelled under it may still be writing).
    let summary = handle_with_retention(
        &stack.repos,
        &stack.sender,
        &stack.queue,
        &SystemClock,
        &SweepTimes::default(),
        retention,
        SETTLE_BEFORE_STAMPING,
        Utc::now() + TimeDelta::seconds(60),
    )
    .await
    .expect("sweeps");
    assert_eq!((summary.items_stamped, summary.stamping_left), (0, false));
    assert!(
        every_item(&stack.repos)
            .await
            .iter()
            .all(|i| !i.contains_key(TTL_ATTRIBUTE))
    );

    // Settled (here: no settle time), every item.
    let summary = handle_with_retention(
        &stack.repos,
        &stack.sender,
        &stack.queue,
        &SystemClock,
        &SweepTimes::default(),
        retention,
        TimeDelta::zero(),
        Utc::now() + TimeDelta::seconds(60),
    )
    .await
    .expect("sweeps");
    assert_eq!(summary.batches_expiring, 1);
    // The batch, 3 waves, 10 recipients, 10 message ids.
    assert_eq!(summary.items_stamped, 24);
    assert!(!summary.stamping_left);

    let items = every_item(&stack.repos).await;
    assert_eq!(items.len(), 24);
    let batch_pk = format!("BATCH#{batch}");
    let batch_item = items
        .iter()
        .find(|i| {
            i.get("PK").and_then(|v| v.as_s().ok()) == Some(&batch_pk)
                && i.get("SK").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("BATCH")
        })
        .expect("the batch item");
    let finished_at = number(batch_item, "finished_at").expect("finished_at");
    let expected = finished_at / 1000 + 30 * 86_400;
    for item in &items {
        let key = (item.get("PK"), item.get("SK"));
        assert_eq!(number(item, TTL_ATTRIBUTE), Some(expected), "{key:?}");
    }
}
