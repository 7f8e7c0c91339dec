//! Every delivery path is at least once; sending must still be at most once.
//! Each fault below is made to happen on the real pipeline (moto, the real
//! adapters, the handlers with AWS-shaped events), and each test counts the
//! exact texts SNS took.

use std::collections::HashMap;

use batchmsg_aws::sns::{SnsSmsSender, client_config};
use batchmsg_core::batch::{Recipient, Seq};
use batchmsg_core::delivery::{BatchStatus, CANCELLED_REASON, RecipientStatus};
use batchmsg_core::ports::{RecipientRepo, SmsSender, SystemClock};
use batchmsg_core::sending::{MAYBE_SENT, cancel_batch};
use batchmsg_core::waves::{Interval, Schedule};
use batchmsg_moto::{RequestCount, SENDER_ID};
use batchmsg_pipeline_tests::throttle::ThrottlingSns;
use batchmsg_pipeline_tests::{Pipeline, send_deadline, send_timing};
use batchmsg_send::Sending;
use batchmsg_synthetic::{ListOptions, write_patient_list};
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

const ROWS: u64 = 400;

fn generated() -> Vec<u8> {
    let mut list = Vec::new();
    let options = ListOptions {
        rows: ROWS,
        seed: 5,
        with_consent_column: false,
        practice_shapes: false,
    };
    write_patient_list(&mut list, &options).unwrap();
    list
}

/// A pipeline with the generated list validated; its accepted count.
async fn validated() -> (Pipeline, u64) {
    let pipeline = Pipeline::new().await;
    pipeline.upload(generated()).await;
    let summary = pipeline.validate().await;
    let accepted = summary.uploads[0].accepted.unwrap();
    (pipeline, accepted)
}

/// Each recipient's texts, by seq: SNS's record matched to the recipients'
/// (mobile, text), in seq order within a shared pair.
async fn texts_by_seq(pipeline: &Pipeline) -> HashMap<Seq, u32> {
    let mut sent: HashMap<(String, String), u32> = pipeline.texts_by_recipient();
    let mut by_seq = HashMap::new();
    for record in pipeline.records().await {
        let r = &record.recipient;
        let key = (
            r.mobile.e164().as_str().to_owned(),
            r.body.as_str().to_owned(),
        );
        let left = sent.entry(key).or_default();
        // Recipients sharing a (mobile, text) pair take the pair's texts in
        // turn; a text with no recipient left would show as a missing key.
        let got = u32::from(*left > 0);
        *left -= got;
        by_seq.insert(r.seq, got);
    }
    assert!(
        sent.values().all(|&n| n == 0),
        "texts SNS took that no recipient accounts for"
    );
    by_seq
}

