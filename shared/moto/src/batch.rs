//! The batch the function tests share: ten recipients, validated, then
//! planned in waves of 4, 4 and 2 an hour apart from 09:00 UTC on
//! 25 November 2026. The waves' schedules are EventBridge's business (tested
//! in shared/aws), so here they are made nowhere.

use std::num::NonZeroU64;

use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_core::batch::{Batch, BatchId, Recipient, Seq, Wave};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::mobile::UkMobile;
use batchmsg_core::nhs_number::NhsNumber;
use batchmsg_core::ports::{BatchRepo, PortResult, RecipientRepo, WaveScheduler};
use batchmsg_core::sending::schedule_batch;
use batchmsg_core::waves::{Interval, Schedule, plan_waves};
use chrono::{TimeDelta, TimeZone, Utc};

pub const BATCH: &str = "20261125-090000-0001";

/// A scheduler that schedules nothing.
pub struct NoSchedules;

impl WaveScheduler for NoSchedules {
    async fn schedule(&self, _: &BatchId, _: &[Wave]) -> PortResult<()> {
        Ok(())
    }

    async fn unschedule(&self, _: &BatchId, _: &[u32]) -> PortResult<()> {
        Ok(())
    }
}

/// Recipient `seq` of the batch: mobile `+447700900{seq:03}`.
pub fn recipient(seq: Seq) -> Recipient {
    Recipient::new(
        seq,
        u64::from(seq) + 2,
        (0..10)
            .find_map(|k| NhsNumber::from_first_nine(999_000_000 + u64::from(seq) * 10 + k))
            .expect("a check digit"),
        UkMobile::parse(&format!("+447700900{seq:03}")).expect("a drama number"),
        format!("Hello patient {seq}, your appointment is tomorrow."),
    )
}

/// Stores the batch and its recipients, and plans its three waves.
pub async fn ten_in_three_waves(repos: &DynamoRepos) -> (BatchId, Vec<Wave>) {
    let batch: BatchId = BATCH.parse().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
    let recipients: Vec<Recipient> = (0..10).map(recipient).collect();
    repos.insert_recipients(&batch, &recipients).await.unwrap();
    let created = repos
        .create_batch(&Batch {
            id: batch.clone(),
            status: BatchStatus::Validated,
            created_at: t0,
            list_name: "clinic.csv".to_owned(),
            message: "Hello, your appointment is tomorrow.".to_owned(),
            rows: 10,
            accepted: 10,
            not_accepted: 0,
        })
        .await
        .unwrap();
    assert!(created);
    let plan = plan_waves(
        10,
        &Schedule::Stagger {
            per_wave: NonZeroU64::new(4).unwrap(),
            every: Interval::Elapsed(TimeDelta::hours(1)),
            start: None,
        },
        None,
        t0,
    )
    .unwrap();
    let waves = schedule_batch(repos, repos, &NoSchedules, &batch, &plan)
        .await
        .unwrap();
    assert_eq!(waves.len(), 3);
    (batch, waves)
}
