//! The wave function against moto (DynamoDB and SQS through the real SDK
//! clients), called in-process with the payload the schedule holds
//! (`tests/fixtures/schedule-input.json`).

use std::time::Instant;

use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_aws::sqs::{SendJob, SqsSendQueue};
use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::ports::{BatchRepo, SystemClock};
use batchmsg_core::sending::cancel_batch;
use batchmsg_core::test_support::fake::Fake;
use batchmsg_moto::{BATCH, Moto, Stack, ten_in_three_waves};
use batchmsg_wave::{WaveError, WaveSummary, handle};
use lambda_runtime::Diagnostic;
use serde_json::{Value, json};

struct Setup {
    _moto: Moto,
    repos: DynamoRepos,
    sqs: aws_sdk_sqs::Client,
    queue: SqsSendQueue,
    batch: BatchId,
}

/// A reset moto with the stack, and the shared batch of 10 recipients
/// scheduled in waves of 4, 4 and 2, an hour apart.
async fn setup() -> Setup {
    let moto = Moto::connect().await;
    let Stack {
        repos, sqs, queue, ..
    } = moto.stack().await;
    let (batch, _) = ten_in_three_waves(&repos).await;
    Setup {
        _moto: moto,
        repos,
        sqs,
        queue,
        batch,
    }
}

/// The schedule's input, as EventBridge hands it to the function, for `wave`.
fn schedule_input(wave: u32) -> Value {
    let mut input: Value =
        serde_json::from_str(include_str!("fixtures/schedule-input.json")).unwrap();
    assert_eq!(input["batch"], BATCH);
    input["wave"] = json!(wave);
    input
}

/// Receives and deletes every job on the queue; their recipients, sorted.
async fn drain(setup: &Setup) -> Vec<Seq> {
    let mut seqs = Vec::new();
    loop {
        let received = setup
            .sqs
            .receive_message()
            .queue_url(setup.queue.queue_url())
            .max_number_of_messages(10)
            .visibility_timeout(300)
            .send()
            .await
            .expect("receives");
        if received.messages().is_empty() {
            seqs.sort_unstable();
            return seqs;
        }
        for message in received.messages() {
            let job = SendJob::parse(message.body().unwrap()).expect("a send job");
            assert_eq!(job.batch, setup.batch);
            seqs.extend(job.seqs);
            setup
                .sqs
                .delete_message()
                .queue_url(setup.queue.queue_url())
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .expect("deletes");
        }
    }
}

#[tokio::test]
async fn firing_a_wave_queues_exactly_its_recipients() {
    let setup = setup().await;
    let started = Instant::now();
    let summary = handle(&setup.repos, &setup.queue, schedule_input(2))
        .await
        .unwrap();
    eprintln!("wave 2 released in {:?}", started.elapsed());
    assert_eq!(
        serde_json::to_value(&summary).unwrap(),
        json!({"batch": BATCH, "wave": 2, "queued": 4})
    );
    assert_eq!(drain(&setup).await, [4, 5, 6, 7]);

    let summary = handle(&setup.repos, &setup.queue, schedule_input(3))
        .await
        .unwrap();
    assert_eq!(summary.queued, Some(2));
    assert_eq!(drain(&setup).await, [8, 9]);
    assert_eq!(
        setup
            .repos
            .batch(&setup.batch)
            .await
            .unwrap()
            .unwrap()
            .status,
        BatchStatus::Sending
    );
}

#[tokio::test]
async fn firing_a_wave_twice_queues_nothing_more() {
    let setup = setup().await;
    let first = handle(&setup.repos, &setup.queue, schedule_input(1))
        .await
        .unwrap();
    assert_eq!(first.queued, Some(4));
    let second = handle(&setup.repos, &setup.queue, schedule_input(1))
        .await
        .unwrap();
    assert_eq!(
        second,
        WaveSummary {
            batch: BATCH.to_owned(),
            wave: 1,
            queued: None,
            already: Some("released".to_owned()),
        }
    );
    assert_eq!(
        serde_json::to_value(&second).unwrap(),
        json!({"batch": BATCH, "wave": 1, "already": "released"})
    );
    assert_eq!(drain(&setup).await, [0, 1, 2, 3]);
}

#[tokio::test]
async fn a_cancelled_wave_queues_nothing() {
    let setup = setup().await;
    cancel_batch(
        &setup.repos,
        &setup.repos,
        &setup.repos,
        &Fake::new(),
        &SystemClock,
        &setup.batch,
    )
    .await
    .unwrap();
    for wave in 1..=3 {
        let summary = handle(&setup.repos, &setup.queue, schedule_input(wave))
            .await
            .unwrap();
        assert_eq!(summary.already.as_deref(), Some("cancelled"), "{wave}");
        assert_eq!(summary.queued, None);
    }
    assert_eq!(drain(&setup).await, Vec::<Seq>::new());
}

#[tokio::test]
async fn a_malformed_payload_is_an_error_that_says_what_is_wrong() {
    let setup = setup().await;
    let secret = "07700900123";
    let payloads = [
        json!({"batch": BATCH}),
        json!({"wave": 1}),
        json!({"batch": BATCH, "wave": -1}),
        json!({"batch": BATCH, "wave": secret}),
        json!({"batch": format!("{secret} x"), "wave": 1}),
        json!({"batch": BATCH, "wave": 1, "mobile": secret}),
        json!([BATCH, 1]),
        json!(secret),
        Value::Null,
    ];
    for payload in payloads {
        let result = handle(&setup.repos, &setup.queue, payload.clone()).await;
        let error = result.expect_err(&payload.to_string());
        assert!(matches!(error, WaveError::BadEvent { .. }), "{payload}");
        let text = error.to_string();
        assert!(text.contains("is not a wave event"), "{text}");
        assert!(!text.contains(secret), "{text}");
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "BadEvent");
    }
    // A wave the batch does not have.
    let error = handle(&setup.repos, &setup.queue, schedule_input(9))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("could not release wave 9 of batch {BATCH}: batch {BATCH} has no wave 9")
    );
    assert_eq!(Diagnostic::from(error).error_type, "NoSuchWave");
    assert_eq!(drain(&setup).await, Vec::<Seq>::new());
}
