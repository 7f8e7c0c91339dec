//! Attacks on retention's promise (issue 13), through the sweep function's
//! handler on moto: a finished batch's every item (batch, waves, recipients,
//! `MSG#` items) ends with `expires_at` = `finished_at` +
//! `BATCHMSG_RETENTION_DAYS`, whatever the kills (the handler dropped part
//! way, as Lambda's timeout ends it) and however many sweeps run at once;
//! the batch item is stamped only when every other item is; nothing of an
//! unfinished batch is ever stamped.
//!
//! Items are found by a Scan (the batch's partition keys all start with
//! `BATCH#{id}`, and `MSG#` items name the batch), so the checks hold for
//! any recipient key layout.

use std::time::Duration;

use batchmsg_aws::dynamo::{DynamoRepos, TTL_ATTRIBUTE};
use batchmsg_core::batch::{BatchId, Wave};
use batchmsg_core::delivery::{BatchStatus, WaveEvent, WaveStatus};
use batchmsg_core::ports::{BatchRepo, Published, RecipientRepo, SystemClock, WaveRepo};
use batchmsg_core::retention::{RetentionDays, StampedRun, stamp_finished};
use batchmsg_core::sending::SweepTimes;
use batchmsg_core::test_support::{store_batch, t0};
use batchmsg_moto::items::{Item, every_item, number, text};
use batchmsg_moto::{Moto, Stack};
use batchmsg_sweep::{SweepSummary, handle, handle_with_retention};
use chrono::{TimeDelta, Utc};

const DAYS: i64 = 30;

fn id(n: u32) -> BatchId {
    format!("20261206-090000-{n:04}").parse().unwrap()
}

/// A sending batch of `total` recipients in two released waves, the first
/// `sent` sent and the rest technical failures: the next sweep completes it.
async fn settled(repos: &DynamoRepos, batch: &BatchId, total: u32, sent: u32) {
    store_batch(repos, batch, BatchStatus::Sending, total)
        .await
        .unwrap();
    released_waves(repos, batch, total).await;
    let seqs: Vec<u32> = (0..total).collect();
    assert_eq!(
        repos.claim(batch, &seqs, t0()).await.unwrap().len(),
        seqs.len()
    );
    let published: Vec<Published> = (0..sent)
        .map(|seq| Published {
            seq,
            provider_id: format!("{batch}-p{seq}"),
            at: t0(),
        })
        .collect();
    repos.mark_sent(batch, &published).await.unwrap();
    let failed: Vec<(u32, String)> = (sent..total).map(|s| (s, "x".to_owned())).collect();
    repos.fail_technical(batch, &failed, t0()).await.unwrap();
}

async fn released_waves(repos: &DynamoRepos, batch: &BatchId, total: u32) {
    let half = total / 2;
    let waves = [
        Wave {
            number: 1,
            first: 0,
            size: half,
            due: t0(),
            status: WaveStatus::Pending,
        },
        Wave {
            number: 2,
            first: half,
            size: total - half,
            due: t0(),
            status: WaveStatus::Pending,
        },
    ];
    repos.insert_waves(batch, &waves).await.unwrap();
    for number in [1, 2] {
        for event in [WaveEvent::StartRelease, WaveEvent::FinishRelease] {
            assert!(repos.wave_event(batch, number, event).await.unwrap());
        }
    }
}

/// Batches that are not finished: one still sending (texts claimed just
/// now, so not stuck), one validated, one waiting for its list.
async fn unfinished(repos: &DynamoRepos) -> Vec<BatchId> {
    let sending = id(50);
    store_batch(repos, &sending, BatchStatus::Sending, 12)
        .await
        .unwrap();
    released_waves(repos, &sending, 12).await;
    let seqs: Vec<u32> = (0..12).collect();
    repos.claim(&sending, &seqs, Utc::now()).await.unwrap();
    let published: Vec<Published> = (0..6)
        .map(|seq| Published {
            seq,
            provider_id: format!("{sending}-p{seq}"),
            at: Utc::now(),
        })
        .collect();
    repos.mark_sent(&sending, &published).await.unwrap();
    let validated = id(51);
    store_batch(repos, &validated, BatchStatus::Validated, 7)
        .await
        .unwrap();
    let waiting = id(52);
    store_batch(repos, &waiting, BatchStatus::AwaitingUpload, 0)
        .await
        .unwrap();
    vec![sending, validated, waiting]
}

