//! What the sweep finds lost (issue 12): jobs no message holds any more
//! (case 7), waves their schedule never released and schedules a crash left
//! unmade (case 8), and the clocks it judges them by (case 11). Time passes
//! on the fake's clock.

use std::sync::atomic::{AtomicBool, Ordering};

use chrono::TimeDelta;

use super::batch_id;
use super::fake::{Fake, Lookup, t0};
use crate::batch::{BatchId, Wave};
use crate::delivery::{BatchStatus, RecipientStatus, WaveStatus};
use crate::ports::{PortError, PortResult, RecipientRepo, WaveScheduler};
use crate::sending::{SendingError, SweepTimes, Swept, cancel_batch, schedule_batch, sweep};
use crate::waves::{Interval, Schedule, plan_waves};

const MINUTE: TimeDelta = TimeDelta::minutes(1);

impl Fake {
    async fn sweep_with(&self, times: &SweepTimes) -> Swept {
        sweep(self, self, self, self, self, self, times)
            .await
            .unwrap()
    }
}

// Case 7: a recipient `queued` that no job holds any more.

#[tokio::test]
async fn a_recipient_whose_job_was_lost_gets_a_new_one_once_no_live_job_can_hold_it() {
    let times = SweepTimes::default();
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[4]);
    fake.release(1).await.unwrap();
    let jobs = fake.take_jobs();
    // 0's job is sent; the queue loses the others' (a redelivered message
    // deleted by a duplicate that finished first).
    fake.send(&jobs[..1]).await;

    fake.advance(times.requeue_after - MINUTE);
    let early = fake.sweep_with(&times).await;
    assert_eq!((early.requeued, early.completed), (0, 0));
    assert!(
        fake.take_jobs().is_empty(),
        "a live job may still hold them"
    );

    fake.advance(MINUTE * 2);
    assert_eq!(fake.sweep_with(&times).await.requeued, 3);
    let requeued = fake.take_jobs();
    assert_eq!(requeued, [1, 2, 3]);
    assert_eq!(
        fake.sweep_with(&times).await.requeued,
        0,
        "given a job just now: not again"
    );

    fake.send(&requeued).await;
    assert_eq!(fake.sweep_with(&times).await.completed, 1);
    assert_eq!(fake.batch_status(), BatchStatus::Completed);
    assert_eq!(fake.texts_per_recipient(), [1, 1, 1, 1]);
}

#[tokio::test]
async fn a_throttled_recipient_counts_from_when_it_was_queued_again() {
    let times = SweepTimes::default();
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[3]);
    fake.release(1).await.unwrap();
    let jobs = fake.take_jobs();
    fake.advance(times.requeue_after - MINUTE * 10);
    fake.throttle_in(0);
    let outcome = fake.send(&jobs).await;
    assert_eq!(outcome.throttled, [0, 1, 2]);
    // The job that was to hold them again is lost too.

    fake.advance(MINUTE * 20);
    assert_eq!(
        fake.sweep_with(&times).await.requeued,
        0,
        "their wave is old, but they were queued again 20 minutes ago"
    );
    fake.advance(times.requeue_after);
    assert_eq!(fake.sweep_with(&times).await.requeued, 3);
    assert_eq!(fake.take_jobs(), [0, 1, 2]);
}

#[tokio::test]
async fn only_released_waves_are_looked_at_for_lost_jobs() {
    let times = SweepTimes::default();
    // Wave 2 is due an hour after wave 1; both are old by the rule, but
    // only wave 1 was released (wave 2's release is the release rule's).
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2, 2]);
    fake.release(1).await.unwrap();
    fake.take_jobs();
    fake.set_wave_status(2, WaveStatus::Cancelled);
    fake.advance(times.requeue_after + TimeDelta::hours(1) * 2);
    assert_eq!(fake.sweep_with(&times).await.requeued, 2);
    assert_eq!(fake.take_jobs(), [0, 1]);
}

// Case 8: waves that never finish releasing, schedules never made.

