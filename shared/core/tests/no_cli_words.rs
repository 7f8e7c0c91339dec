//! Core's errors also reach the Lambda functions' logs, so they name no CLI
//! command: the CLI adds its own hints where it reports them.

use batchmsg_core::batch::BatchId;
use batchmsg_core::sending::SendingError;

#[test]
fn batch_errors_do_not_send_the_reader_to_the_cli() {
    let id: BatchId = "b-1".parse().unwrap();
    let missing = SendingError::NoSuchBatch(id).to_string();
    assert_eq!(missing, "there is no batch b-1");
    let bad = "../etc".parse::<BatchId>().unwrap_err().to_string();
    assert!(bad.contains("is not a batch id"), "{bad}");
    assert!(!bad.contains("batchmsg"), "{bad}");
}
