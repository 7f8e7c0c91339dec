//! The one write-then-rename: a file appears whole or not at all, owner-only.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;

use batchmsg_local::owner_only::create_dir_all;
use batchmsg_local::partial_file::{PartialFile, write_atomically};

#[test]
fn a_failed_write_leaves_the_old_file_and_no_partial() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = dir.path().join("report.csv");
    std::fs::write(&out, "earlier").expect("writes");
    let failed: std::io::Result<()> = write_atomically(&out, |mut file| {
        file.write_all(b"half")?;
        Err(std::io::Error::other("disk full"))
    });
    assert!(failed.is_err());
    assert_eq!(std::fs::read_to_string(&out).expect("reads"), "earlier");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("reads")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["report.csv"]);
}

#[test]
fn a_written_file_is_owner_only_and_complete() {
    let dir = tempfile::tempdir().expect("a folder");
    let folder = dir.path().join("out/nested");
    create_dir_all(&folder).expect("creates");
    let out = folder.join("summary.json");
    write_atomically::<std::io::Error>(&out, |mut file| {
        file.write_all(b"{}")?;
        Ok(file)
    })
    .expect("writes");
    assert_eq!(std::fs::read(&out).expect("reads"), b"{}");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&out), 0o600);
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&dir.path().join("out")), 0o700);
}

#[test]
fn a_partial_file_is_hidden_beside_its_target_until_committed() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = dir.path().join("accepted.csv");
    let mut file = PartialFile::beside(&out).expect("creates");
    file.write_all(b"row\r\n").expect("writes");
    file.flush().expect("flushes");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("reads")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1);
    assert!(
        names[0].starts_with(".accepted.csv.") && names[0].ends_with(".partial"),
        "{names:?}"
    );
    assert!(!out.exists());
    file.commit(&out).expect("commits");
    assert_eq!(std::fs::read(&out).expect("reads"), b"row\r\n");
}