#[tokio::test]
async fn a_wave_its_schedule_never_released_is_released_by_the_sweep() {
    let times = SweepTimes::default();
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[3, 2]);

    fake.advance(times.release_after);
    assert_eq!(fake.sweep_with(&times).await.released, 0, "not yet overdue");
    assert_eq!(fake.wave_status(1), WaveStatus::Pending);

    fake.advance(MINUTE);
    let swept = fake.sweep_with(&times).await;
    assert_eq!(swept.released, 1);
    assert_eq!(fake.wave_status(1), WaveStatus::Released);
    assert_eq!(fake.wave_status(2), WaveStatus::Pending, "not due yet");
    assert_eq!(fake.batch_status(), BatchStatus::Sending);
    let jobs = fake.take_jobs();
    assert_eq!(jobs, [0, 1, 2]);
    fake.send(&jobs).await;

    // The schedule fires late after all: nothing more is queued.
    fake.release(1).await.unwrap();
    assert!(fake.take_jobs().is_empty());

    fake.advance(TimeDelta::hours(1));
    assert_eq!(fake.sweep_with(&times).await.released, 1);
    fake.send_queue().await;
    assert_eq!(fake.sweep_with(&times).await.completed, 1);
    assert_eq!(fake.texts_per_recipient(), [1; 5]);
}

#[tokio::test]
async fn a_release_that_stopped_part_way_is_finished_by_the_sweep() {
    let times = SweepTimes::default();
    let fake = Fake::with_batch(BatchStatus::Sending, &[4]);
    // The wave function moved the wave to releasing, queued 0 and 1's jobs
    // (sent since), and failed beyond its retries.
    fake.set_wave_status(1, WaveStatus::Releasing);
    fake.send(&[0, 1]).await;

    fake.advance(times.release_after + MINUTE);
    assert_eq!(fake.sweep_with(&times).await.released, 1);
    assert_eq!(fake.wave_status(1), WaveStatus::Released);
    assert_eq!(fake.take_jobs(), [2, 3]);
}

#[tokio::test]
async fn a_late_release_by_the_sweep_counts_its_jobs_from_then() {
    let times = SweepTimes::default();
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2]);
    // Nothing released the wave for four hours (the sweep was not running).
    fake.advance(TimeDelta::hours(4));
    assert_eq!(fake.sweep_with(&times).await.released, 1);
    fake.take_jobs();
    fake.advance(times.requeue_after - MINUTE);
    assert_eq!(fake.sweep_with(&times).await.requeued, 0);
    fake.advance(MINUTE * 2);
    assert_eq!(fake.sweep_with(&times).await.requeued, 2);
}

