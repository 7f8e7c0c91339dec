//! `batchmsg purge` through the binary: a finished batch older than the
//! retention period goes with its rows, its folder and its outbox lines, and
//! nothing in the data folder (the database included) still holds its
//! patients' NHS numbers or mobiles; a recent one and an unfinished one stay.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use batchmsg_core::nhs_number::NhsNumber;
use common::batchmsg;

const MESSAGE: &str = "Dear ((name|patient)), your flu vaccination is due.";

struct Patients {
    nhs: Vec<String>,
    mobiles: Vec<String>,
}

impl Patients {
    /// Three patients, numbered from `first`: NHS 999{first..}, mobiles 07700 900{first..}.
    fn new(first: u64) -> Self {
        let nhs = (first..first + 3)
            .map(|i| {
                (0..10)
                    .find_map(|k| NhsNumber::from_first_nine(999_100_000 + i * 10 + k))
                    .expect("a check digit")
                    .to_string()
            })
            .collect();
        let mobiles = (first..first + 3)
            .map(|i| format!("7700900{i:03}"))
            .collect();
        Self { nhs, mobiles }
    }

    fn csv(&self) -> String {
        let mut csv = String::from("NHS Number,Mobile Number,Date of Birth,Name\r\n");
        for (i, (nhs, mobile)) in self.nhs.iter().zip(&self.mobiles).enumerate() {
            csv.push_str(&format!("{nhs},0{mobile},01/02/1980,Zed{i}\r\n"));
        }
        csv
    }

    fn secrets(&self) -> Vec<&str> {
        self.nhs
            .iter()
            .chain(&self.mobiles)
            .map(String::as_str)
            .collect()
    }
}

struct Session {
    temp: tempfile::TempDir,
    data: PathBuf,
}

