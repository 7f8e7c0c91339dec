//! Everything batchmsg writes locally can hold patient data, so it is
//! owner-only (folders 0700, files 0600) even under `umask 000`: the data
//! folder and its parents it creates, the database with its -wal and -shm,
//! the outbox, batch folders, and the reports of `validate` and `report`.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::example;

/// `batchmsg args…` under `umask 000`, its output in files under `logs`.
fn under_umask_000(args: &[&str], logs: &Path) -> Child {
    let log = |name: &str| std::fs::File::create(logs.join(name)).expect("a log file");
    Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000; exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_batchmsg"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("BATCHMSG_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(log("stdout"))
        .stderr(log("stderr"))
        .spawn()
        .expect("runs batchmsg")
}

fn finish(mut child: Child, logs: &Path) -> String {
    let status = child.wait().expect("waits");
    let stdout = std::fs::read_to_string(logs.join("stdout")).unwrap();
    let stderr = std::fs::read_to_string(logs.join("stderr")).unwrap();
    assert!(status.success(), "{status:?}\n{stdout}\n{stderr}");
    stdout
}

/// Every folder and file under `root` (and `root`), with its mode.
fn walk(root: &Path) -> Vec<(PathBuf, u32)> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(path) = pending.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue; // removed meanwhile (a -wal at close)
        };
        found.push((path.clone(), meta.permissions().mode() & 0o777));
        if meta.is_dir()
            && let Ok(entries) = std::fs::read_dir(&path)
        {
            pending.extend(entries.map(|e| e.expect("an entry").path()));
        }
    }
    found
}

fn assert_owner_only(found: &[(PathBuf, u32)]) {
    for (path, mode) in found {
        assert_eq!(
            mode & 0o077,
            0,
            "{} is {mode:o}: readable by group or others",
            path.display()
        );
    }
}

fn names(found: &[(PathBuf, u32)]) -> Vec<String> {
    found
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_umask_itself_would_open_them_to_everyone() {
    // Guards the tests below against a vacuous pass: a file made the
    // ordinary way under this umask is world-readable.
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("plain");
    let status = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 000; : > "$0"; mkdir "$0.d""#)
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o666);
    assert_eq!(mode(&file.with_extension("d")), 0o777);
}

#[test]
fn send_writes_the_data_folder_owner_only() {
    let temp = tempfile::tempdir().unwrap();
    let logs = temp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    // Two levels the command creates itself.
    let data = temp.path().join("new").join("data");
    let list = example("patients.csv");
    let message = example("message.txt");
    let child = under_umask_000(
        &[
            "send",
            list.to_str().unwrap(),
            "--template",
            message.to_str().unwrap(),
            "--rate",
            "40",
            "--yes",
            "--data-dir",
            data.to_str().unwrap(),
        ],
        &logs,
    );
    // While it sends, the database's -wal and -shm exist: SQLite gives them
    // the database file's mode.
    let started = Instant::now();
    let mut while_sending = Vec::new();
    while started.elapsed() < Duration::from_secs(60) {
        let found = walk(&data);
        let seen = names(&found);
        if [
            "batchmsg.sqlite3-wal",
            "batchmsg.sqlite3-shm",
            "outbox.jsonl",
        ]
        .iter()
        .all(|n| seen.iter().any(|s| s == n))
        {
            while_sending = found;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !while_sending.is_empty(),
        "the -wal, -shm and outbox never appeared together"
    );
    assert_owner_only(&while_sending);
    let stdout = finish(child, &logs);
    assert!(stdout.contains("(completed)"), "{stdout}");

    let after = walk(&temp.path().join("new"));
    let seen = names(&after);
    for expected in [
        "new",
        "data",
        "batchmsg.sqlite3",
        "outbox.jsonl",
        "batches",
        "not-accepted.csv",
        "sending.lock",
    ] {
        assert!(seen.iter().any(|s| s == expected), "{expected}: {seen:?}");
    }
    assert_owner_only(&after);
    for (path, mode) in &after {
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(*mode, expected, "{}", path.display());
    }

    // The report of the batch, written to a new file.
    let id = stdout
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Batch "))
        .and_then(|l| l.split(':').next())
        .expect("the batch id on the first line")
        .to_owned();
    let report = temp.path().join("report.csv");
    finish(
        under_umask_000(
            &[
                "report",
                &id,
                "--out",
                report.to_str().unwrap(),
                "--data-dir",
                data.to_str().unwrap(),
            ],
            &logs,
        ),
        &logs,
    );
    let found = walk(&report);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, 0o600);
}

#[test]
fn validate_writes_its_reports_owner_only() {
    let temp = tempfile::tempdir().unwrap();
    let logs = temp.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let out = temp.path().join("checked").join("out");
    let list = example("patients.csv");
    finish(
        under_umask_000(
            &[
                "validate",
                list.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            &logs,
        ),
        &logs,
    );
    let found = walk(&temp.path().join("checked"));
    let seen = names(&found);
    for expected in ["accepted.csv", "not-accepted.csv", "summary.json"] {
        assert!(seen.iter().any(|s| s == expected), "{expected}: {seen:?}");
    }
    assert_owner_only(&found);
}
