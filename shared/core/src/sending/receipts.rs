use super::SendingError;
use crate::ports::{Receipt, RecipientRepo};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiptsRecorded {
    pub applied: u64,
    /// For a text we do not know, a repeat, or one already final.
    pub ignored: u64,
}

/// Records delivery receipts. Each applies only where the text's state
/// allows it, so a repeated or late receipt changes nothing.
pub async fn record_receipts(
    recipients: &(impl RecipientRepo + Sync),
    receipts: &[Receipt],
) -> Result<ReceiptsRecorded, SendingError> {
    let mut recorded = ReceiptsRecorded::default();
    for receipt in receipts {
        if recipients.record_receipt(receipt).await? {
            recorded.applied += 1;
        } else {
            recorded.ignored += 1;
        }
    }
    Ok(recorded)
}
