//! The `WaveRepo` contract for the sweep's overdue waves:
//! `unreleased_due_before`. Part of [`super::wave_repo`].

use chrono::{DateTime, TimeDelta, Utc};

use super::case_id;
use crate::batch::{BatchId, Wave};
use crate::delivery::{WaveEvent, WaveStatus};
use crate::ports::WaveRepo;
use crate::test_support::t0;

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minutes)
}

/// Wave `number` of ten recipients, due at `minutes` (and 3 ms).
fn due(number: u32, minutes: i64) -> Wave {
    Wave {
        number,
        first: (number - 1) * 10,
        size: 10,
        due: at(minutes) + TimeDelta::milliseconds(3),
        status: WaveStatus::Pending,
    }
}

fn with(wave: &Wave, status: WaveStatus) -> Wave {
    Wave {
        status,
        ..wave.clone()
    }
}

/// Runs every case, each on a fresh store from `fresh`.
pub(super) async fn overdue_waves<R, F, Fut>(fresh: F)
where
    R: WaveRepo + Sync,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = R>,
{
    none_in_an_empty_store(&fresh().await).await;
    unreleased_waves_of_every_batch_oldest_first(&fresh().await).await;
}

async fn none_in_an_empty_store(repo: &impl WaveRepo) {
    assert!(
        repo.unreleased_due_before(at(60 * 24 * 365))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn move_on(repo: &impl WaveRepo, batch: &BatchId, number: u32, events: &[WaveEvent]) {
    for &event in events {
        assert!(repo.wave_event(batch, number, event).await.unwrap());
    }
}

/// Pending and releasing waves due before the time, of every batch, oldest
/// first; not those released, cancelled, or due at or after it. A wave
/// drops out once released or cancelled.
async fn unreleased_waves_of_every_batch_oldest_first(repo: &impl WaveRepo) {
    use WaveEvent::{Cancel, FinishRelease, StartRelease};
    let (a, b, c) = (case_id(5), case_id(6), case_id(7));
    let a_waves = [
        due(1, 10),
        due(2, 20),
        due(3, 30),
        due(4, 40),
        due(5, 50),
        due(6, 60),
    ];
    let b_waves = [due(1, 15), due(2, 45)];
    let c_waves = [due(1, 5)];
    repo.insert_waves(&a, &a_waves).await.unwrap();
    // Inserted out of number order: the order is the due time's.
    repo.insert_waves(&b, &[b_waves[1].clone(), b_waves[0].clone()])
        .await
        .unwrap();
    repo.insert_waves(&c, &c_waves).await.unwrap();
    move_on(repo, &a, 1, &[StartRelease, FinishRelease]).await;
    move_on(repo, &a, 2, &[StartRelease]).await;
    move_on(repo, &a, 3, &[Cancel]).await;
    move_on(repo, &c, 1, &[StartRelease, FinishRelease]).await;

    let overdue = |minutes| async move { repo.unreleased_due_before(at(minutes)).await.unwrap() };
    let releasing = with(&a_waves[1], WaveStatus::Releasing);
    assert_eq!(
        overdue(50).await,
        [
            (b.clone(), b_waves[0].clone()),
            (a.clone(), releasing.clone()),
            (a.clone(), a_waves[3].clone()),
            (b.clone(), b_waves[1].clone()),
        ],
        "released and cancelled ones left out; as they are now"
    );
    assert_eq!(
        overdue(40).await,
        [
            (b.clone(), b_waves[0].clone()),
            (a.clone(), releasing.clone()),
        ],
        "one due at 40 (and 3 ms) is not due before 40"
    );
    assert_eq!(
        repo.unreleased_due_before(a_waves[3].due).await.unwrap(),
        overdue(40).await,
        "nor one due at exactly the time"
    );
    assert_eq!(
        repo.unreleased_due_before(a_waves[3].due + TimeDelta::milliseconds(1))
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(overdue(10).await.is_empty(), "only released ones before 10");
    assert_eq!(
        overdue(24 * 60).await.len(),
        6,
        "pending 4, 5, 6 of a, releasing 2, both of b"
    );

    move_on(repo, &a, 2, &[FinishRelease]).await;
    move_on(repo, &b, 1, &[StartRelease, FinishRelease]).await;
    move_on(repo, &a, 4, &[Cancel]).await;
    move_on(repo, &b, 2, &[StartRelease]).await;
    assert_eq!(
        overdue(24 * 60).await,
        [
            (b.clone(), with(&b_waves[1], WaveStatus::Releasing)),
            (a.clone(), a_waves[4].clone()),
            (a.clone(), a_waves[5].clone()),
        ],
        "after release or cancel they drop out"
    );
}
