//! `send` imports its list on the use case AWS runs for an upload: the batch
//! is claimed from `awaiting-upload` with the list's tag, stored with its
//! counts, and its reports land owner-only in its folder. A list that stops
//! the run leaves no batch that could be sent.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use batchmsg_local::DATABASE_FILE;
use common::batchmsg;

const MESSAGE: &str = "Hello ((forename)), see you soon";

struct Session {
    _temp: tempfile::TempDir,
    dir: PathBuf,
    data: PathBuf,
}

impl Session {
    fn new() -> Self {
        let temp = tempfile::tempdir().expect("a temporary folder");
        let dir = temp.path().to_owned();
        let data = dir.join("data");
        Self {
            _temp: temp,
            dir,
            data,
        }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).expect("writes");
        path
    }

    fn run(&self, args: &[&str]) -> (Output, String, String) {
        let output = batchmsg()
            .args(args)
            .arg("--data-dir")
            .arg(&self.data)
            .output()
            .expect("runs batchmsg");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output, stdout, stderr)
    }

    /// Every batch row: id, status, rows, accepted, not accepted, upload tag.
    fn batches(&self) -> Vec<(String, String, i64, i64, i64, Option<String>)> {
        let path = self.data.join(DATABASE_FILE);
        if !path.exists() {
            return Vec::new();
        }
        let db = rusqlite::Connection::open(path).expect("opens the database");
        let mut statement = db
            .prepare(
                "SELECT id, status, rows, accepted, not_accepted, upload_tag FROM batches \
                 ORDER BY id",
            )
            .expect("prepares");
        statement
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .expect("queries")
            .collect::<Result<_, _>>()
            .expect("reads")
    }

    fn recipients(&self) -> i64 {
        let db = rusqlite::Connection::open(self.data.join(DATABASE_FILE)).expect("opens");
        db.query_row("SELECT count(*) FROM recipients", [], |r| r.get(0))
            .expect("counts")
    }

    fn outbox_lines(&self) -> usize {
        std::fs::read_to_string(self.data.join("outbox.jsonl"))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    }

    fn batch_folders(&self) -> Vec<String> {
        names_in(&self.data.join("batches"))
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

const LIST: &str = "NHS Number,Mobile,Date of Birth,Forename\n\
                    943 476 5919,07700 900001,01/02/1980,Ann\n\
                    9434765870,07700 900002,01/02/1980,Bo\n\
                    9434765918,07700 900003,01/02/1980,Cy\n";

#[test]
fn a_sent_list_is_claimed_with_its_tag_and_stored_with_its_counts() {
    let session = Session::new();
    let list = session.write("list.csv", LIST);
    let (output, stdout, stderr) = session.run(&[
        "send",
        list.to_str().expect("UTF-8"),
        "--message",
        MESSAGE,
        "--yes",
    ]);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(": 3 rows, 2 accepted, 1 not accepted"),
        "{stdout}"
    );

    let batches = session.batches();
    assert_eq!(batches.len(), 1, "{batches:?}");
    let (id, status, rows, accepted, not_accepted, tag) = &batches[0];
    assert_eq!(status, "completed");
    assert_eq!((*rows, *accepted, *not_accepted), (3, 2, 1));
    // Claimed from awaiting-upload with the list's tag, as an S3 upload is.
    assert!(tag.as_deref().is_some_and(|t| !t.is_empty()), "{tag:?}");
    assert_eq!(session.outbox_lines(), 2);

    // The reports where README says, owner-only; the list's own copy gone.
    let folder = session.data.join("batches").join(id);
    let names = names_in(&folder);
    for name in ["not-accepted.csv", "summary.json"] {
        assert!(names.iter().any(|n| n == name), "{names:?}");
        assert_eq!(mode(&folder.join(name)), 0o600, "{name}");
    }
    assert!(
        !names
            .iter()
            .any(|n| n == "uploaded-list" || n == "problem.txt" || n.ends_with(".partial")),
        "{names:?}"
    );
    assert_eq!(mode(&folder), 0o700);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("summary.json")).expect("a summary"))
            .expect("JSON");
    assert_eq!(summary["rows"], 3);
    assert_eq!(summary["accepted"], 2);
    let not_accepted =
        std::fs::read_to_string(folder.join("not-accepted.csv")).expect("a not-accepted list");
    assert!(not_accepted.starts_with("\u{feff}row,"), "{not_accepted}");
    assert!(not_accepted.contains("9434765918"), "{not_accepted}");
}

