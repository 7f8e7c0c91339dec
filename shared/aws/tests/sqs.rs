//! The send queue against moto's SQS: jobs go out 25 recipients a message
//! and ten messages a request, and come back as [`SendJob`]s.

use std::collections::HashMap;
use std::time::Instant;

use batchmsg_aws::sqs::{BATCH_ENTRIES, JOB_SEQS, SendJob, SqsSendQueue};
use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::ports::SendQueue;
use batchmsg_moto::{Moto, RequestCount, Stack};

struct Setup {
    _moto: Moto,
    sqs: aws_sdk_sqs::Client,
    queue: SqsSendQueue,
    requests: RequestCount,
}

impl Setup {
    /// SendMessageBatch requests sent (every HTTP attempt).
    fn batch_requests(&self) -> u64 {
        let key = ("SQS".to_owned(), "SendMessageBatch".to_owned());
        self.requests.by_operation().get(&key).copied().unwrap_or(0)
    }
}

/// A reset moto with the stack's send queue.
async fn setup() -> Setup {
    let moto = Moto::connect().await;
    let Stack {
        sqs,
        queue,
        requests,
        ..
    } = moto.stack().await;
    Setup {
        _moto: moto,
        sqs,
        queue,
        requests,
    }
}

/// Receives (ten at a time) and deletes every message on the queue; the
/// bodies.
async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(BATCH_ENTRIES as i32)
            .visibility_timeout(300)
            .send()
            .await
            .expect("receives");
        let messages = received.messages();
        if messages.is_empty() {
            return bodies;
        }
        let mut delete = sqs.delete_message_batch().queue_url(url);
        for (i, message) in messages.iter().enumerate() {
            bodies.push(message.body().expect("a body").to_owned());
            delete = delete.entries(
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(message.receipt_handle().expect("a handle"))
                    .build()
                    .expect("an entry"),
            );
        }
        let deleted = delete.send().await.expect("deletes");
        assert!(deleted.failed().is_empty(), "{deleted:?}");
    }
}

#[tokio::test]
async fn a_thousand_recipients_go_out_in_four_requests_and_come_back_once_each() {
    let setup = setup().await;
    let batch: BatchId = "20261125-170455-3f9a".parse().unwrap();
    let seqs: Vec<Seq> = (0..1_000).collect();

    let started = Instant::now();
    setup.queue.enqueue(&batch, &seqs).await.expect("enqueues");
    let enqueue_took = started.elapsed();
    assert_eq!(setup.batch_requests(), 4);

    let bodies = drain(&setup.sqs, setup.queue.queue_url()).await;
    assert_eq!(bodies.len(), 40, "25 recipients a message");
    let mut times: HashMap<Seq, usize> = HashMap::new();
    for body in &bodies {
        let job = SendJob::parse(body).expect("a send job");
        assert_eq!(job.batch, batch);
        assert!(job.seqs.len() <= JOB_SEQS);
        for seq in job.seqs {
            *times.entry(seq).or_default() += 1;
        }
    }
    assert_eq!(times.len(), seqs.len());
    assert!(
        seqs.iter().all(|s| times.get(s) == Some(&1)),
        "every seq exactly once"
    );
    eprintln!(
        "enqueue 1,000 recipients: {enqueue_took:?}; drain: {:?}",
        started.elapsed() - enqueue_took
    );
}

#[tokio::test]
async fn nothing_to_queue_makes_no_request_and_a_short_list_one() {
    let setup = setup().await;
    let batch: BatchId = "b-1".parse().unwrap();
    setup
        .queue
        .enqueue(&batch, &[])
        .await
        .expect("enqueues nothing");
    assert_eq!(setup.batch_requests(), 0);

    setup
        .queue
        .enqueue(&batch, &[7, 3, 7])
        .await
        .expect("enqueues");
    assert_eq!(setup.batch_requests(), 1);
    let bodies = drain(&setup.sqs, setup.queue.queue_url()).await;
    assert_eq!(
        bodies
            .iter()
            .map(|b| SendJob::parse(b).unwrap())
            .collect::<Vec<_>>(),
        vec![SendJob {
            batch,
            seqs: vec![7, 3, 7]
        }]
    );
}

#[tokio::test]
async fn a_missing_queue_is_an_error_that_says_so() {
    let setup = setup().await;
    let gone = format!("{}-gone", setup.queue.queue_url());
    let queue = SqsSendQueue::new(setup.sqs.clone(), gone);
    let error = queue
        .enqueue(&"b".parse().unwrap(), &[1])
        .await
        .expect_err("no such queue");
    let text = error.to_string();
    assert!(text.starts_with("SQS SendMessageBatch failed"), "{text}");
    assert!(
        text.contains("NonExistentQueue") || text.contains("QueueDoesNotExist"),
        "{text}"
    );
}
