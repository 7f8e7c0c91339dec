//! The CLI's pointers to its own commands, added where it reports an error.
//! Core's messages stay free of them: they also reach the Lambda functions'
//! logs, where `batchmsg status` means nothing.

use batchmsg_core::batch::BatchId;
use batchmsg_core::sending::SendingError;

/// Where a user finds the batch ids.
const LIST_BATCHES: &str = "batchmsg status lists them";

/// A batch id argument; a bad one says where the ids are listed.
pub fn batch_id(arg: &str) -> Result<BatchId, String> {
    arg.parse()
        .map_err(|error| format!("{error} ({LIST_BATCHES})"))
}

/// `error` as the user reads it: a batch that does not exist says where the
/// ids are listed.
pub fn with_hints(error: anyhow::Error) -> anyhow::Error {
    let no_such_batch = error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<SendingError>(),
            Some(SendingError::NoSuchBatch(_))
        )
    });
    if no_such_batch {
        anyhow::anyhow!("{error:#} ({LIST_BATCHES})")
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_batch_points_to_status_and_other_errors_are_left_alone() {
        let id: BatchId = "b-1".parse().unwrap();
        let missing = anyhow::Error::from(SendingError::NoSuchBatch(id));
        assert_eq!(
            format!("{:#}", with_hints(missing)),
            "there is no batch b-1 (batchmsg status lists them)"
        );
        let other = anyhow::anyhow!("the disk is full");
        assert_eq!(format!("{:#}", with_hints(other)), "the disk is full");
        let bad = batch_id("../etc").unwrap_err();
        assert!(bad.ends_with("(batchmsg status lists them)"), "{bad}");
        assert!(bad.contains("is not a batch id"), "{bad}");
    }
}
