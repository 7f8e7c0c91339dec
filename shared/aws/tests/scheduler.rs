//! The wave scheduler against moto's EventBridge Scheduler: one schedule per
//! wave with the right name, time, time zone, target and clean-up; repeats
//! are harmless and unschedule removes exactly what it is asked to. (moto
//! never fires a schedule: the wave function's tests feed it the input.)

use std::collections::BTreeSet;

use aws_sdk_scheduler::types::{ActionAfterCompletion, FlexibleTimeWindowMode, ScheduleState};
use batchmsg_aws::scheduler::{
    EventBridgeScheduler, MAX_EVENT_AGE, MAX_RETRY_ATTEMPTS, WaveDue, schedule_name,
};
use batchmsg_core::batch::{BatchId, Wave};
use batchmsg_core::delivery::WaveStatus;
use batchmsg_core::ports::WaveScheduler;
use batchmsg_moto::Moto;
use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Utc};

const GROUP: &str = "batchmsg-waves";
const FUNCTION: &str = "arn:aws:lambda:eu-west-2:123456789012:function:batchmsg-wave";
const ROLE: &str = "arn:aws:iam::123456789012:role/batchmsg-scheduler";

struct Setup {
    moto: Moto,
    client: aws_sdk_scheduler::Client,
    scheduler: EventBridgeScheduler,
}

async fn setup() -> Setup {
    let moto = Moto::connect().await;
    let client = aws_sdk_scheduler::Client::new(&moto.sdk);
    client
        .create_schedule_group()
        .name(GROUP)
        .send()
        .await
        .expect("creates the group");
    let scheduler = EventBridgeScheduler::new(client.clone(), GROUP, FUNCTION, ROLE);
    Setup {
        moto,
        client,
        scheduler,
    }
}

fn wave(number: u32, due: DateTime<Utc>) -> Wave {
    Wave {
        number,
        first: (number - 1) * 100,
        size: 100,
        due,
        status: WaveStatus::Pending,
    }
}

/// The names of the schedules in the group.
async fn names(client: &aws_sdk_scheduler::Client) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut pages = client
        .list_schedules()
        .group_name(GROUP)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for schedule in page.expect("lists schedules").schedules() {
            names.insert(schedule.name().expect("a name").to_owned());
        }
    }
    names
}

fn at(expression: &str) -> DateTime<Utc> {
    let inner = expression
        .strip_prefix("at(")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{expression} is not at(...)"));
    NaiveDateTime::parse_from_str(inner, "%Y-%m-%dT%H:%M:%S")
        .expect("yyyy-mm-ddThh:mm:ss")
        .and_utc()
}

#[tokio::test]
async fn each_wave_gets_a_one_time_schedule_in_utc_that_deletes_itself() {
    let setup = setup().await;
    let batch: BatchId = "20261020-090000-00ab".parse().unwrap();
    // The second wave is 01:30 BST, the third 01:30 GMT: the same UK local
    // time an hour apart, on the night the clocks go back.
    let waves = [
        wave(1, Utc.with_ymd_and_hms(2030, 10, 26, 23, 0, 0).unwrap()),
        wave(2, Utc.with_ymd_and_hms(2030, 10, 27, 0, 30, 0).unwrap()),
        wave(3, Utc.with_ymd_and_hms(2030, 10, 27, 1, 30, 0).unwrap()),
    ];
    setup
        .scheduler
        .schedule(&batch, &waves)
        .await
        .expect("schedules");

    let expected: BTreeSet<String> = waves
        .iter()
        .map(|w| format!("20261020-090000-00ab-w{:05}", w.number))
        .collect();
    assert_eq!(names(&setup.client).await, expected);

    for w in &waves {
        let name = schedule_name(&batch, w.number);
        let got = setup
            .client
            .get_schedule()
            .group_name(GROUP)
            .name(&name)
            .send()
            .await
            .expect("gets the schedule");
        assert_eq!(got.name(), Some(name.as_str()));
        assert_eq!(got.group_name(), Some(GROUP));
        assert_eq!(
            got.schedule_expression(),
            Some(format!("at({})", w.due.format("%Y-%m-%dT%H:%M:%S")).as_str())
        );
        assert_eq!(got.schedule_expression_timezone(), Some("UTC"));
        assert_eq!(
            got.flexible_time_window().map(|f| f.mode()),
            Some(&FlexibleTimeWindowMode::Off)
        );
        assert_eq!(
            got.action_after_completion(),
            Some(&ActionAfterCompletion::Delete)
        );
        assert_eq!(got.state(), Some(&ScheduleState::Enabled));
        let target = got.target().expect("a target");
        assert_eq!(target.arn(), FUNCTION);
        assert_eq!(target.role_arn(), ROLE);
        let input: WaveDue =
            serde_json::from_str(target.input().expect("an input")).expect("a wave event");
        assert_eq!(
            input,
            WaveDue {
                batch: batch.clone(),
                wave: w.number
            }
        );
        let retry = target.retry_policy().expect("a retry policy");
        assert_eq!(
            retry.maximum_event_age_in_seconds(),
            Some(MAX_EVENT_AGE.num_seconds() as i32)
        );
        assert_eq!(retry.maximum_retry_attempts(), Some(MAX_RETRY_ATTEMPTS));
    }
}

