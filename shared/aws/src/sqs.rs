//! The send queue on SQS ([`SendQueue`]): jobs for the send function.
//!
//! # Cost
//!
//! A message is one job for up to [`JOB_SEQS`] recipients of one batch, its
//! body `{"batch": "<id>", "seqs": [..]}` (see [`SendJob`]), and one
//! SendMessageBatch request carries up to [`BATCH_ENTRIES`] messages: 250
//! recipients a request. A body is at most ~400 bytes, so a request is one
//! billed 64 KiB chunk. Enqueueing 1,000 recipients is 40 messages in 4
//! requests (0.004 requests a recipient); the send function's event source
//! receives and deletes them ten messages a request.
//!
//! # Failures
//!
//! Entries a SendMessageBatch reports as failed are sent again, up to
//! [`SEND_ATTEMPTS`] requests in all with a doubling pause; then, or at once
//! for an entry SQS says is our fault (`SenderFault`), the enqueue fails.
//! An enqueue's requests go [`ENQUEUE_CONCURRENCY`] at a time.
//! A failed enqueue may have queued some of the jobs: jobs are at least once,
//! and the send function claims each recipient from `queued`, so queueing
//! them again is harmless. The SDK's own retries cover a request that fails
//! as a whole.
//!
//! The queue is a standard queue (no `MessageGroupId`). Bodies hold only a
//! batch id and recipient numbers, never personal data.

use std::ops::Range;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::ports::{PortError, PortResult, SendQueue};
use futures::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};

use crate::config::{self, ConfigError};
use crate::sdk_error::describe;

/// The environment variable that holds the queue's URL.
pub const QUEUE_URL_VAR: &str = "BATCHMSG_SEND_QUEUE_URL";

/// Recipients in one job (one SQS message).
pub const JOB_SEQS: usize = 25;

/// Messages in one SendMessageBatch request: SQS's limit.
pub const BATCH_ENTRIES: usize = 10;

/// The bodies of one SendMessageBatch request together: SQS's limit for a
/// queue with the default `MaximumMessageSize` (256 KiB).
pub const BATCH_BYTES: usize = 256 * 1024;

/// SendMessageBatch requests of one enqueue in flight at once. A wave of
/// 200,000 recipients is 800 requests: ~0.5 s at ~10 ms a request (see
/// docs/aws.md, "Scale").
pub const ENQUEUE_CONCURRENCY: usize = 16;

/// SendMessageBatch requests for one group of messages, the first included,
/// before the entries SQS keeps failing are given up on.
pub const SEND_ATTEMPTS: u32 = 5;

/// The pause before the first resend of failed entries; it doubles.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The longest one SQS request may take, the SDK's retries included,
/// unless the SDK's configuration sets its own.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest one attempt of a request may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest an enqueue of one job (one request's worth of messages) can
/// take when each request takes `operation`: [`SEND_ATTEMPTS`] requests and
/// the pauses between them.
pub fn enqueue_bound(operation: Duration) -> Duration {
    let pauses = (0..SEND_ATTEMPTS - 1)
        .map(|i| FIRST_BACKOFF * 2u32.pow(i))
        .sum::<Duration>();
    operation * SEND_ATTEMPTS + pauses
}

/// The send queue on SQS.
#[derive(Clone, Debug)]
pub struct SqsSendQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsSendQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The queue named by `BATCHMSG_SEND_QUEUE_URL`, through a client with
    /// [`OPERATION_TIMEOUT`] and [`ATTEMPT_TIMEOUT`] where `sdk` sets none.
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let url = config::require(QUEUE_URL_VAR)?;
        let client = aws_sdk_sqs::config::Builder::from(sdk)
            .timeout_config(config::with_timeouts(
                sdk,
                OPERATION_TIMEOUT,
                ATTEMPT_TIMEOUT,
            ))
            .build();
        Ok(Self::new(
            aws_sdk_sqs::Client::from_conf(client),
            url.trim(),
        ))
    }

    /// The client's operation timeout (retries included); `None` if unbounded.
    pub fn operation_timeout(&self) -> Option<Duration> {
        self.client
            .config()
            .timeout_config()
            .and_then(|t| t.operation_timeout())
    }

    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// Sends one request's messages, sending again those SQS reports as
    /// failed.
    async fn send_group(&self, batch: &BatchId, bodies: &[String], delay: i32) -> PortResult<()> {
        let outcome = send_with_retries(bodies.len(), FIRST_BACKOFF, |pending| {
            self.send_entries(bodies, pending, delay)
        })
        .await?;
        outcome.map_err(|failure| {
            PortError::new(SqsError::NotQueued {
                batch: batch.clone(),
                failed: failure.failed,
                total: bodies.len(),
                attempts: failure.attempts,
                code: failure.code,
                sender_fault: failure.sender_fault,
            })
        })
    }

    /// One SendMessageBatch of the `pending` bodies (ids are their indices);
    /// the entries SQS did not take.
    async fn send_entries(
        &self,
        bodies: &[String],
        pending: Vec<usize>,
        delay: i32,
    ) -> PortResult<Vec<EntryFailure>> {
        let entries = pending
            .iter()
            .map(|&i| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&bodies[i])
                    .set_delay_seconds((delay > 0).then_some(delay))
                    .build()
                    .map_err(PortError::new)
            })
            .collect::<PortResult<Vec<_>>>()?;
        let output = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| PortError::new(SqsError::Request(describe(&e, true))))?;
        Ok(output
            .failed()
            .iter()
            .map(|f| EntryFailure {
                index: f.id().parse().ok().filter(|i| pending.contains(i)),
                code: f.code().to_owned(),
                sender_fault: f.sender_fault(),
            })
            .collect())
    }
}

