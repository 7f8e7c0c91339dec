//! The `WaveScheduler` contract, watched through a [`SchedulerProbe`].

use std::future::Future;

use chrono::TimeDelta;

use super::{SchedulerProbe, case_id};
use crate::batch::Wave;
use crate::delivery::WaveStatus;
use crate::ports::WaveScheduler;
use crate::test_support::t0;

fn wave(number: u32, due_in_hours: i64) -> Wave {
    Wave {
        number,
        first: (number - 1) * 10,
        size: 10,
        due: chrono::Utc::now() + TimeDelta::hours(due_in_hours),
        status: WaveStatus::Pending,
    }
}

/// Runs every case, each on a fresh scheduler from `fresh`.
pub async fn wave_scheduler<S, P, F, Fut>(fresh: F, probe: &P)
where
    S: WaveScheduler + Sync,
    P: SchedulerProbe<S>,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    scheduled_once_and_removed(&fresh().await, probe).await;
    batches_are_kept_apart(&fresh().await, probe).await;
}

async fn scheduled_once_and_removed<S: WaveScheduler, P: SchedulerProbe<S>>(s: &S, probe: &P) {
    let id = case_id(1);
    assert!(probe.scheduled(s, &id).await.is_empty());
    let waves = [wave(1, 1), wave(2, 2), wave(10, 3)];
    s.schedule(&id, &waves).await.unwrap();
    assert_eq!(probe.scheduled(s, &id).await, [1, 2, 10]);
    s.schedule(&id, &waves[..2]).await.unwrap();
    assert_eq!(
        probe.scheduled(s, &id).await,
        [1, 2, 10],
        "again: no change"
    );
    s.schedule(&id, &[]).await.unwrap();
    // A wave whose time has passed ("send now") is scheduled all the same.
    let past = Wave {
        due: t0(),
        ..wave(3, 0)
    };
    s.schedule(&id, &[past]).await.unwrap();
    assert_eq!(probe.scheduled(s, &id).await, [1, 2, 3, 10]);
    s.unschedule(&id, &[2]).await.unwrap();
    assert_eq!(probe.scheduled(s, &id).await, [1, 3, 10]);
    s.unschedule(&id, &[2, 99]).await.unwrap();
    assert_eq!(
        probe.scheduled(s, &id).await,
        [1, 3, 10],
        "gone ones are fine"
    );
    s.unschedule(&id, &[1, 3, 10]).await.unwrap();
    assert!(probe.scheduled(s, &id).await.is_empty());
    s.unschedule(&case_id(9), &[1]).await.unwrap();
}

async fn batches_are_kept_apart<S: WaveScheduler, P: SchedulerProbe<S>>(s: &S, probe: &P) {
    let (a, b) = (case_id(2), case_id(3));
    s.schedule(&a, &[wave(1, 1), wave(2, 2)]).await.unwrap();
    s.schedule(&b, &[wave(1, 1)]).await.unwrap();
    s.unschedule(&b, &[1, 2]).await.unwrap();
    assert_eq!(probe.scheduled(s, &a).await, [1, 2]);
    assert!(probe.scheduled(s, &b).await.is_empty());
}