#[test]
fn a_list_from_a_pipe_is_read_twice_alike() {
    // A decline on a later row makes validation read the list twice; from a
    // pipe that only works on a copy.
    let session = Session::new();
    let list = "NHS Number,Mobile,Date of Birth,Forename,SMS Consent\n\
                943 476 5919,07700 900001,01/02/1980,Ann,Yes\n\
                9434765870,07700 900002,01/02/1980,Bo,Yes\n\
                9434765918,07700 900003,01/02/1980,Cy,Yes\n\
                943-476-5919,07700 900001,01/02/1980,Ann,Declined\n";
    let output = batchmsg()
        .args([
            "send",
            "/dev/stdin",
            "--message",
            MESSAGE,
            "--yes",
            "--data-dir",
        ])
        .arg(&session.data)
        .stdin(std::fs::File::open(session.write("piped.csv", list)).expect("opens"))
        .output()
        .expect("runs batchmsg");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let batches = session.batches();
    assert_eq!(batches.len(), 1);
    assert_eq!((batches[0].2, batches[0].3), (4, 1), "{batches:?}");
    assert_eq!(session.outbox_lines(), 1);
}

#[test]
fn a_list_that_cannot_be_read_leaves_no_batch() {
    let session = Session::new();
    let list = session.write(
        "no-mobile.csv",
        "NHS Number,Date of Birth,Forename\n9434765919,01/02/1980,Ann\n",
    );
    let list = list.to_str().expect("UTF-8");
    let validate_out = session.dir.join("out");
    let validate = batchmsg()
        .args(["validate", list, "--message", MESSAGE, "--out"])
        .arg(&validate_out)
        .output()
        .expect("runs validate");
    assert!(!validate.status.success());
    let (output, stdout, stderr) = session.run(&["send", list, "--message", MESSAGE, "--yes"]);
    assert!(!output.status.success(), "{stdout}");
    // The same words as validate gives for the same list.
    assert_eq!(stderr, String::from_utf8_lossy(&validate.stderr));
    assert_eq!(stdout, "");
    assert_eq!(session.batches(), Vec::new());
    assert_eq!(session.batch_folders(), Vec::<String>::new());
    let (status, status_out, _) = session.run(&["status"]);
    assert!(status.status.success());
    assert!(!status_out.contains("awaiting"), "{status_out}");
}

#[test]
fn a_list_stopped_after_rows_were_stored_is_cancelled_as_on_aws() {
    let session = Session::new();
    // No consent column, so validation reads the list once, storing rows
    // as it goes; a quote never closed shows only after the first chunk.
    let mut text = String::from("NHS Number,Mobile,Date of Birth,Forename\n");
    let mut written = 0;
    for base in 100_000_000u64.. {
        if written == 7_000 {
            break;
        }
        let Some(nhs) = nhs_number(base) else {
            continue;
        };
        text.push_str(&format!(
            "{nhs},07700 9{:05},01/02/1980,Ann\n",
            written % 900
        ));
        written += 1;
    }
    text.push_str("\"9434765919,07700 900001,01/02/1980,Ann\n");
    let list = session.write("big.csv", &text);

    let (output, stdout, stderr) = session.run(&[
        "send",
        list.to_str().expect("UTF-8"),
        "--message",
        MESSAGE,
        "--yes",
    ]);
    assert!(!output.status.success(), "{stdout}");
    assert!(stderr.contains("This batch is cancelled"), "{stderr}");
    assert_eq!(session.outbox_lines(), 0);
    let batches = session.batches();
    assert_eq!(batches.len(), 1, "{batches:?}");
    assert_eq!(batches[0].1, "cancelled");
    assert!(session.recipients() > 0);
    let folder = session.data.join("batches").join(&batches[0].0);
    let names = names_in(&folder);
    assert!(names.iter().any(|n| n == "problem.txt"), "{names:?}");
    assert!(!names.iter().any(|n| n == "uploaded-list"), "{names:?}");
    let (_, status_out, _) = session.run(&["status"]);
    assert!(status_out.contains("cancelled"), "{status_out}");
    let (run, run_out, _) = session.run(&["run"]);
    assert!(run.status.success());
    assert!(run_out.starts_with("Nothing to do"), "{run_out}");
    assert_eq!(session.outbox_lines(), 0);
}

/// A valid NHS number from nine digits, if they have a check digit.
fn nhs_number(base: u64) -> Option<String> {
    let digits: Vec<u64> = format!("{base:09}")
        .bytes()
        .map(|b| u64::from(b - b'0'))
        .collect();
    let sum: u64 = digits.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
    let check = (11 - sum % 11) % 11;
    (check != 10).then(|| format!("{base:09}{check}"))
}