async fn statuses(pipeline: &Pipeline) -> HashMap<RecipientStatus, u64> {
    let mut counts = HashMap::new();
    for record in pipeline.records().await {
        *counts.entry(record.status).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_upload_event_twice_at_once_validates_once_and_texts_once() {
    let pipeline = Pipeline::new().await;
    pipeline.upload(generated()).await;
    let (a, b) = tokio::join!(pipeline.validate(), pipeline.validate());
    let mut outcomes = [a.uploads[0].outcome.clone(), b.uploads[0].outcome.clone()];
    outcomes.sort();
    assert_eq!(outcomes, ["already validated", "validated"]);
    let accepted = [a, b].iter().find_map(|s| s.uploads[0].accepted).unwrap();
    assert_eq!(pipeline.records().await.len() as u64, accepted);
    // And a third, late.
    assert_eq!(
        pipeline.validate().await.uploads[0].outcome,
        "already validated"
    );

    pipeline.schedule(Schedule::Now).await;
    pipeline.fire(1).await;
    pipeline.drain(1).await;
    assert_eq!(pipeline.texts().len() as u64, accepted);
    assert!(texts_by_seq(&pipeline).await.values().all(|&n| n == 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wave_fired_twice_queues_its_jobs_once_and_texts_once() {
    let (pipeline, accepted) = validated().await;
    pipeline.schedule(Schedule::Now).await;
    let input = pipeline.schedules().await.into_values().next().unwrap().1;
    let first = pipeline.fire_input(input.clone()).await;
    assert_eq!(first.queued, Some(accepted));
    let second = pipeline.fire_input(input).await;
    assert_eq!(
        (second.queued, second.already.as_deref()),
        (None, Some("released"))
    );

    let polled = pipeline.drain(1).await;
    assert_eq!(
        polled.messages,
        accepted.div_ceil(25),
        "each job queued once"
    );
    assert_eq!(pipeline.texts().len() as u64, accepted);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_delivered_again_after_it_was_sent_sends_nothing_more() {
    let (pipeline, accepted) = validated().await;
    pipeline.schedule(Schedule::Now).await;
    pipeline.fire(1).await;

    // The function succeeds but the poller never deletes the messages (its
    // instance died): SQS delivers the same messages again.
    let event = pipeline.receive().await.unwrap();
    let response = batchmsg_send::handle(&pipeline.sending, event.clone(), send_deadline())
        .await
        .unwrap();
    assert!(response.batch_item_failures.is_empty());
    let sent_once = pipeline.texts().len();
    assert_eq!(sent_once, 250, "10 jobs of 25");
    pipeline.settle(&event, &every_one_failed(&event)).await;

    let polled = pipeline.drain(1).await;
    assert_eq!(
        polled.messages,
        accepted.div_ceil(25),
        "the 10 again, and the rest"
    );
    assert_eq!(pipeline.texts().len() as u64, accepted);
    assert!(texts_by_seq(&pipeline).await.values().all(|&n| n == 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sender_that_dies_between_publish_and_sent_never_sends_again_and_the_sweep_says_so() {
    let (pipeline, accepted) = validated().await;
    pipeline.schedule(Schedule::Now).await;
    pipeline.fire(1).await;

    // An instance takes the first job: it claims its 25 recipients and
    // publishes 10 of them, then dies before recording anything (a Lambda
    // timeout). Its claim time is set 20 minutes back, as the sweep will
    // find it.
    let event = pipeline.receive().await.unwrap();
    let job = batchmsg_aws::sqs::SendJob::parse(event.records[0].body.as_deref().unwrap()).unwrap();
    let repos = &pipeline.stack.repos;
    let claimed: Vec<Recipient> = repos
        .claim(
            &pipeline.batch,
            &job.seqs,
            Utc::now() - TimeDelta::minutes(20),
        )
        .await
        .unwrap();
    assert_eq!(claimed.len(), 25);
    for recipient in &claimed[..10] {
        pipeline
            .stack
            .sender
            .publish(&pipeline.batch, recipient)
            .await
            .unwrap();
    }
    // Its messages come back after the visibility timeout; everything else
    // is sent.
    pipeline.settle(&event, &every_one_failed(&event)).await;
    pipeline.drain(1).await;
    let texts = texts_by_seq(&pipeline).await;
    let job_seqs = &job.seqs;
    assert_eq!(pipeline.texts().len() as u64, accepted - 15);
    for (seq, n) in &texts {
        let expected = match job_seqs.iter().position(|s| s == seq) {
            Some(i) if i < 10 => 1, // published before the crash, never again
            Some(_) => 0,           // claimed, never published, never sent
            None => 1,
        };
        assert_eq!(*n, expected, "seq {seq}");
    }

    // The sweep: every one of the 25 becomes a technical failure that says
    // it may have gone, and the batch is complete. Nothing is sent.
    let swept = pipeline.sweep().await;
    assert_eq!((swept.failed_as_maybe_sent, swept.completed), (25, 1));
    for record in pipeline.records().await {
        if job_seqs.contains(&record.recipient.seq) {
            assert_eq!(record.status, RecipientStatus::TechnicalFailure);
            assert_eq!(record.reason.as_deref(), Some(MAYBE_SENT));
        } else {
            assert_eq!(record.status, RecipientStatus::Sent);
        }
    }
    assert_eq!(pipeline.status().await, BatchStatus::Completed);
    assert_eq!(pipeline.texts().len() as u64, accepted - 15);
}

fn every_one_failed(
    event: &aws_lambda_events::event::sqs::SqsEvent,
) -> aws_lambda_events::event::sqs::SqsBatchResponse {
    let failures: Vec<Value> = event
        .records
        .iter()
        .map(|r| json!({"itemIdentifier": r.message_id}))
        .collect();
    serde_json::from_value(json!({ "batchItemFailures": failures })).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttled_text_goes_back_to_queued_and_is_sent_once_when_its_job_comes_again() {
    let (pipeline, accepted) = validated().await;
    pipeline.schedule(Schedule::Now).await;
    pipeline.fire(1).await;

    // SNS throttles publishes 30 to 32: the adapter's three tries at one
    // text, so that text goes back to `queued` and its job is reported.
    let proxy = ThrottlingSns::start(&pipeline.moto.endpoint, 30..33);
    let sdk = pipeline
        .moto
        .sdk
        .to_builder()
        .endpoint_url(&proxy.url)
        .build();
    let counted = RequestCount::default();
    let sns = aws_sdk_sns::Client::from_conf(
        client_config(&sdk)
            .to_builder()
            .interceptor(counted.clone())
            .build(),
    );
    let limiter = batchmsg_core::rate::EvenlySpacedLimiter::new(2_000.0, 1).unwrap();
    let sending = Sending {
        repos: pipeline.stack.repos.clone(),
        sender: SnsSmsSender::new(sns, Some(SENDER_ID.parse().unwrap())),
        timing: send_timing(&limiter),
        limiter,
        clock: SystemClock,
        queue: pipeline.stack.queue.clone(),
    };
    let polled = pipeline.drain_with(&sending, 1).await;
    // The throttled texts come back in a message of their own (issue 12,
    // case 7), not as a redelivery of theirs.
    assert_eq!(polled.retried, 0);
    assert_eq!(
        polled.messages,
        accepted.div_ceil(25) + 1,
        "every job, and the throttled texts' own"
    );
    assert_eq!(pipeline.texts().len() as u64, accepted);
    assert!(texts_by_seq(&pipeline).await.values().all(|&n| n == 1));
    assert_eq!(
        counted.by_operation()[&("SNS".to_owned(), "Publish".to_owned())],
        accepted + 3,
        "three throttled attempts, then one Publish a text"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_staggered_batch_has_a_schedule_a_wave_and_a_cancel_racing_a_wave_sends_nothing_more() {
    let (pipeline, accepted) = validated().await;
    let per_wave = accepted.div_ceil(3);
    let waves = pipeline
        .schedule(Schedule::Stagger {
            per_wave: std::num::NonZeroU64::new(per_wave).unwrap(),
            every: Interval::Elapsed(TimeDelta::hours(1)),
            start: Some(
                (Utc::now() + TimeDelta::hours(1))
                    .with_timezone(&chrono_tz::Europe::London)
                    .naive_local(),
            ),
        })
        .await;
    assert_eq!(waves.len(), 3);

    // One schedule a wave: at its due time (UTC, rounded up to the
    // second), its input naming it.
    let schedules = pipeline.schedules().await;
    assert_eq!(schedules.len(), 3);
    for wave in &waves {
        let name = format!("{}-w{:05}", pipeline.batch, wave.number);
        let (expression, input) = &schedules[&name];
        let at = (wave.due + TimeDelta::nanoseconds(999_999_999)).format("%Y-%m-%dT%H:%M:%S");
        assert_eq!(expression, &format!("at({at})"), "{name}");
        assert_eq!(
            input,
            &json!({"batch": pipeline.batch.as_str(), "wave": wave.number})
        );
    }

    // Wave 2 fires first (schedules are independent): exactly its recipients.
    let second = pipeline.fire(2).await;
    assert_eq!(second.queued, Some(u64::from(waves[1].size)));
    let event = pipeline.receive().await.unwrap();
    let response = batchmsg_send::handle(&pipeline.sending, event.clone(), send_deadline())
        .await
        .unwrap();
    pipeline.settle(&event, &response).await;
    let sent_before_cancel = pipeline.texts().len() as u64;
    assert_eq!(sent_before_cancel, u64::from(waves[1].size).min(250));
    let wave_two = waves[1].first..waves[1].first + waves[1].size;
    for (seq, n) in texts_by_seq(&pipeline).await {
        if n > 0 {
            assert!(wave_two.contains(&seq), "seq {seq} is not in wave 2");
        }
    }

    // The clinician cancels; wave 1's schedule fires as the cancel runs.
    let repos = &pipeline.stack.repos;
    let cancelled = cancel_batch(
        repos,
        repos,
        repos,
        &pipeline.stack.scheduler,
        &SystemClock,
        &pipeline.batch,
    )
    .await
    .unwrap();
    assert_eq!(cancelled.waves, 2);
    // The pending waves' schedules are deleted. Wave 2's is left only because
    // moto never fires schedules, so never deletes one after it has
    // (ActionAfterCompletion DELETE).
    let left: Vec<String> = pipeline.schedules().await.into_keys().collect();
    assert_eq!(left, [format!("{}-w00002", pipeline.batch)]);
    let late = pipeline
        .fire_input(json!({"batch": pipeline.batch.as_str(), "wave": 1}))
        .await;
    assert_eq!(
        (late.queued, late.already.as_deref()),
        (None, Some("cancelled"))
    );

    // The rest of wave 2's jobs still arrive: nothing more is sent.
    pipeline.drain(1).await;
    assert_eq!(pipeline.texts().len() as u64, sent_before_cancel);
    let counts = statuses(&pipeline).await;
    assert_eq!(
        counts.get(&RecipientStatus::Sent).copied(),
        Some(sent_before_cancel)
    );
    assert_eq!(
        counts.get(&RecipientStatus::Cancelled).copied(),
        Some(accepted - sent_before_cancel)
    );
    for record in pipeline.records().await {
        if record.status == RecipientStatus::Cancelled {
            assert_eq!(record.reason.as_deref(), Some(CANCELLED_REASON));
        }
    }
    assert_eq!(pipeline.status().await, BatchStatus::Cancelled);
}
