//! A claim whose answer is lost (issue 12, case 10), against moto through
//! the real SDK client: the single-recipient claim is one conditional
//! UpdateItem, and when its response does not arrive the SDK sends it again,
//! to find its own write. The claim must know that write for its own (and
//! return the recipient, which it may send), and must not take another
//! sender's claim for its own.
//!
//! The lost response is made by an interceptor on the client: the first
//! UpdateItem reaches moto and is applied, and its answer is turned into an
//! HTTP 500, which the SDK's standard retry sends again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use batchmsg_aws::dynamo::DynamoRepos;
use batchmsg_core::delivery::RecipientStatus;
use batchmsg_core::ports::RecipientRepo;
use batchmsg_moto::{Moto, TABLE, ten_in_three_waves};
use chrono::Utc;

/// Turns the answer of the first `UpdateItem` into a 500: the write
/// happened, the caller never hears of it.
#[derive(Clone, Debug, Default)]
struct LoseFirstUpdate {
    updates: Arc<AtomicU32>,
    /// Whether the request in flight is an UpdateItem.
    update: Arc<AtomicBool>,
}

impl Intercept for LoseFirstUpdate {
    fn name(&self) -> &'static str {
        "LoseFirstUpdate"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context.request().headers().get("x-amz-target");
        self.update.store(
            target.is_some_and(|t| t.ends_with(".UpdateItem")),
            Ordering::SeqCst,
        );
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.update.load(Ordering::SeqCst) && self.updates.fetch_add(1, Ordering::SeqCst) == 0 {
            *context.response_mut().status_mut() = 500.try_into().expect("a status");
        }
        Ok(())
    }
}

/// The table with a batch of ten queued recipients; the repositories as
/// the stack has them, and a second set on a client that loses the first
/// UpdateItem's answer.
async fn setup() -> (Moto, DynamoRepos, DynamoRepos, LoseFirstUpdate) {
    let moto = Moto::connect().await;
    let repos = moto.stack().await.repos;
    ten_in_three_waves(&repos).await;
    let lose = LoseFirstUpdate::default();
    let lossy = DynamoRepos::new(
        Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&moto.sdk)
                .interceptor(lose.clone())
                .build(),
        ),
        TABLE,
    );
    (moto, repos, lossy, lose)
}

#[tokio::test]
async fn a_claim_whose_answer_was_lost_is_known_for_its_own() {
    let (_moto, repos, lossy, lose) = setup().await;
    let batch = batchmsg_moto::BATCH.parse().unwrap();
    let claimed = lossy.claim(&batch, &[3], Utc::now()).await.unwrap();
    assert_eq!(
        lose.updates.load(Ordering::SeqCst),
        2,
        "the answer was lost and the SDK sent the claim again"
    );
    let seqs: Vec<_> = claimed.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [3], "the retry found our own claim");
    assert_eq!(claimed[0], batchmsg_moto::recipient(3), "read back whole");
    // Another sender (another call) cannot claim it now.
    assert!(
        repos
            .claim(&batch, &[3], Utc::now())
            .await
            .unwrap()
            .is_empty()
    );
    let records = repos.records(&batch).await.unwrap();
    assert_eq!(records[3].status, RecipientStatus::Sending);
}

#[tokio::test]
async fn another_senders_claim_is_not_taken_for_ours() {
    let (_moto, repos, lossy, lose) = setup().await;
    let batch = batchmsg_moto::BATCH.parse().unwrap();
    // Another sender claims it first.
    let theirs = repos.claim(&batch, &[4], Utc::now()).await.unwrap();
    assert_eq!(theirs.len(), 1);
    // Ours fails its condition; that answer is lost too, and the retry
    // finds the item `sending` under the other claim.
    let ours = lossy.claim(&batch, &[4], Utc::now()).await.unwrap();
    assert_eq!(lose.updates.load(Ordering::SeqCst), 2);
    assert!(ours.is_empty(), "{ours:?}");
    // The same call claiming it twice is still only one claim.
    let twice = repos.claim(&batch, &[5, 5], Utc::now()).await.unwrap();
    assert_eq!(twice.len(), 1);
}