/// The batch item, and every other item of the batch: any partition key
/// that starts with its own, and the `MSG#` items that name it.
fn items_of<'a>(items: &'a [Item], batch: &BatchId) -> (Option<&'a Item>, Vec<&'a Item>) {
    let pk = format!("BATCH#{batch}");
    let mut batch_item = None;
    let mut others = Vec::new();
    for item in items {
        let mine = text(item, "PK").is_some_and(|p| p == pk || p.starts_with(&format!("{pk}#")))
            || text(item, "batch") == Some(batch.as_str());
        if !mine {
            continue;
        }
        if text(item, "PK") == Some(pk.as_str()) && text(item, "SK") == Some("BATCH") {
            batch_item = Some(item);
        } else {
            others.push(item);
        }
    }
    (batch_item, others)
}

/// What holds at any moment, however a run was cut: no item of an
/// unfinished batch has an expiry; each finished batch's stamped items have
/// the one right value; its batch item has it only once every item does.
/// Whether every finished batch is done.
async fn check(repos: &DynamoRepos, finished: &[(BatchId, usize)], open: &[BatchId]) -> bool {
    let items = every_item(repos).await;
    for batch in open {
        let (batch_item, others) = items_of(&items, batch);
        let batch_item = batch_item.expect("the batch item");
        assert!(
            !batch_item.contains_key(TTL_ATTRIBUTE)
                && others.iter().all(|i| !i.contains_key(TTL_ATTRIBUTE)),
            "an item of unfinished batch {batch} was stamped"
        );
    }
    let mut all_done = true;
    for (batch, count) in finished {
        let (batch_item, others) = items_of(&items, batch);
        let batch_item = batch_item.expect("the batch item");
        assert_eq!(
            others.len(),
            *count,
            "items of {batch}: none lost, none made"
        );
        let stamped = others
            .iter()
            .filter(|i| i.contains_key(TTL_ATTRIBUTE))
            .count();
        let done = number(batch_item, TTL_ATTRIBUTE).is_some();
        if let Some(finished_ms) = number(batch_item, "finished_at") {
            let expected = finished_ms.div_euclid(1000) + DAYS * 86_400;
            for item in others
                .iter()
                .copied()
                .chain(done.then_some(batch_item))
                .filter(|i| i.contains_key(TTL_ATTRIBUTE))
            {
                assert_eq!(
                    number(item, TTL_ATTRIBUTE),
                    Some(expected),
                    "{:?} {:?}",
                    text(item, "PK"),
                    text(item, "SK")
                );
            }
        } else {
            assert_eq!(stamped, 0, "stamped before finished_at was recorded");
        }
        if done {
            assert_eq!(
                stamped, *count,
                "the batch item of {batch} was stamped before every item was"
            );
            assert_eq!(text(batch_item, "GSI2PK"), None);
            assert_eq!(text(batch_item, "expiry_cursor"), None);
        }
        all_done &= done;
    }
    all_done
}

async fn sweep(stack: &Stack, budget: Duration) -> SweepSummary {
    let deadline = Utc::now() + TimeDelta::from_std(budget).unwrap();
    handle_with_retention(
        &stack.repos,
        &stack.sender,
        &stack.queue,
        &SystemClock,
        &SweepTimes::default(),
        RetentionDays::new(DAYS).unwrap(),
        TimeDelta::zero(),
        deadline,
    )
    .await
    .expect("sweeps")
}

