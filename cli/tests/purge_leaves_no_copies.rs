//! After `purge`, no copy of a purged patient's row is left anywhere in the
//! data folder: not in the database's free space, where SQLite leaves the
//! earlier versions of rows it updated while sending (queued, sending, sent)
//! unless told to overwrite them. Found by the review of issue 11: two sent
//! batches, then `purge --older-than 0s`, left whole rows (NHS number,
//! mobile, "Dear <name>") in `batchmsg.sqlite3`.

mod common;

use std::path::Path;

use common::batchmsg;

fn run(args: &[&str], data: &Path) {
    let out = batchmsg()
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Offsets of anything shaped like a stored recipient: ten digits then a
/// `+44` mobile, as a SQLite record lays out `nhs_number, mobile`.
fn stored_rows(bytes: &[u8]) -> Vec<usize> {
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    (0..bytes.len().saturating_sub(23))
        .filter(|&i| {
            digits(&bytes[i..i + 10])
                && &bytes[i + 10..i + 13] == b"+44"
                && digits(&bytes[i + 13..i + 23])
        })
        .collect()
}

#[test]
fn purged_patients_leave_no_row_in_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let shapes = dir.path().join("shapes.csv");
    let plain = dir.path().join("plain.csv");
    let generate = |rows: &str, extra: &[&str], out: &Path| {
        let status = batchmsg()
            .args(["generate", rows, "--seed", "11"])
            .args(extra)
            .arg("--out")
            .arg(out)
            .status()
            .unwrap();
        assert!(status.success());
    };
    generate("300", &["--practice-shapes"], &shapes);
    generate("2000", &[], &plain);
    for list in [&shapes, &plain] {
        let list = list.to_str().unwrap();
        run(
            &["send", list, "--message", "Dear ((name)) hi", "--yes"],
            &data,
        );
    }
    assert!(!stored_rows(&std::fs::read(data.join("batchmsg.sqlite3")).unwrap()).is_empty());

    run(&["purge", "--older-than", "0s"], &data);

    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let left = stored_rows(&std::fs::read(&path).unwrap());
            assert!(
                left.is_empty(),
                "{} holds {} rows",
                path.display(),
                left.len()
            );
        }
    }
}