#[tokio::test]
async fn scheduling_again_changes_nothing() {
    let setup = setup().await;
    let batch: BatchId = "b-1".parse().unwrap();
    let due = Utc.with_ymd_and_hms(2030, 3, 31, 8, 0, 0).unwrap();
    let waves = [wave(1, due), wave(2, due + TimeDelta::hours(1))];
    setup
        .scheduler
        .schedule(&batch, &waves)
        .await
        .expect("schedules");
    let first = names(&setup.client).await;
    setup
        .scheduler
        .schedule(&batch, &waves)
        .await
        .expect("a repeat is fine");
    // Even one whose time was since moved: the first schedule stands.
    let moved = [wave(2, due + TimeDelta::hours(5)), wave(3, due)];
    setup
        .scheduler
        .schedule(&batch, &moved)
        .await
        .expect("a partial repeat is fine");
    let now = names(&setup.client).await;
    assert_eq!(now.len(), 3);
    assert!(now.is_superset(&first));
    let second = setup
        .client
        .get_schedule()
        .group_name(GROUP)
        .name(schedule_name(&batch, 2))
        .send()
        .await
        .expect("gets wave 2");
    assert_eq!(
        second.schedule_expression(),
        Some("at(2030-03-31T09:00:00)")
    );
}

#[tokio::test]
async fn unschedule_removes_exactly_those_waves_and_gone_ones_are_fine() {
    let setup = setup().await;
    let a: BatchId = "batch-a".parse().unwrap();
    let b: BatchId = "batch-b".parse().unwrap();
    let due = Utc.with_ymd_and_hms(2030, 1, 15, 10, 0, 0).unwrap();
    let waves: Vec<Wave> = (1..=3).map(|n| wave(n, due)).collect();
    setup
        .scheduler
        .schedule(&a, &waves)
        .await
        .expect("schedules a");
    setup
        .scheduler
        .schedule(&b, &waves)
        .await
        .expect("schedules b");
    assert_eq!(names(&setup.client).await.len(), 6);

    // Wave 7 never existed; wave 1 is as good as fired and deleted.
    setup
        .scheduler
        .unschedule(&a, &[1, 3, 7])
        .await
        .expect("unschedules");
    let left: BTreeSet<String> = [
        schedule_name(&a, 2),
        schedule_name(&b, 1),
        schedule_name(&b, 2),
        schedule_name(&b, 3),
    ]
    .into();
    assert_eq!(names(&setup.client).await, left);

    setup
        .scheduler
        .unschedule(&a, &[1, 3])
        .await
        .expect("again is fine");
    setup
        .scheduler
        .unschedule(&a, &[])
        .await
        .expect("none is fine");
    assert_eq!(names(&setup.client).await, left);
}

#[tokio::test]
async fn a_wave_due_already_is_set_to_fire_a_minute_from_now() {
    let setup = setup().await;
    let batch: BatchId = "now".parse().unwrap();
    let before = Utc::now();
    setup
        .scheduler
        .schedule(&batch, &[wave(1, before - TimeDelta::hours(2))])
        .await
        .expect("schedules");
    let after = Utc::now();
    let got = setup
        .client
        .get_schedule()
        .group_name(GROUP)
        .name(schedule_name(&batch, 1))
        .send()
        .await
        .expect("gets it");
    let when = at(got.schedule_expression().expect("an expression"));
    assert!(when >= before + TimeDelta::minutes(1), "{when} vs {before}");
    assert!(when <= after + TimeDelta::seconds(61), "{when} vs {after}");
}

#[tokio::test]
async fn a_long_batch_id_gets_a_short_name_that_round_trips() {
    let setup = setup().await;
    let batch: BatchId = "x".repeat(64).parse().unwrap();
    let due = Utc.with_ymd_and_hms(2030, 6, 1, 9, 0, 0).unwrap();
    setup
        .scheduler
        .schedule(&batch, &[wave(1, due), wave(2, due)])
        .await
        .expect("schedules");
    let got = names(&setup.client).await;
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|n| n.len() <= 64), "{got:?}");
    setup
        .scheduler
        .unschedule(&batch, &[1, 2])
        .await
        .expect("unschedules");
    assert!(names(&setup.client).await.is_empty());
}

#[tokio::test]
async fn a_missing_group_is_an_error_naming_the_schedule_and_group() {
    let setup = setup().await;
    // moto answers a missing group with a bare HTTP 500 (AWS: 404
    // ResourceNotFoundException), which the SDK would try three times.
    let config = aws_sdk_scheduler::config::Builder::from(&setup.moto.sdk)
        .retry_config(aws_sdk_scheduler::config::retry::RetryConfig::disabled())
        .build();
    let client = aws_sdk_scheduler::Client::from_conf(config);
    let scheduler = EventBridgeScheduler::new(client, "no-such-group", FUNCTION, ROLE);
    let batch: BatchId = "b".parse().unwrap();
    let due = Utc.with_ymd_and_hms(2030, 6, 1, 9, 0, 0).unwrap();
    let error = scheduler
        .schedule(&batch, &[wave(1, due)])
        .await
        .expect_err("no group");
    let text = error.to_string();
    assert!(
        text.contains("could not create the schedule b-w00001 in group no-such-group"),
        "{text}"
    );
}
