//! What the sweep finds lost (issue 12), on DynamoDB (moto): recipients
//! `queued` that no job holds (case 7), waves their schedule never released
//! and schedules a crash left unmade (case 8), and the stuck rule's clock
//! (case 11). The queue, the scheduler and the clock are core's fake; the
//! sender is SNS's (which cannot say what it took).

use std::sync::atomic::{AtomicBool, Ordering};

use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_core::batch::{Batch, BatchId, Recipient, Wave};
use batchmsg_core::delivery::{BatchStatus, RecipientStatus, WaveEvent, WaveStatus};
use batchmsg_core::ports::{
    BatchRepo, PortError, PortResult, Published, RecipientRepo, WaveRepo, WaveScheduler,
};
use batchmsg_core::sending::{
    SendingError, SweepTimes, Swept, release_wave, schedule_batch, sweep,
};
use batchmsg_core::test_support::fake::{Fake, t0};
use batchmsg_moto::{Moto, Stack, recipient, ten_in_three_waves};
use chrono::TimeDelta;

const MINUTE: TimeDelta = TimeDelta::minutes(1);

/// One sweep at the fake's time; jobs go to the fake's queue.
async fn sweep_at(stack: &Stack, fake: &Fake, times: &SweepTimes) -> Swept {
    sweep(
        &stack.repos,
        &stack.repos,
        &stack.repos,
        &stack.sender,
        fake,
        fake,
        times,
    )
    .await
    .unwrap()
}

async fn status_of(repos: &DynamoRepos, id: &BatchId, seq: u32) -> RecipientStatus {
    repos.records(id).await.unwrap()[seq as usize].status
}

async fn wave_status(repos: &DynamoRepos, id: &BatchId, number: u32) -> WaveStatus {
    repos
        .waves(id)
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.number == number)
        .unwrap()
        .status
}

#[tokio::test]
async fn recipients_whose_job_was_lost_get_a_new_one_and_overdue_waves_are_released() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let repos = &stack.repos;
    let times = SweepTimes::default();
    let r = times.requeue_after;
    // Waves 0–3, 4–7 and 8–9, due at t0, t0 + 1 h and t0 + 2 h.
    let (id, _) = ten_in_three_waves(repos).await;
    let fake = Fake::new();
    release_wave(repos, repos, repos, &fake, &id, 1)
        .await
        .unwrap();
    assert_eq!(fake.take_jobs(), [0, 1, 2, 3], "then lost");
    // 0 is sent; 1 is claimed and throttled ten minutes before the rule
    // would call it lost (its new job is lost too).
    repos.claim(&id, &[0], t0()).await.unwrap();
    let published = Published {
        seq: 0,
        provider_id: "sns-0".to_owned(),
        at: t0(),
    };
    repos.mark_sent(&id, &[published]).await.unwrap();
    repos
        .claim(&id, &[1], t0() + r - MINUTE * 10)
        .await
        .unwrap();
    repos.requeue(&id, &[1]).await.unwrap();

    // No schedule released waves 2 and 3: the sweep does, and their jobs
    // count from then. Wave 1's are not lost yet.
    fake.advance(r - MINUTE);
    let swept = sweep_at(&stack, &fake, &times).await;
    assert_eq!((swept.released, swept.requeued), (2, 0));
    assert_eq!(fake.take_jobs(), [4, 5, 6, 7, 8, 9], "then lost");
    assert_eq!(wave_status(repos, &id, 3).await, WaveStatus::Released);

    fake.advance(MINUTE * 2);
    let swept = sweep_at(&stack, &fake, &times).await;
    assert_eq!((swept.released, swept.requeued), (0, 2));
    assert_eq!(
        fake.take_jobs(),
        [2, 3],
        "1 was queued again 12 minutes ago"
    );
    assert_eq!(sweep_at(&stack, &fake, &times).await.requeued, 0);

    fake.advance(r);
    let swept = sweep_at(&stack, &fake, &times).await;
    assert_eq!(swept.requeued, 7);
    assert_eq!(fake.take_jobs(), [1, 4, 5, 6, 7, 8, 9]);
    assert_eq!(status_of(repos, &id, 0).await, RecipientStatus::Sent);
}

