//! The promise a chaos run is checked against, once its batch is finished.

use std::collections::BTreeMap;

use crate::batch::{RecipientRecord, Seq};
use crate::delivery::{BatchStatus, RecipientStatus};

/// How a run broke the promise.
#[derive(Debug, thiserror::Error)]
pub enum Violation {
    #[error("recipient {seq} got {texts} texts")]
    TextedTwice { seq: Seq, texts: usize },
    #[error("recipient {seq} ended {status} after the batch settled")]
    NotFinal { seq: Seq, status: RecipientStatus },
    #[error("recipient {seq} is {status} with no reason")]
    NoReason { seq: Seq, status: RecipientStatus },
    #[error("recipient {seq} is {status} but the provider has no text for it")]
    SentWithoutText { seq: Seq, status: RecipientStatus },
    #[error("recipient {seq} is cancelled but the provider has its text")]
    CancelledButTexted { seq: Seq },
    #[error(
        "recipient {seq}'s receipt could not be recorded, and its status ({status}) does not \
         say it may have been sent"
    )]
    ReceiptDropped { seq: Seq, status: RecipientStatus },
    #[error("the batch is {0} after everything settled")]
    BatchNotFinished(BatchStatus),
    #[error("{0} recipient(s) are stored, {1} were accepted")]
    Lost(usize, usize),
    #[error("the batch never settled: {0}")]
    NeverSettled(String),
    #[error("a use case failed with no fault injected: {0}")]
    Failed(String),
}

/// Checks every recipient's record against the provider's texts
/// (`texts[seq]`: how many it took for that recipient) and the receipts
/// that could never be recorded (`unrecorded`: their recipients).
pub fn check(
    batch: BatchStatus,
    records: &[RecipientRecord],
    accepted: usize,
    texts: &BTreeMap<Seq, usize>,
    unrecorded: &[Seq],
) -> Result<(), Violation> {
    use RecipientStatus::*;
    if let Some((&seq, &n)) = texts.iter().find(|(_, n)| **n > 1) {
        return Err(Violation::TextedTwice { seq, texts: n });
    }
    if records.len() != accepted {
        return Err(Violation::Lost(records.len(), accepted));
    }
    for record in records {
        let seq = record.recipient.seq;
        let texted = texts.get(&seq).copied().unwrap_or(0) == 1;
        let status = record.status;
        match status {
            // Every text the provider took has had its receipt by now.
            Queued | Sending | Sent => return Err(Violation::NotFinal { seq, status }),
            Delivered | PermanentFailure | TemporaryFailure if !texted => {
                return Err(Violation::SentWithoutText { seq, status });
            }
            Cancelled if texted => return Err(Violation::CancelledButTexted { seq }),
            TechnicalFailure | Cancelled if record.reason.as_deref().is_none_or(str::is_empty) => {
                return Err(Violation::NoReason { seq, status });
            }
            _ => {}
        }
    }
    // A receipt can only be recorded against a text recorded `sent`; one
    // whose sender stopped before recording it has a status that says it
    // may have gone.
    for &seq in unrecorded {
        let status = records
            .iter()
            .find(|r| r.recipient.seq == seq)
            .map_or(Queued, |r| r.status);
        if status != TechnicalFailure {
            return Err(Violation::ReceiptDropped { seq, status });
        }
    }
    if !batch.is_final() {
        return Err(Violation::BatchNotFinished(batch));
    }
    Ok(())
}
