//! Issue 12, case 3: two sends must never share a batch. Ids made in one
//! instant differ, and a send whose id is taken is refused before it reads,
//! writes or removes anything of the batch that holds it.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use batchmsg_core::batch::{Batch, BatchId};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::message::Template;
use batchmsg_core::ports::BatchRepo;
use batchmsg_local::{DATABASE_FILE, OptedOutFile, batch_folder};
use batchmsg_synthetic::nhs_check_digit;
use chrono::{TimeZone, Utc};
use rusqlite::types::ValueRef;

use crate::import::{ListFile, import};
use crate::runner::Local;
use crate::send::new_batch_id;

#[test]
fn ids_made_in_one_instant_all_differ() {
    let instant = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    // 2,000 ids share 16 random bits (the old ids) about 30 times over, and
    // 40 bits about once in 500,000 runs.
    let ids: HashSet<BatchId> = (0..2_000)
        .map(|_| new_batch_id(instant).expect("an id"))
        .collect();
    assert_eq!(ids.len(), 2_000);
    assert!(
        ids.iter()
            .all(|id| id.as_str().starts_with("20261207-090000-"))
    );
}

#[test]
fn a_send_whose_id_belongs_to_a_validated_batch_is_refused_and_changes_nothing() {
    let setup = Setup::new();
    let id: BatchId = "20261207-090000-0001".parse().unwrap();
    setup.import(&id, "first.csv", 2).expect("the first send");
    let before = setup.snapshot(&id);
    assert_eq!(before.recipients.len(), 2);

    let error = setup
        .import(&id, "second.csv", 3)
        .expect_err("a second batch under a taken id");
    assert!(
        error
            .to_string()
            .contains("already in use by another batch"),
        "{error:#}"
    );
    assert_eq!(setup.snapshot(&id), before);
}

#[test]
fn a_send_whose_id_belongs_to_a_batch_awaiting_its_list_is_refused_and_changes_nothing() {
    // As a cut-off validation leaves it, or the API makes it on AWS.
    let setup = Setup::new();
    let id: BatchId = "20261207-090000-0002".parse().unwrap();
    let waiting = Batch {
        id: id.clone(),
        status: BatchStatus::AwaitingUpload,
        created_at: Utc::now(),
        list_name: "other.csv".into(),
        message: "Another clinic's message".into(),
        rows: 0,
        accepted: 0,
        not_accepted: 0,
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert!(
        runtime
            .block_on(setup.local.db.create_batch(&waiting))
            .unwrap()
    );
    let before = setup.snapshot(&id);

    let error = setup
        .import(&id, "second.csv", 3)
        .expect_err("a list validated into another batch");
    assert!(
        error
            .to_string()
            .contains("already in use by another batch"),
        "{error:#}"
    );
    let after = setup.snapshot(&id);
    assert_eq!(after, before);
    assert!(after.recipients.is_empty());
    assert!(after.batch.contains("awaiting-upload"), "{}", after.batch);
}

struct Setup {
    dir: tempfile::TempDir,
    local: std::sync::Arc<Local>,
}

/// Everything stored of one batch: its row, its recipients' rows and the
/// files in its folder, each as text.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    batch: String,
    recipients: Vec<String>,
    files: BTreeMap<String, Vec<u8>>,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let local = Local::open(dir.path().join("data"), None).unwrap();
        Self { dir, local }
    }

    /// `send`'s validation of a list of `patients` under `id`.
    fn import(&self, id: &BatchId, name: &str, patients: usize) -> anyhow::Result<()> {
        let path = self.dir.path().join(name);
        std::fs::write(&path, list(patients)).unwrap();
        let template = Template::parse("Dear ((name)), your appointment is due.").unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime
            .block_on(import(
                &self.local,
                id,
                &template,
                ListFile::open(&path)?,
                &OptedOutFile::read(None)?,
            ))
            .map(drop)
    }

    fn snapshot(&self, id: &BatchId) -> Snapshot {
        let db = rusqlite::Connection::open(self.local.data_dir.join(DATABASE_FILE)).unwrap();
        let rows = |sql: &str| -> Vec<String> {
            let mut statement = db.prepare(sql).unwrap();
            let columns = statement.column_count();
            statement
                .query_map([id.as_str()], |row| {
                    Ok((0..columns)
                        .map(|i| match row.get_ref(i).unwrap() {
                            ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned(),
                            other => format!("{other:?}"),
                        })
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let batch = rows("SELECT * FROM batches WHERE id = ?1").join("\n");
        let recipients = rows("SELECT * FROM recipients WHERE batch = ?1 ORDER BY seq");
        let mut files = BTreeMap::new();
        read_files(&batch_folder(&self.local.data_dir, id), &mut files);
        Snapshot {
            batch,
            recipients,
            files,
        }
    }
}

fn read_files(folder: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_files(&path, files);
        } else {
            files.insert(path.display().to_string(), std::fs::read(&path).unwrap());
        }
    }
}

/// A list of `patients` valid rows (test-range NHS numbers).
fn list(patients: usize) -> String {
    let mut csv = String::from("NHS Number,Mobile Number,Date of Birth,Patient Name\r\n");
    let numbers = (100_000u32..).filter_map(|stem| {
        let first_nine = 999_000_000 + stem;
        let digits: Vec<u8> = first_nine.to_string().bytes().map(|b| b - b'0').collect();
        nhs_check_digit(&digits.try_into().unwrap()).map(|check| format!("{first_nine}{check}"))
    });
    for (i, nhs) in numbers.take(patients).enumerate() {
        csv.push_str(&format!("{nhs},07700 900{i:03},01/02/1980,Pat {i}\r\n"));
    }
    csv
}