#[tokio::test]
async fn a_first_wave_never_released_is_released_and_a_stopped_release_finished() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let repos = &stack.repos;
    let times = SweepTimes::default();
    let (id, _) = ten_in_three_waves(repos).await;
    let fake = Fake::new();

    // The batch is `scheduled`, not open: only the unreleased waves find it.
    fake.advance(times.release_after);
    assert_eq!(sweep_at(&stack, &fake, &times).await.released, 0);
    fake.advance(MINUTE);
    assert_eq!(sweep_at(&stack, &fake, &times).await.released, 1);
    assert_eq!(fake.take_jobs(), [0, 1, 2, 3]);
    let batch = repos.batch(&id).await.unwrap().unwrap();
    assert_eq!(batch.status, BatchStatus::Sending);
    assert_eq!(wave_status(repos, &id, 1).await, WaveStatus::Released);
    assert_eq!(wave_status(repos, &id, 2).await, WaveStatus::Pending);

    // Wave 2's release stopped part way, after 4 and 5 were sent.
    assert!(
        repos
            .wave_event(&id, 2, WaveEvent::StartRelease)
            .await
            .unwrap()
    );
    repos.claim(&id, &[4, 5], t0()).await.unwrap();
    let published: Vec<Published> = [4, 5]
        .map(|seq| Published {
            seq,
            provider_id: format!("sns-{seq}"),
            at: t0(),
        })
        .to_vec();
    repos.mark_sent(&id, &published).await.unwrap();
    fake.advance(TimeDelta::hours(1));
    assert_eq!(sweep_at(&stack, &fake, &times).await.released, 1);
    assert_eq!(fake.take_jobs(), [6, 7]);
    assert_eq!(wave_status(repos, &id, 2).await, WaveStatus::Released);
    let left = repos
        .unreleased_due_before(t0() + TimeDelta::hours(3))
        .await
        .unwrap();
    let numbers: Vec<u32> = left.iter().map(|(_, w)| w.number).collect();
    assert_eq!(numbers, [3], "released waves leave the index");
}

/// A scheduler that stops (fails) on its first call, as a schedule_batch
/// that crashed there; then the fake's.
struct StopsOnce<'a> {
    fake: &'a Fake,
    stopped: AtomicBool,
}

impl WaveScheduler for StopsOnce<'_> {
    async fn schedule(&self, batch: &BatchId, waves: &[Wave]) -> PortResult<()> {
        if !self.stopped.swap(true, Ordering::SeqCst) {
            return Err(PortError::new(std::io::Error::other("stopped")));
        }
        self.fake.schedule(batch, waves).await
    }

    async fn unschedule(&self, batch: &BatchId, waves: &[u32]) -> PortResult<()> {
        self.fake.unschedule(batch, waves).await
    }
}

#[tokio::test]
async fn a_batch_is_scheduled_before_its_schedules_are_made_and_a_retry_makes_them() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let repos = &stack.repos;
    let id: BatchId = "20261125-090000-0002".parse().unwrap();
    let recipients: Vec<Recipient> = (0..5).map(recipient).collect();
    repos.insert_recipients(&id, &recipients).await.unwrap();
    let batch = Batch {
        id: id.clone(),
        status: BatchStatus::Validated,
        created_at: t0(),
        list_name: "clinic.csv".to_owned(),
        message: "Hello".to_owned(),
        rows: 5,
        accepted: 5,
        not_accepted: 0,
    };
    assert!(repos.create_batch(&batch).await.unwrap());
    let plan = batchmsg_core::waves::plan_waves(
        5,
        &batchmsg_core::waves::Schedule::Stagger {
            per_wave: std::num::NonZeroU64::new(2).unwrap(),
            every: batchmsg_core::waves::Interval::Elapsed(TimeDelta::hours(1)),
            start: None,
        },
        None,
        t0(),
    )
    .unwrap();
    let fake = Fake::new();
    let scheduler = StopsOnce {
        fake: &fake,
        stopped: AtomicBool::new(false),
    };
    let stopped = schedule_batch(repos, repos, &scheduler, &id, &plan).await;
    assert!(matches!(stopped, Err(SendingError::Port(_))), "{stopped:?}");
    let status = repos.batch(&id).await.unwrap().unwrap().status;
    assert_eq!(
        status,
        BatchStatus::Scheduled,
        "never validated with waves due"
    );

    let waves = schedule_batch(repos, repos, &scheduler, &id, &plan)
        .await
        .unwrap();
    assert_eq!(waves.len(), 3);
    let scheduled: Vec<u32> = fake.state().schedules.iter().map(|(_, n)| *n).collect();
    assert_eq!(scheduled, [1, 2, 3]);
}

#[tokio::test]
async fn a_text_is_stuck_only_after_the_send_timeout_and_a_margin() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let repos = &stack.repos;
    let times = SweepTimes::new(TimeDelta::seconds(900), SweepTimes::DEFAULT_REQUEUE_AFTER);
    let (id, _) = ten_in_three_waves(repos).await;
    let fake = Fake::new();
    release_wave(repos, repos, repos, &fake, &id, 1)
        .await
        .unwrap();
    repos.claim(&id, &[0, 1, 2], t0()).await.unwrap();

    // At 15 minutes and a second a 900-second send may still be publishing.
    fake.advance(TimeDelta::seconds(901));
    assert_eq!(sweep_at(&stack, &fake, &times).await.recovered.failed, 0);
    assert_eq!(status_of(repos, &id, 0).await, RecipientStatus::Sending);
    fake.advance(SweepTimes::STUCK_MARGIN);
    assert_eq!(sweep_at(&stack, &fake, &times).await.recovered.failed, 3);
    assert_eq!(
        status_of(repos, &id, 2).await,
        RecipientStatus::TechnicalFailure
    );
}