#[tokio::test]
async fn a_wave_left_releasing_in_a_cancelled_batch_is_closed_without_sending() {
    let times = SweepTimes::default();
    let fake = Fake::with_batch(BatchStatus::Sending, &[2, 2]);
    fake.set_wave_status(1, WaveStatus::Releasing);
    fake.cancel().await.unwrap();
    fake.advance(TimeDelta::hours(1) * 2);
    // The cancel left nothing waiting, so it closed the batch itself.
    assert!(fake.state().open.is_empty());
    let swept = fake.sweep_with(&times).await;
    assert_eq!((swept.released, swept.closed), (0, 0));
    assert_eq!(fake.wave_status(1), WaveStatus::Released);
    assert!(fake.take_jobs().is_empty());
    assert_eq!(fake.texts(), 0);
    let now = fake.state().now;
    let overdue = crate::ports::WaveRepo::unreleased_due_before(&fake, now)
        .await
        .unwrap();
    assert!(overdue.is_empty(), "nothing left for the next sweep");
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
async fn the_batch_moves_before_its_schedules_and_a_retry_makes_them() {
    let fake = Fake::with_recipients(BatchStatus::Validated, 8);
    let plan = plan_waves(
        8,
        &Schedule::Stagger {
            per_wave: std::num::NonZeroU64::new(3).unwrap(),
            every: Interval::Elapsed(TimeDelta::hours(1)),
            start: None,
        },
        None,
        t0(),
    )
    .unwrap();
    let scheduler = StopsOnce {
        fake: &fake,
        stopped: AtomicBool::new(false),
    };
    let stopped = schedule_batch(&fake, &fake, &scheduler, &batch_id(), &plan).await;
    assert!(matches!(stopped, Err(SendingError::Port(_))), "{stopped:?}");
    assert_eq!(
        fake.batch_status(),
        BatchStatus::Scheduled,
        "no schedule can fire for a batch still validated"
    );
    assert!(fake.scheduled().is_empty());

    let waves = schedule_batch(&fake, &fake, &scheduler, &batch_id(), &plan)
        .await
        .unwrap();
    assert_eq!(waves.len(), 3);
    assert_eq!(fake.scheduled(), [1, 2, 3], "the retry made the schedules");
    assert_eq!(fake.batch_status(), BatchStatus::Scheduled);

    // And once a wave is out, a retry schedules only what is still pending.
    fake.release(1).await.unwrap();
    fake.unschedule(&batch_id(), &[1]).await.unwrap();
    let again = schedule_batch(&fake, &fake, &fake, &batch_id(), &plan).await;
    assert!(matches!(again, Err(SendingError::WrongState { .. })));
    assert_eq!(fake.scheduled(), [2, 3]);
}

// Case 11: the sweep's clocks.

#[tokio::test]
async fn a_text_is_stuck_only_after_the_send_timeout_and_a_margin() {
    for send_timeout in [TimeDelta::seconds(900), TimeDelta::seconds(300)] {
        let times = SweepTimes::new(send_timeout, SweepTimes::DEFAULT_REQUEUE_AFTER);
        assert_eq!(times.stuck_after, send_timeout + SweepTimes::STUCK_MARGIN);
        let fake = Fake::with_batch(BatchStatus::Scheduled, &[3]);
        fake.state().lookup = Lookup::Unknowable;
        fake.release(1).await.unwrap();
        let jobs = fake.take_jobs();
        let now = fake.state().now;
        fake.claim(&batch_id(), &jobs, now).await.unwrap();

        // A send invocation may run for its whole timeout: at 15 minutes
        // and a second, one of 900 s may still be publishing.
        fake.advance(send_timeout + TimeDelta::seconds(1));
        assert_eq!(fake.sweep_with(&times).await.recovered.failed, 0);
        fake.advance(SweepTimes::STUCK_MARGIN - TimeDelta::seconds(1));
        assert_eq!(fake.sweep_with(&times).await.recovered.failed, 0);
        fake.advance(TimeDelta::seconds(1));
        assert_eq!(fake.sweep_with(&times).await.recovered.failed, 3);
        assert_eq!(fake.statuses(), [RecipientStatus::TechnicalFailure; 3]);
    }
}

#[tokio::test]
async fn a_batch_created_long_before_its_cancel_is_still_settled_and_closed() {
    let times = SweepTimes::default();
    let fake = Fake::with_batch(BatchStatus::Scheduled, &[2]);
    fake.state().lookup = Lookup::Unknowable;
    fake.state()
        .batches
        .get_mut(&batch_id())
        .unwrap()
        .created_at = t0() - TimeDelta::days(90);
    fake.release(1).await.unwrap();
    let jobs = fake.take_jobs();
    let now = fake.state().now;
    fake.claim(&batch_id(), &jobs[..1], now).await.unwrap();
    cancel_batch(&fake, &fake, &fake, &fake, &fake, &batch_id())
        .await
        .unwrap();
    fake.advance(times.stuck_after + TimeDelta::seconds(1));
    let swept = fake.sweep_with(&times).await;
    assert_eq!((swept.recovered.failed, swept.closed), (1, 1));
    assert_eq!(
        fake.statuses(),
        [
            RecipientStatus::TechnicalFailure,
            RecipientStatus::Cancelled
        ]
    );
}