impl SendQueue for SqsSendQueue {
    /// A delay is each message's `DelaySeconds`: whole seconds, rounded up,
    /// at most [`MAX_DELAY`] (SQS's limit).
    async fn enqueue_after(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        delay: Duration,
    ) -> PortResult<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        let delay = delay_seconds(delay);
        let bodies = job_bodies(batch, seqs);
        let groups = request_groups(&bodies, BATCH_ENTRIES, BATCH_BYTES)
            .map_err(|size| PortError::new(SqsError::TooBig(size)))?;
        // The futures are made first: a stream of a closure's futures trips
        // rustc's higher-ranked lifetime check in a `Send` trait method.
        let sends: Vec<_> = groups
            .iter()
            .map(|group| self.send_group(batch, &bodies[group.clone()], delay))
            .collect();
        stream::iter(sends)
            .buffer_unordered(ENQUEUE_CONCURRENCY)
            .try_collect::<()>()
            .await?;
        tracing::debug!(
            batch = %batch,
            recipients = seqs.len(),
            delay_seconds = delay,
            messages = bodies.len(),
            requests = groups.len(),
            "queued send jobs"
        );
        Ok(())
    }
}

/// The longest delay SQS takes on a message (`DelaySeconds`).
pub const MAX_DELAY: Duration = Duration::from_secs(900);

/// `delay` as `DelaySeconds`: whole seconds, rounded up, at most [`MAX_DELAY`].
fn delay_seconds(delay: Duration) -> i32 {
    let capped = delay.min(MAX_DELAY);
    let seconds = capped.as_secs() + u64::from(capped.subsec_nanos() > 0);
    seconds as i32
}

/// Why jobs could not be queued.
#[derive(Debug, thiserror::Error)]
pub enum SqsError {
    #[error("SQS SendMessageBatch failed: {0}")]
    Request(String),
    #[error(
        "SQS did not take {failed} of {total} send jobs of batch {batch} after {attempts} \
         attempt(s) (last error {code}{})",
        if *sender_fault { ", which SQS says is ours" } else { "" }
    )]
    NotQueued {
        batch: BatchId,
        failed: usize,
        total: usize,
        attempts: u32,
        code: String,
        sender_fault: bool,
    },
    #[error("a send job is {0} bytes, more than an SQS request takes")]
    TooBig(usize),
}

/// One job: recipients of one batch to send to. The body of a message on
/// the send queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendJob {
    pub batch: BatchId,
    pub seqs: Vec<Seq>,
}

/// The body as written and read.
#[derive(Serialize, Deserialize)]
struct JobBody<'a> {
    #[serde(borrow)]
    batch: std::borrow::Cow<'a, str>,
    seqs: Vec<Seq>,
}

/// Why a message body is not a send job. Never quotes the body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("the send job is not JSON (line {line}, column {column})")]
    NotJson { line: usize, column: usize },
    #[error(
        "the send job is not {{\"batch\": \"<id>\", \"seqs\": [<numbers>]}} \
         (line {line}, column {column})"
    )]
    WrongShape { line: usize, column: usize },
    #[error("the send job's batch is not a batch id")]
    BadBatch,
    #[error("the send job has no recipients")]
    NoSeqs,
    #[error("the send job has {0} recipients; a job holds at most {JOB_SEQS}")]
    TooManySeqs(usize),
}

