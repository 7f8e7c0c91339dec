//! `send_texts` has the provider make a group durable before it records the
//! group `sent`; if it cannot, the texts stay `sending` for recovery.

use super::fake::{Fake, batch_id};
use crate::batch::{BatchId, Recipient, Seq};
use crate::delivery::{BatchStatus, RecipientStatus};
use crate::ports::{PortError, PortResult, PublishError, Published, PublishedLookup, SmsSender};
use crate::sending::{Pacing, RateUnit, SendingError, Unbounded, send_texts};

/// The fake provider, whose record cannot be made durable.
struct CannotSync<'a>(&'a Fake);

impl SmsSender for CannotSync<'_> {
    async fn publish(&self, batch: &BatchId, r: &Recipient) -> Result<Published, PublishError> {
        self.0.publish(batch, r).await
    }

    async fn lookup(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<PublishedLookup> {
        self.0.lookup(batch, seqs).await
    }

    async fn make_durable(&self) -> PortResult<()> {
        Err(PortError::new(std::io::Error::other("disk full")))
    }
}

#[tokio::test]
async fn a_group_not_made_durable_is_left_sending_not_recorded_sent() {
    let fake = Fake::with_batch(BatchStatus::Sending, &[4]);
    let result = send_texts(
        &fake,
        &fake,
        &CannotSync(&fake),
        &fake,
        &fake,
        &Unbounded,
        &batch_id(),
        &[0, 1, 2, 3],
        Pacing {
            unit: RateUnit::Texts,
            claim_ahead: 2,
        },
    )
    .await;
    assert!(matches!(result, Err(SendingError::Port(_))));
    // The first group went to the provider and stays `sending`; the second
    // was never claimed.
    assert_eq!(fake.texts_per_recipient(), [1, 1, 0, 0]);
    assert_eq!(
        fake.statuses(),
        [
            RecipientStatus::Sending,
            RecipientStatus::Sending,
            RecipientStatus::Queued,
            RecipientStatus::Queued
        ]
    );
}
