//! Issue 12, case 3: two `batchmsg send`s started together, in the same
//! second, on one data folder, make two batches, each with its own list's
//! patients only. The real binary, two processes.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use batchmsg_local::DATABASE_FILE;
use batchmsg_synthetic::nhs_check_digit;
use common::batchmsg;

#[test]
fn two_sends_started_in_the_same_second_make_two_batches() {
    // The two starts are lined up just after a second begins so that both
    // ids carry the same second; on a machine so slow that they still do
    // not, the pair is tried again.
    let mut same_second = false;
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = dir.path().join("first.csv");
        let second = dir.path().join("second.csv");
        std::fs::write(&first, list(0, 3)).unwrap();
        std::fs::write(&second, list(100, 5)).unwrap();

        wait_for_the_next_second();
        let children = [spawn(&first, &data), spawn(&second, &data)];
        let ids: Vec<String> = children.into_iter().map(finish).collect();
        assert_ne!(ids[0], ids[1]);

        let db = rusqlite::Connection::open(data.join(DATABASE_FILE)).unwrap();
        let batches: BTreeMap<String, (String, u64, String)> = db
            .prepare("SELECT id, list_name, accepted, status FROM batches")
            .unwrap()
            .query_map([], |row| {
                Ok((row.get(0)?, (row.get(1)?, row.get(2)?, row.get(3)?)))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(batches.len(), 2, "{batches:?}");
        assert_eq!(batches[&ids[0]].0, "first.csv");
        assert_eq!(batches[&ids[0]].1, 3);
        assert_eq!(batches[&ids[1]].0, "second.csv");
        assert_eq!(batches[&ids[1]].1, 5);
        let stored: BTreeMap<String, u64> = db
            .prepare("SELECT batch, count(*) FROM recipients GROUP BY batch")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(stored[&ids[0]], 3);
        assert_eq!(stored[&ids[1]], 5);

        // `YYYYMMDD-HHMMSS-`: the time part.
        if ids[0][..16] == ids[1][..16] {
            same_second = true;
            break;
        }
    }
    assert!(
        same_second,
        "the two sends never started in the same second"
    );
}

fn wait_for_the_next_second() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let into = Duration::from_nanos(now.subsec_nanos().into());
    std::thread::sleep(Duration::from_secs(1) - into + Duration::from_millis(20));
}

fn spawn(list: &Path, data: &Path) -> Child {
    batchmsg()
        .arg("send")
        .arg(list)
        .args([
            "--message",
            "Dear ((name)), your appointment is due.",
            "--yes",
        ])
        .arg("--data-dir")
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts batchmsg")
}

/// Waits for a send and returns its batch id, from the plan's first line
/// (`Batch ID: …`).
fn finish(child: Child) -> String {
    let output = child.wait_with_output().expect("batchmsg finishes");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("Batch ")?.split_once(':'))
        .map(|(id, _)| id.to_owned())
        .unwrap_or_else(|| panic!("no batch id in {stdout}"))
}

/// `patients` valid rows (test-range NHS numbers), from the `skip`th.
fn list(skip: usize, patients: usize) -> String {
    let mut csv = String::from("NHS Number,Mobile Number,Date of Birth,Patient Name\r\n");
    let numbers = (100_000u32..).filter_map(|stem| {
        let first_nine = 999_000_000 + stem;
        let digits: Vec<u8> = first_nine.to_string().bytes().map(|b| b - b'0').collect();
        nhs_check_digit(&digits.try_into().unwrap()).map(|check| format!("{first_nine}{check}"))
    });
    for (i, nhs) in numbers.skip(skip).take(patients).enumerate() {
        let mobile = skip + i;
        csv.push_str(&format!(
            "{nhs},07700 900{mobile:03},01/02/1980,Pat {i}\r\n"
        ));
    }
    csv
}