impl SendJob {
    /// Reads a message body written by [`SqsSendQueue`]. Fields other than
    /// `batch` and `seqs` are ignored.
    pub fn parse(body: &str) -> Result<SendJob, JobError> {
        let raw: JobBody = serde_json::from_str(body).map_err(|e| {
            let (line, column) = (e.line(), e.column());
            match e.classify() {
                serde_json::error::Category::Data => JobError::WrongShape { line, column },
                _ => JobError::NotJson { line, column },
            }
        })?;
        let batch = raw.batch.parse().map_err(|_| JobError::BadBatch)?;
        match raw.seqs.len() {
            0 => Err(JobError::NoSeqs),
            n if n > JOB_SEQS => Err(JobError::TooManySeqs(n)),
            _ => Ok(SendJob {
                batch,
                seqs: raw.seqs,
            }),
        }
    }

    /// The message body for this job.
    pub fn body(&self) -> String {
        job_body(&self.batch, &self.seqs)
    }
}

fn job_body(batch: &BatchId, seqs: &[Seq]) -> String {
    let body = JobBody {
        batch: batch.as_str().into(),
        seqs: seqs.to_vec(),
    };
    serde_json::to_string(&body).expect("a job serialises")
}

/// The message bodies for `seqs`: [`JOB_SEQS`] recipients a message, in order.
fn job_bodies(batch: &BatchId, seqs: &[Seq]) -> Vec<String> {
    seqs.chunks(JOB_SEQS)
        .map(|chunk| job_body(batch, chunk))
        .collect()
}

/// Splits `bodies` into consecutive requests of at most `entries` messages
/// and `bytes` bytes of bodies; `Err` with its size if one body alone is too
/// big.
fn request_groups(
    bodies: &[String],
    entries: usize,
    bytes: usize,
) -> Result<Vec<Range<usize>>, usize> {
    let mut groups = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, body) in bodies.iter().enumerate() {
        if body.len() > bytes {
            return Err(body.len());
        }
        if i - start == entries || size + body.len() > bytes {
            groups.push(start..i);
            start = i;
            size = 0;
        }
        size += body.len();
    }
    if start < bodies.len() {
        groups.push(start..bodies.len());
    }
    Ok(groups)
}

/// An entry SQS did not take: its index among the bodies (if SQS named one
/// we sent), SQS's code, and whether SQS blames the request.
#[derive(Clone, Debug, PartialEq, Eq)]
struct EntryFailure {
    index: Option<usize>,
    code: String,
    sender_fault: bool,
}

/// Entries still not taken when [`send_with_retries`] gave up.
#[derive(Clone, Debug, PartialEq, Eq)]
struct GaveUp {
    failed: usize,
    attempts: u32,
    code: String,
    sender_fault: bool,
}