/// The sweep's own part, then stamping for `budget` from when it starts:
/// what `handle_with_retention` does, with the budget kept for stamping.
async fn sweep_then_stamp(stack: &Stack, budget: Duration) -> StampedRun {
    handle(
        &stack.repos,
        &stack.sender,
        &stack.queue,
        &SystemClock,
        &SweepTimes::default(),
    )
    .await
    .expect("sweeps");
    let deadline = Utc::now() + TimeDelta::from_std(budget).unwrap();
    let keep_for = RetentionDays::new(DAYS).unwrap().period();
    stamp_finished(
        &stack.repos,
        &SystemClock,
        keep_for,
        TimeDelta::zero(),
        deadline,
    )
    .await
    .expect("stamps")
}

fn updates(stack: &Stack) -> u64 {
    stack
        .requests
        .by_operation()
        .get(&("DynamoDB".to_owned(), "UpdateItem".to_owned()))
        .copied()
        .unwrap_or(0)
}

/// A sweep with time to spare, dropped (killed) once it has sent `n` more
/// UpdateItem requests; panics if it finished first.
async fn killed_after(stack: &Stack, n: u64) {
    let from = updates(stack);
    let give_up = std::time::Instant::now() + Duration::from_secs(60);
    let reached = async {
        while updates(stack) < from + n {
            assert!(
                std::time::Instant::now() < give_up,
                "{n} updates never came"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::select! {
        done = sweep(stack, Duration::from_secs(120)) => panic!("finished before the kill: {done:?}"),
        () = reached => {}
    }
    // Requests the kill cut off may still be answered; let them land.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Two finished batches (one completed by the sweep, one cancelled and
/// closed) and the unfinished ones; the finished ones' item counts.
async fn the_batches(stack: &Stack) -> (Vec<(BatchId, usize)>, Vec<BatchId>) {
    let repos = &stack.repos;
    let (big, small) = (id(1), id(2));
    settled(repos, &big, 320, 250).await;
    store_batch(repos, &small, BatchStatus::Validated, 30)
        .await
        .unwrap();
    assert!(
        repos
            .batch_event(&small, batchmsg_core::delivery::BatchEvent::Cancel)
            .await
            .unwrap()
    );
    let open = unfinished(repos).await;
    (vec![(big, 2 + 320 + 250), (small, 30)], open)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_killed_three_times_mid_stamp_resumes_and_stamps_every_item_once_batch_last() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let (finished, open) = the_batches(&stack).await;
    assert!(!check(&stack.repos, &finished, &open).await);

    // A page is its 200 items and their MSG# items (~400 updates here),
    // stamped again from its start by the run after a kill: the kills fall
    // in the first page, just past it, and in the second.
    for n in [100, 450, 60] {
        killed_after(&stack, n).await;
        assert!(
            !check(&stack.repos, &finished, &open).await,
            "not done after a kill at {n} updates"
        );
    }
    let run = sweep(&stack, Duration::from_secs(120)).await;
    assert!(!run.stamping_left, "{run:?}");
    assert!(check(&stack.repos, &finished, &open).await);
    let closed = stack.repos.batch(&id(2)).await.unwrap().unwrap();
    assert_eq!(closed.status, BatchStatus::Cancelled);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_sweeps_at_once_stamp_every_item_with_one_value_and_skip_none() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let (finished, open) = the_batches(&stack).await;

    // Pairs of short stamping runs side by side, staggered, until both say
    // done. Each is a sweep, then stamping with its budget counted from
    // when it starts (as the function's deadline is, in effect: a sweep's
    // own part takes far less than the invocation's minutes, but on a busy
    // machine moto can take longer than these budgets over it).
    let (mut rounds, mut idle) = (0, 0);
    loop {
        rounds += 1;
        let late = async {
            tokio::time::sleep(Duration::from_millis(70)).await;
            sweep_then_stamp(&stack, Duration::from_millis(250)).await
        };
        let (a, b) = tokio::join!(sweep_then_stamp(&stack, Duration::from_millis(400)), late);
        let done = check(&stack.repos, &finished, &open).await;
        if done {
            assert!(!a.out_of_time || !b.out_of_time, "{a:?} {b:?}");
            break;
        }
        // A run stamps at least the page it starts, unless moto answered
        // its look for finished batches after its budget: stamping moves on.
        idle = if a.items + b.items > 0 { 0 } else { idle + 1 };
        assert!(idle < 20, "20 rounds in a row stamped nothing: {a:?} {b:?}");
        assert!(rounds < 2_000, "stamping ends");
    }
    // How many rounds depends on moto's speed: one round is still two
    // sweeps stamping the same batches at once.
    eprintln!("stamped in {rounds} round(s) of two overlapping sweeps");
    // And two more at once find nothing to do and change nothing.
    let (a, b) = tokio::join!(
        sweep(&stack, Duration::from_secs(10)),
        sweep(&stack, Duration::from_secs(10))
    );
    assert_eq!((a.items_stamped, b.items_stamped), (0, 0));
    assert!(check(&stack.repos, &finished, &open).await);
}

/// A batch cancelled while its list is still being imported (a 1,000,000-row
/// import runs for minutes): the sweep closes it and stamps what is stored,
/// and the import's requests already in flight land after that. Each step is
/// the real adapter's call, in the order the race takes: the import's first
/// claim and writes, the cancel, a sweep, the import's late writes, the
/// import seeing the cancel (it cancels its rows and tries to close), and
/// the sweeps after. Before the import's close could put a stamped batch
/// back among the finished ones, the late rows never got their expiry:
/// patient data kept for ever.
#[tokio::test(flavor = "multi_thread")]
async fn rows_an_import_writes_after_a_cancelled_batch_was_stamped_expire_too() {
    use batchmsg_core::delivery::BatchEvent;
    use batchmsg_core::ports::UploadClaim;
    use batchmsg_core::test_support::recipient;

    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let repos = &stack.repos;
    let batch = id(7);
    store_batch(repos, &batch, BatchStatus::AwaitingUpload, 0)
        .await
        .unwrap();
    // The import: its first claim, its first writes.
    assert_eq!(
        repos.claim_upload(&batch, "etag-1").await.unwrap(),
        UploadClaim::First
    );
    let rows: Vec<_> = (0..150).map(recipient).collect();
    repos
        .insert_new_recipients(&batch, &rows[..100])
        .await
        .unwrap();
    // The practice cancels; the sweep closes the batch and stamps it.
    assert!(repos.batch_event(&batch, BatchEvent::Cancel).await.unwrap());
    let run = sweep(&stack, Duration::from_secs(60)).await;
    assert_eq!(run.closed, 1, "{run:?}");
    assert!(check(repos, &[(batch.clone(), 100)], &[]).await);
    // The import's writes in flight land; it then sees the batch cancelled
    // and settles it, as validate_upload does.
    repos
        .insert_new_recipients(&batch, &rows[100..])
        .await
        .unwrap();
    repos.cancel_queued(&batch, Utc::now()).await.unwrap();
    assert!(
        repos.close(&batch).await.unwrap(),
        "a stamped cancelled batch goes back to the finished ones"
    );
    for _ in 0..2 {
        sweep(&stack, Duration::from_secs(60)).await;
    }
    let items = every_item(repos).await;
    let (_, others) = items_of(&items, &batch);
    let unstamped: Vec<_> = others
        .iter()
        .filter(|i| !i.contains_key(TTL_ATTRIBUTE))
        .filter_map(|i| text(i, "SK"))
        .collect();
    assert!(
        unstamped.is_empty(),
        "{} of {} items never expire, from {:?}",
        unstamped.len(),
        others.len(),
        unstamped.first()
    );
}
