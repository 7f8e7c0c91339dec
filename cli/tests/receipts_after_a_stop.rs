//! Issue 12, found by the adversarial review: a process stopped just after
//! its last texts went (kill -9, a closed terminal) left them `sent` for
//! ever, and `run` said "Nothing to do". The state such a stop leaves is
//! made here exactly: a sent batch whose receipts were never read, and one
//! whose last `finish` never ran. `run` must record the receipts and
//! complete the batch.

mod common;

use std::path::Path;

use batchmsg_local::DATABASE_FILE;
use common::{batchmsg, example};

fn send(data: &Path) -> String {
    let out = batchmsg()
        .args(["send"])
        .arg(example("patients.csv"))
        .args(["--template"])
        .arg(example("message.txt"))
        .args(["--yes", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("Batch "))
        .and_then(|l| l.split_whitespace().next())
        .expect("the batch id")
        .trim_end_matches(':')
        .to_owned()
}

fn counts(data: &Path) -> Vec<(String, u64)> {
    let db = rusqlite::Connection::open(data.join(DATABASE_FILE)).unwrap();
    db.prepare("SELECT status, count(*) FROM recipients GROUP BY status ORDER BY status")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn batch_status(data: &Path, id: &str) -> String {
    let db = rusqlite::Connection::open(data.join(DATABASE_FILE)).unwrap();
    db.query_row("SELECT status FROM batches WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .unwrap()
}

/// What a stop in the last second of a send leaves: every text `sent`, no
/// receipt recorded, the receipt feed's offset before their lines.
fn stop_before_the_receipts(data: &Path, batch_sending: Option<&str>) {
    let db = rusqlite::Connection::open(data.join(DATABASE_FILE)).unwrap();
    db.execute_batch(
        "UPDATE recipients SET status = 'sent', reason = NULL, receipt_at = NULL
             WHERE status IN ('delivered', 'permanent-failure', 'temporary-failure');
         UPDATE receipt_feed SET outbox_offset = 0;",
    )
    .unwrap();
    if let Some(id) = batch_sending {
        db.execute(
            "UPDATE batches SET status = 'sending', open = 1 WHERE id = ?1",
            [id],
        )
        .unwrap();
    }
}

fn run(data: &Path) -> String {
    let out = batchmsg()
        .args(["run", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn run_records_the_receipts_a_stopped_send_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let id = send(&data);
    let finished = counts(&data);
    assert!(finished.iter().all(|(s, _)| s != "sent"), "{finished:?}");

    stop_before_the_receipts(&data, None);
    assert!(counts(&data).iter().any(|(s, _)| s == "sent"));
    let out = run(&data);
    assert!(!out.contains("Nothing to do"), "{out}");
    assert_eq!(counts(&data), finished);
    assert_eq!(batch_status(&data, &id), "completed");
}

#[test]
fn run_completes_a_batch_whose_sender_stopped_before_finishing_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let id = send(&data);
    let finished = counts(&data);

    stop_before_the_receipts(&data, Some(&id));
    run(&data);
    assert_eq!(counts(&data), finished);
    assert_eq!(batch_status(&data, &id), "completed");
}