impl Session {
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let data = temp.path().join("data");
        Self { temp, data }
    }

    fn run(&self, args: &[&str]) -> Output {
        batchmsg()
            .args(args)
            .arg("--data-dir")
            .arg(&self.data)
            .output()
            .expect("runs batchmsg")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "{args:?}\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// Sends `patients` now; the batch id.
    fn send(&self, name: &str, patients: &Patients) -> String {
        let list = self.temp.path().join(name);
        std::fs::write(&list, patients.csv()).unwrap();
        let stdout = self.ok(&[
            "send",
            list.to_str().unwrap(),
            "--message",
            MESSAGE,
            "--yes",
        ]);
        stdout
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("Batch "))
            .and_then(|l| l.split_once(':'))
            .map(|(id, _)| id.to_owned())
            .unwrap_or_else(|| panic!("no batch id: {stdout}"))
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.data.join(batchmsg_local::DATABASE_FILE)).unwrap()
    }

    /// Moves a batch's creation `days` into the past.
    fn age(&self, id: &str, days: i64) {
        let changed = self
            .db()
            .execute(
                "UPDATE batches SET created_at = created_at - ?1 WHERE id = ?2",
                rusqlite::params![days * 86_400_000, id],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }

    fn rows(&self, table: &str, column: &str, id: &str) -> i64 {
        self.db()
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE {column} = ?1"),
                [id],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn folder(&self, id: &str) -> PathBuf {
        self.data.join("batches").join(id)
    }

    /// The secrets among `secrets` that some file in the data folder holds.
    fn found(&self, secrets: &[&str]) -> Vec<String> {
        let mut files = Vec::new();
        walk(&self.data, &mut files);
        let mut found = Vec::new();
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            for secret in secrets {
                if memfind(&bytes, secret.as_bytes()) {
                    found.push(format!("{secret} in {}", file.display()));
                }
            }
        }
        found
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}

fn memfind(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn an_old_finished_batch_goes_with_everything_that_held_its_patients() {
    let session = Session::new();
    let (old, recent, later) = (Patients::new(100), Patients::new(200), Patients::new(300));
    let old_id = session.send("old.csv", &old);
    let recent_id = session.send("recent.csv", &recent);
    let later_id = session.send("later.csv", &later);
    // A batch still sending (as a crashed send leaves it).
    session
        .db()
        .execute(
            "UPDATE batches SET status = 'sending' WHERE id = ?1",
            [&later_id],
        )
        .unwrap();
    session.age(&old_id, 100);
    session.age(&later_id, 100);
    // Not vacuous: before the purge, every patient is on disk.
    assert!(session.found(&old.secrets()).len() >= 6);
    assert!(session.folder(&old_id).join("not-accepted.csv").is_file());
    assert!(session.rows("recipients", "batch", &old_id) == 3);

    let stdout = session.ok(&["purge"]);
    assert!(
        stdout.contains(&format!("Removed batch {old_id} (completed, created ")),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 recipients, 1 wave, 0 queued jobs"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Blanked 3 lines of outbox.jsonl"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "Removed 1 batch; kept 2 (unfinished, still sending, or created within 90 days)."
        ),
        "{stdout}"
    );
    for secret in old.secrets().into_iter().chain(recent.secrets()) {
        assert!(!stdout.contains(secret), "{stdout}");
    }

    assert!(!session.folder(&old_id).exists());
    for (table, column) in [
        ("batches", "id"),
        ("recipients", "batch"),
        ("waves", "batch"),
        ("queue", "batch"),
    ] {
        assert_eq!(session.rows(table, column, &old_id), 0, "{table}");
    }
    assert_eq!(session.found(&old.secrets()), Vec::<String>::new());
    // The others are whole.
    assert!(session.folder(&recent_id).is_dir() && session.folder(&later_id).is_dir());
    assert_eq!(session.rows("recipients", "batch", &recent_id), 3);
    assert_eq!(session.rows("recipients", "batch", &later_id), 3);
    assert!(session.found(&recent.secrets()).len() >= 6);
    assert!(session.ok(&["status", &recent_id]).contains(&recent_id));

    // Asked about one batch, purge says why it is kept.
    let kept = session.ok(&["purge", &later_id]);
    assert!(
        kept.contains(&format!(
            "Kept batch {later_id}: it is sending (not finished)."
        )),
        "{kept}"
    );
    let kept = session.ok(&["purge", &recent_id]);
    assert!(
        kept.contains(&format!(
            "Kept batch {recent_id}: it is younger than the retention period"
        )),
        "{kept}"
    );
    let missing = session.run(&["purge", &old_id]);
    assert!(!missing.status.success());

    // --older-than 0s: every finished batch goes, the unfinished one stays.
    let stdout = session.ok(&["purge", "--older-than", "0s"]);
    assert!(
        stdout.contains(&format!("Removed batch {recent_id}")),
        "{stdout}"
    );
    assert!(stdout.contains("Removed 1 batch; kept 1"), "{stdout}");
    assert_eq!(session.found(&recent.secrets()), Vec::<String>::new());
    assert_eq!(session.rows("recipients", "batch", &later_id), 3);
    assert!(session.folder(&later_id).is_dir());

    // The outbox keeps its length: readers by offset are not disturbed.
    let outbox = std::fs::read(session.data.join("outbox.jsonl")).unwrap();
    let lines: Vec<&[u8]> = outbox.split_inclusive(|&b| b == b'\n').collect();
    assert_eq!(lines.len(), 9);
    let blank = lines
        .iter()
        .filter(|l| l.iter().all(|&b| b == b' ' || b == b'\n'));
    assert_eq!(blank.count(), 6);
}

#[test]
fn a_bad_period_is_refused_and_an_empty_folder_has_nothing_to_purge() {
    let session = Session::new();
    let out = session.run(&["purge", "--older-than", "3 months"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a retention period"));
    let stdout = session.ok(&["purge"]);
    assert!(stdout.starts_with("Nothing to purge"), "{stdout}");
    assert!(!session.data.exists(), "purge creates no data folder");
}
