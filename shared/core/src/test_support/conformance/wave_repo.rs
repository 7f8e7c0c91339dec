//! The `WaveRepo` contract.

use std::future::Future;

use chrono::TimeDelta;

use super::case_id;
use crate::batch::Wave;
use crate::delivery::{WaveEvent, WaveStatus};
use crate::ports::WaveRepo;
use crate::test_support::t0;

const EVENTS: [WaveEvent; 3] = [
    WaveEvent::StartRelease,
    WaveEvent::FinishRelease,
    WaveEvent::Cancel,
];

fn wave(number: u32, status: WaveStatus) -> Wave {
    Wave {
        number,
        first: (number - 1) * 10,
        size: 10,
        due: t0() + TimeDelta::hours(i64::from(number)) + TimeDelta::milliseconds(3),
        status,
    }
}

/// Runs every case, each on a fresh store from `fresh`.
pub async fn wave_repo<R, F, Fut>(fresh: F)
where
    R: WaveRepo + Sync,
    F: Fn() -> Fut,
    Fut: Future<Output = R>,
{
    stored_once_as_pending_in_number_order(&fresh().await).await;
    a_batch_or_wave_that_does_not_exist(&fresh().await).await;
    each_event_moves_only_from_its_sources(&fresh().await).await;
    super::overdue_waves::overdue_waves(&fresh).await;
}

async fn stored_once_as_pending_in_number_order(repo: &impl WaveRepo) {
    let id = case_id(1);
    let given = [
        wave(10, WaveStatus::Released),
        wave(2, WaveStatus::Pending),
        wave(1, WaveStatus::Cancelled),
    ];
    repo.insert_waves(&id, &given).await.unwrap();
    let pending = |n| wave(n, WaveStatus::Pending);
    assert_eq!(
        repo.waves(&id).await.unwrap(),
        [pending(1), pending(2), pending(10)],
        "as numbers sort, each pending whatever it was given as"
    );
    let changed = [
        Wave {
            size: 99,
            ..wave(2, WaveStatus::Pending)
        },
        wave(3, WaveStatus::Pending),
    ];
    repo.insert_waves(&id, &changed).await.unwrap();
    repo.insert_waves(&id, &[]).await.unwrap();
    assert_eq!(
        repo.waves(&id).await.unwrap(),
        [pending(1), pending(2), pending(3), pending(10)],
        "stored ones are left alone"
    );
    assert!(
        repo.wave_event(&id, 2, WaveEvent::StartRelease)
            .await
            .unwrap()
    );
    repo.insert_waves(&id, &[pending(2)]).await.unwrap();
    assert_eq!(
        repo.waves(&id).await.unwrap()[1].status,
        WaveStatus::Releasing,
        "inserting again does not reset a wave"
    );
}

async fn a_batch_or_wave_that_does_not_exist(repo: &impl WaveRepo) {
    let (missing, other) = (case_id(2), case_id(3));
    repo.insert_waves(&other, &[wave(1, WaveStatus::Pending)])
        .await
        .unwrap();
    assert!(repo.waves(&missing).await.unwrap().is_empty());
    for event in EVENTS {
        assert!(
            !repo.wave_event(&missing, 1, event).await.unwrap(),
            "{event:?}"
        );
        assert!(
            !repo.wave_event(&other, 2, event).await.unwrap(),
            "{event:?}"
        );
    }
    assert!(
        repo.waves(&missing).await.unwrap().is_empty(),
        "nothing made"
    );
    assert_eq!(
        repo.waves(&other).await.unwrap(),
        [wave(1, WaveStatus::Pending)]
    );
}

async fn each_event_moves_only_from_its_sources(repo: &impl WaveRepo) {
    let id = case_id(4);
    let mut number = 0;
    for &from in WaveStatus::ALL {
        for event in EVENTS {
            number += 1;
            repo.insert_waves(&id, &[wave(number, WaveStatus::Pending)])
                .await
                .unwrap();
            let path: &[WaveEvent] = match from {
                WaveStatus::Pending => &[],
                WaveStatus::Releasing => &[WaveEvent::StartRelease],
                WaveStatus::Released => &[WaveEvent::StartRelease, WaveEvent::FinishRelease],
                WaveStatus::Cancelled => &[WaveEvent::Cancel],
            };
            for &step in path {
                assert!(repo.wave_event(&id, number, step).await.unwrap());
            }
            let expected = from.apply(event).ok();
            let moved = repo.wave_event(&id, number, event).await.unwrap();
            assert_eq!(moved, expected.is_some(), "{from} on {event:?}");
            let waves = repo.waves(&id).await.unwrap();
            let now = waves.iter().find(|w| w.number == number).unwrap();
            assert_eq!(
                *now,
                wave(number, expected.unwrap_or(from)),
                "{from} on {event:?}"
            );
        }
    }
}
