use std::num::NonZeroU64;

use chrono::TimeDelta;

use super::fake::{Fake, t0};
use crate::delivery::{BatchEvent, BatchStatus, RecipientStatus, WaveStatus};
use crate::sending::SendingError;
use crate::waves::{Interval, Schedule, WavePlan, plan_waves};

/// Eight recipients in waves of three, an hour apart: 3, 3 and 2.
fn plan() -> WavePlan {
    let schedule = Schedule::Stagger {
        per_wave: NonZeroU64::new(3).unwrap(),
        every: Interval::Elapsed(TimeDelta::hours(1)),
        start: None,
    };
    plan_waves(8, &schedule, None, t0()).unwrap()
}

fn assert_wrong_state(result: Result<impl std::fmt::Debug, SendingError>, expected: BatchStatus) {
    match result {
        Err(SendingError::WrongState { status, doing, .. }) => {
            assert_eq!((status, doing), (expected, "scheduled"));
        }
        other => panic!("expected WrongState({expected}), got {other:?}"),
    }
}

#[tokio::test]
async fn scheduling_stores_pending_waves_schedules_each_and_moves_the_batch_on() {
    let fake = Fake::with_recipients(BatchStatus::Validated, 8);
    let plan = plan();
    let waves = fake.schedule_plan(&plan).await.unwrap();

    let shape: Vec<(u32, u32, u32)> = waves.iter().map(|w| (w.number, w.first, w.size)).collect();
    assert_eq!(shape, [(1, 0, 3), (2, 3, 3), (3, 6, 2)]);
    for (wave, planned) in waves.iter().zip(&plan.waves) {
        assert_eq!(wave.due, planned.due);
        assert_eq!(wave.status, WaveStatus::Pending);
    }
    let stored: Vec<_> = fake.state().waves[&super::batch_id()]
        .values()
        .cloned()
        .collect();
    assert_eq!(stored, waves);
    assert_eq!(fake.scheduled(), [1, 2, 3]);
    assert_eq!(fake.batch_status(), BatchStatus::Scheduled);

    // Scheduling sends nothing and queues nothing.
    assert_eq!(fake.texts(), 0);
    assert!(fake.take_jobs().is_empty());
    assert!(
        fake.statuses()
            .iter()
            .all(|s| *s == RecipientStatus::Queued)
    );
}

#[tokio::test]
async fn only_a_validated_batch_is_scheduled() {
    for status in [
        BatchStatus::Scheduled,
        BatchStatus::Sending,
        BatchStatus::Completed,
        BatchStatus::Cancelled,
    ] {
        let fake = Fake::with_recipients(status, 8);
        assert_wrong_state(fake.schedule_plan(&plan()).await, status);
        assert_eq!(fake.batch_status(), status);
        assert!(fake.state().waves.is_empty(), "no wave stored");
        assert!(fake.scheduled().is_empty(), "nothing scheduled");
        assert_eq!(fake.texts(), 0);
    }
}

#[tokio::test]
async fn scheduling_an_unknown_batch_is_no_such_batch() {
    let fake = Fake::new();
    let result = fake.schedule_plan(&plan()).await;
    assert!(
        matches!(result, Err(SendingError::NoSuchBatch(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_batch_cancelled_while_it_is_scheduled_takes_its_schedules_back() {
    let fake = Fake::with_recipients(BatchStatus::Validated, 8);
    // The cancel lands after the waves are stored and scheduled, before the
    // batch moves to scheduled (and so before the cancel could see the waves).
    fake.state().before_schedule = Some(BatchEvent::Cancel);
    assert_wrong_state(fake.schedule_plan(&plan()).await, BatchStatus::Cancelled);

    assert_eq!(fake.batch_status(), BatchStatus::Cancelled);
    assert!(fake.scheduled().is_empty(), "every schedule taken back");
    for number in 1..=3 {
        assert_eq!(
            fake.wave_status(number),
            WaveStatus::Cancelled,
            "wave {number}"
        );
    }
    assert_eq!(fake.texts(), 0);
}

#[tokio::test]
async fn a_schedule_that_loses_to_another_leaves_the_winners_schedules() {
    let fake = Fake::with_recipients(BatchStatus::Validated, 8);
    // Another `schedule` of the same batch (a retried request) got there first.
    fake.state().before_schedule = Some(BatchEvent::Schedule);
    assert_wrong_state(fake.schedule_plan(&plan()).await, BatchStatus::Scheduled);

    assert_eq!(fake.batch_status(), BatchStatus::Scheduled);
    assert_eq!(
        fake.scheduled(),
        [1, 2, 3],
        "the waves will still be released"
    );
    for number in 1..=3 {
        assert_eq!(
            fake.wave_status(number),
            WaveStatus::Pending,
            "wave {number}"
        );
    }
}
