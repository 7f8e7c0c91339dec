use super::SendingError;
use crate::ports::{Receipt, ReceiptApplied, RecipientRepo};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiptsRecorded {
    pub applied: u64,
    /// Repeats, and receipts for texts already final.
    pub ignored: u64,
    /// For texts not yet recorded as sent (the receipt overtook the sender):
    /// hand them in again shortly.
    pub early: Vec<Receipt>,
}

/// Records delivery receipts. Each applies only where the text's state
/// allows it, so a repeated or late receipt changes nothing.
pub async fn record_receipts(
    recipients: &(impl RecipientRepo + Sync),
    receipts: &[Receipt],
) -> Result<ReceiptsRecorded, SendingError> {
    let mut recorded = ReceiptsRecorded::default();
    let applied = recipients.record_receipts(receipts).await?;
    for (receipt, applied) in receipts.iter().zip(applied) {
        match applied {
            ReceiptApplied::Applied => recorded.applied += 1,
            ReceiptApplied::Ignored => recorded.ignored += 1,
            ReceiptApplied::NotYetKnown => recorded.early.push(receipt.clone()),
        }
    }
    Ok(recorded)
}
