//! What the sweep and `batchmsg run` read does not grow with finished
//! batches: their queries go through partial indexes that hold only batches,
//! texts and waves with work left, never a scan of a whole table.

use batchmsg_core::batch::{Batch, BatchId};
use batchmsg_core::delivery::{BatchEvent, BatchStatus};
use batchmsg_core::ports::BatchRepo;
use chrono::{TimeDelta, TimeZone, Utc};

use crate::Database;
use crate::batches::open_batches_query;
use crate::waves::{AWAITING_UPLOAD, BATCHES_WITH_WORK, UNRELEASED_DUE_BEFORE};

/// The tables that grow with every batch ever sent, and the partial
/// indexes each may be read through.
const GROWING: [(&str, &[&str]); 3] = [
    ("batches", &["batches_open", "batches_awaiting_upload"]),
    ("recipients", &["recipients_sending"]),
    ("waves", &["waves_releasing", "waves_unreleased"]),
];

/// The plan's steps, for `sql` with each parameter bound to NULL.
fn plan(db: &Database, sql: &str) -> Vec<String> {
    let connection = db.connection();
    let mut statement = connection
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap();
    let nulls = std::iter::repeat_n(rusqlite::types::Null, statement.parameter_count());
    statement
        .query_map(rusqlite::params_from_iter(nulls), |row| {
            row.get::<_, String>(3)
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn assert_reads_only_work_left(db: &Database, sql: &str) {
    let plan = plan(db, sql);
    for step in &plan {
        for (table, indexes) in GROWING {
            let reads_table = step.starts_with(&format!("SCAN {table}"))
                || step.starts_with(&format!("SEARCH {table}"));
            // The index's own word: not the primary key's autoindex, whose
            // name holds the table's.
            let through_one = step.split_whitespace().any(|w| indexes.contains(&w));
            assert!(
                !reads_table || through_one,
                "{sql}\nreads {table} other than through {indexes:?}: {plan:#?}"
            );
        }
    }
    assert!(!plan.is_empty());
}

#[test]
fn the_sweep_and_run_read_only_partial_indexes_of_work_left() {
    let folder = tempfile::tempdir().unwrap();
    let db = Database::open(folder.path()).unwrap();
    assert_reads_only_work_left(&db, &open_batches_query());
    assert_reads_only_work_left(&db, BATCHES_WITH_WORK);
    assert_reads_only_work_left(&db, AWAITING_UPLOAD);
    assert_reads_only_work_left(&db, UNRELEASED_DUE_BEFORE);
}

fn batch(n: i64, status: BatchStatus) -> Batch {
    Batch {
        id: format!("20261125-090000-{n:04x}").parse().unwrap(),
        status,
        created_at: Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap() + TimeDelta::minutes(n),
        list_name: "clinic.csv".to_owned(),
        message: "Hello".to_owned(),
        rows: 0,
        accepted: 0,
        not_accepted: 0,
    }
}

async fn open(db: &Database) -> Vec<BatchId> {
    let open = db.open_batches().await.unwrap();
    open.into_iter().map(|b| b.id).collect()
}

#[tokio::test]
async fn a_batch_is_open_while_sending_or_cancelled_until_closed() {
    let folder = tempfile::tempdir().unwrap();
    let db = Database::open(folder.path()).unwrap();
    for (n, status) in [
        (1, BatchStatus::Completed),
        (2, BatchStatus::Scheduled),
        (3, BatchStatus::Sending),
        (4, BatchStatus::Sending),
        (5, BatchStatus::Cancelled),
    ] {
        assert!(db.create_batch(&batch(n, status)).await.unwrap());
    }
    let id = |n: i64| batch(n, BatchStatus::Sending).id;
    assert_eq!(open(&db).await, [id(5), id(4), id(3)], "newest first");

    assert!(
        db.batch_event(&id(2), BatchEvent::StartSending)
            .await
            .unwrap()
    );
    assert!(db.batch_event(&id(3), BatchEvent::Complete).await.unwrap());
    assert!(db.batch_event(&id(4), BatchEvent::Cancel).await.unwrap());
    assert_eq!(open(&db).await, [id(5), id(4), id(2)]);

    assert!(
        !db.close(&id(2)).await.unwrap(),
        "only a cancelled batch closes"
    );
    assert!(db.close(&id(4)).await.unwrap());
    assert!(!db.close(&id(4)).await.unwrap(), "closed already");
    assert!(!db.batch_event(&id(4), BatchEvent::Cancel).await.unwrap());
    assert_eq!(
        open(&db).await,
        [id(5), id(2)],
        "a refused event reopens nothing"
    );
    assert_eq!(
        db.batch(&id(4)).await.unwrap().unwrap().status,
        BatchStatus::Cancelled
    );
}
