//! A `send` stopped while it validated its list (kill -9, a power cut)
//! leaves its batch `awaiting-upload` with no process holding it: `run`
//! cancels it and removes its copy of the list, so it is never sendable and
//! `purge` can remove it. One whose validation is still running (its lock
//! held) is left alone. Found by the review of issue 11.

mod common;

use batchmsg_core::batch::{Batch, BatchId};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::ports::BatchRepo;
use batchmsg_local::{Database, SendingLock, UPLOADED_LIST_FILE, batch_folder};
use chrono::Utc;
use common::batchmsg;

fn awaiting(db: &Database, id: &str) -> BatchId {
    let id: BatchId = id.parse().unwrap();
    let batch = Batch {
        id: id.clone(),
        status: BatchStatus::AwaitingUpload,
        created_at: Utc::now(),
        list_name: "clinic.csv".to_owned(),
        message: "Hello".to_owned(),
        rows: 0,
        accepted: 0,
        not_accepted: 0,
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert!(runtime.block_on(db.create_batch(&batch)).unwrap());
    id
}

fn status(db: &Database, id: &BatchId) -> BatchStatus {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(db.batch(id)).unwrap().unwrap().status
}

#[test]
fn run_cancels_a_validation_cut_off_and_leaves_one_still_going() {
    let data = tempfile::tempdir().unwrap();
    let db = Database::open(data.path()).unwrap();
    let cut_off = awaiting(&db, "20261205-090000-0001");
    let going = awaiting(&db, "20261205-090000-0002");
    let copy = batch_folder(data.path(), &cut_off).join(UPLOADED_LIST_FILE);
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::write(&copy, "NHS Number,Mobile\r\n").unwrap();
    let still_validating = SendingLock::try_acquire(data.path(), &going).unwrap();

    let out = batchmsg()
        .args(["run", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "Batch {cut_off}: its list's validation was cut off"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains(going.as_str()), "{stdout}");
    assert_eq!(status(&db, &cut_off), BatchStatus::Cancelled);
    assert_eq!(status(&db, &going), BatchStatus::AwaitingUpload);
    assert!(!copy.exists(), "the copy of the list is removed");
    drop(still_validating);
}