/// Calls `send` with every index in `0..count`, then again with the ones it
/// reports as failed, pausing `backoff`, then twice that, ..., at most
/// [`SEND_ATTEMPTS`] calls. An error from `send` itself is returned at once
/// (the SDK has retried the request already); a sender-fault failure, or a
/// failure naming no entry we sent (which cannot be resent by id), gives up
/// at once.
async fn send_with_retries<F, Fut>(
    count: usize,
    backoff: Duration,
    mut send: F,
) -> PortResult<Result<(), GaveUp>>
where
    F: FnMut(Vec<usize>) -> Fut,
    Fut: std::future::Future<Output = PortResult<Vec<EntryFailure>>>,
{
    let mut pending: Vec<usize> = (0..count).collect();
    let mut pause = backoff;
    for attempt in 1..=SEND_ATTEMPTS {
        let failures = send(pending.clone()).await?;
        if failures.is_empty() {
            return Ok(Ok(()));
        }
        let code = failures[0].code.clone();
        let hopeless = failures.iter().any(|f| f.sender_fault || f.index.is_none());
        let sender_fault = failures.iter().any(|f| f.sender_fault);
        let mut retry: Vec<usize> = failures.iter().filter_map(|f| f.index).collect();
        retry.sort_unstable();
        retry.dedup();
        if hopeless || attempt == SEND_ATTEMPTS {
            return Ok(Err(GaveUp {
                failed: failures.len().max(retry.len()),
                attempts: attempt,
                code,
                sender_fault,
            }));
        }
        tracing::warn!(
            failed = retry.len(),
            attempt,
            code = %code,
            "SQS did not take some send jobs; sending them again"
        );
        tokio::time::sleep(pause).await;
        pause *= 2;
        pending = retry;
    }
    unreachable!("the last attempt returns")
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn id(s: &str) -> BatchId {
        s.parse().unwrap()
    }

    #[test]
    fn a_thousand_recipients_are_forty_messages_in_four_requests() {
        let seqs: Vec<Seq> = (0..1_000).collect();
        let bodies = job_bodies(&id("20261125-170455-3f9a"), &seqs);
        assert_eq!(bodies.len(), 40);
        let groups = request_groups(&bodies, BATCH_ENTRIES, BATCH_BYTES).unwrap();
        assert_eq!(groups, vec![0..10, 10..20, 20..30, 30..40]);
        let mut again = Vec::new();
        for body in &bodies {
            let job = SendJob::parse(body).unwrap();
            assert!(job.seqs.len() <= JOB_SEQS);
            again.extend(job.seqs);
        }
        assert_eq!(again, seqs);
    }

    #[test]
    fn odd_sizes_make_a_short_last_message_and_request() {
        let batch = id("b");
        for (n, messages, requests) in [
            (1, 1, 1),
            (25, 1, 1),
            (26, 2, 1),
            (250, 10, 1),
            (251, 11, 2),
            (1_001, 41, 5),
        ] {
            let seqs: Vec<Seq> = (0..n).collect();
            let bodies = job_bodies(&batch, &seqs);
            let groups = request_groups(&bodies, BATCH_ENTRIES, BATCH_BYTES).unwrap();
            assert_eq!((bodies.len(), groups.len()), (messages, requests), "{n}");
            assert_eq!(groups.last().unwrap().end, bodies.len());
        }
        assert!(job_bodies(&batch, &[]).is_empty());
        assert!(
            request_groups(&[], BATCH_ENTRIES, BATCH_BYTES)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_widest_job_is_far_below_the_size_limit() {
        let longest = id(&"x".repeat(64));
        let body = job_body(&longest, &[Seq::MAX; JOB_SEQS]);
        assert!(body.len() < 400, "{}", body.len());
        assert!(body.len() * BATCH_ENTRIES < BATCH_BYTES);
    }

    #[test]
    fn requests_are_cut_by_bytes_as_well_as_entries() {
        let bodies: Vec<String> = [40, 40, 30, 50, 10, 10, 10]
            .iter()
            .map(|&n| "x".repeat(n))
            .collect();
        // At most 100 bytes and 3 entries a request.
        let groups = request_groups(&bodies, 3, 100).unwrap();
        assert_eq!(groups, vec![0..2, 2..5, 5..7]);
        for group in &groups {
            let bytes: usize = bodies[group.clone()].iter().map(String::len).sum();
            assert!(bytes <= 100 && group.len() <= 3);
        }
        assert_eq!(request_groups(&["x".repeat(101)], 3, 100), Err(101));
        // Exactly the limit fits.
        assert_eq!(
            request_groups(&["x".repeat(100), "y".into()], 3, 100),
            Ok(vec![0..1, 1..2])
        );
    }

    #[test]
    fn delays_are_whole_seconds_rounded_up_and_capped() {
        for (delay, seconds) in [
            (Duration::ZERO, 0),
            (Duration::from_millis(1), 1),
            (Duration::from_secs(30), 30),
            (Duration::from_millis(30_001), 31),
            (Duration::from_secs(900), 900),
            (Duration::from_secs(901), 900),
            (Duration::MAX, 900),
        ] {
            assert_eq!(delay_seconds(delay), seconds, "{delay:?}");
        }
    }

    #[test]
    fn a_job_reads_back_as_written() {
        let job = SendJob {
            batch: id("20261125-170455-3f9a"),
            seqs: vec![0, 7, 4_000_000_000],
        };
        assert_eq!(
            job.body(),
            r#"{"batch":"20261125-170455-3f9a","seqs":[0,7,4000000000]}"#
        );
        assert_eq!(SendJob::parse(&job.body()), Ok(job));
        let spaced = r#" { "seqs" : [1, 2], "batch" : "b-1", "extra": true } "#;
        assert_eq!(
            SendJob::parse(spaced),
            Ok(SendJob {
                batch: id("b-1"),
                seqs: vec![1, 2]
            })
        );
    }

    #[test]
    fn a_malformed_job_is_refused_without_quoting_it() {
        use JobError::*;
        let secret = "07700900123";
        let not_json = NotJson { line: 0, column: 0 };
        let wrong_shape = WrongShape { line: 0, column: 0 };
        let cases: Vec<(String, JobError)> = vec![
            (format!("{secret}x"), not_json.clone()),
            (r#"{"batch":"b","seqs":[1],"#.into(), not_json.clone()),
            (String::new(), not_json.clone()),
            (
                format!(r#"{{"batch":"b","seqs":[1,"{secret}"]}}"#),
                wrong_shape.clone(),
            ),
            // Too big for a seq: serde's own message would quote it.
            (
                format!(r#"{{"batch":"b","seqs":[1{secret}]}}"#),
                wrong_shape.clone(),
            ),
            (r#"{"seqs":[1]}"#.into(), wrong_shape.clone()),
            (format!(r#"{{"batch":"{secret}"}}"#), wrong_shape.clone()),
            ("[1,2]".into(), wrong_shape.clone()),
            (format!(r#"{{"batch":"{secret} x","seqs":[1]}}"#), BadBatch),
            (
                format!(r#"{{"batch":"{}","seqs":[1]}}"#, "x".repeat(65)),
                BadBatch,
            ),
            (r#"{"batch":"b","seqs":[]}"#.into(), NoSeqs),
            (
                format!(r#"{{"batch":"b","seqs":{:?}}}"#, vec![1; 26]),
                TooManySeqs(26),
            ),
        ];
        for (body, expected) in cases {
            let error = SendJob::parse(&body).unwrap_err();
            // Where it went wrong is a help, not part of the contract.
            assert_eq!(
                std::mem::discriminant(&error),
                std::mem::discriminant(&expected),
                "{body}: {error:?}"
            );
            let text = error.to_string();
            assert!(!text.contains(secret) && !text.contains("xxxx"), "{text}");
        }
    }

    fn failure(index: usize, sender_fault: bool) -> EntryFailure {
        EntryFailure {
            index: Some(index),
            code: if sender_fault {
                "InvalidMessageContents"
            } else {
                "ServiceUnavailable"
            }
            .into(),
            sender_fault,
        }
    }

    #[tokio::test]
    async fn failed_entries_are_sent_again_until_taken() {
        let calls = RefCell::new(Vec::new());
        let result = send_with_retries(5, Duration::ZERO, |pending| {
            calls.borrow_mut().push(pending);
            let fail: Vec<EntryFailure> = match calls.borrow().len() {
                1 => vec![failure(1, false), failure(3, false)],
                2 => vec![failure(3, false)],
                _ => vec![],
            };
            async move { Ok(fail) }
        })
        .await;
        assert_eq!(result.unwrap(), Ok(()));
        assert_eq!(
            calls.into_inner(),
            vec![vec![0, 1, 2, 3, 4], vec![1, 3], vec![3]]
        );
    }

    #[tokio::test]
    async fn entries_that_keep_failing_give_up_after_the_last_attempt() {
        let calls = RefCell::new(0);
        let result = send_with_retries(3, Duration::ZERO, |pending| {
            *calls.borrow_mut() += 1;
            let fail = vec![failure(pending[0], false)];
            async move { Ok(fail) }
        })
        .await;
        assert_eq!(*calls.borrow(), SEND_ATTEMPTS);
        assert_eq!(
            result.unwrap(),
            Err(GaveUp {
                failed: 1,
                attempts: SEND_ATTEMPTS,
                code: "ServiceUnavailable".into(),
                sender_fault: false
            })
        );
    }

    #[tokio::test]
    async fn a_request_that_fails_as_a_whole_is_not_resent_here() {
        let calls = RefCell::new(0);
        let result = send_with_retries(2, Duration::ZERO, |_| {
            *calls.borrow_mut() += 1;
            async { Err(PortError::new(SqsError::Request("timeout".into()))) }
        })
        .await;
        assert_eq!(*calls.borrow(), 1);
        assert_eq!(
            result.unwrap_err().to_string(),
            "SQS SendMessageBatch failed: timeout"
        );
    }

    #[tokio::test]
    async fn a_sender_fault_or_an_unknown_id_is_not_retried() {
        for bad in [
            failure(0, true),
            EntryFailure {
                index: None,
                code: "InternalError".into(),
                sender_fault: false,
            },
        ] {
            let calls = RefCell::new(0);
            let result = send_with_retries(2, Duration::ZERO, |_| {
                *calls.borrow_mut() += 1;
                let fail = vec![bad.clone()];
                async move { Ok(fail) }
            })
            .await;
            assert_eq!(*calls.borrow(), 1);
            let gave_up = result.unwrap().unwrap_err();
            assert_eq!((gave_up.failed, gave_up.attempts), (1, 1));
            assert_eq!(gave_up.sender_fault, bad.sender_fault);
        }
    }
}
