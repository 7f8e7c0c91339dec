//! The folder object store: keys stay inside its folder, a tag names one
//! version of an object, and a staged object appears whole, owner-only.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use batchmsg_core::ports::ObjectStore;
use batchmsg_local::FolderStore;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("reads the folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn put(store: &FolderStore, key: &str, bytes: &[u8]) {
    let mut staged = store.stage().expect("stages");
    staged.write_all(bytes).expect("writes");
    store.put(key, staged, "text/plain").await.expect("puts");
}

async fn read(store: &FolderStore, key: &str, tag: Option<&str>) -> Option<Vec<u8>> {
    let mut reader = store.open(key, tag).await.expect("opens")?;
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).expect("reads");
    Some(bytes)
}

#[test]
fn keys_that_could_leave_the_folder_are_refused() {
    let dir = tempfile::tempdir().expect("a folder");
    let store = FolderStore::new(dir.path().join("store"));
    for bad in [
        "",
        "..",
        "../outside",
        "batches/../../outside",
        "/etc/passwd",
        "batches//x",
        "batches/./x",
        "batches/x/",
        "batches\\..\\x",
        "a\0b",
    ] {
        assert!(store.path_of(bad).is_err(), "{bad:?} was taken");
    }
    assert_eq!(
        store
            .path_of("batches/b-1/not-accepted.csv")
            .expect("a key"),
        dir.path().join("store/batches/b-1/not-accepted.csv")
    );
}

#[tokio::test]
async fn a_bad_key_reaches_no_file() {
    let dir = tempfile::tempdir().expect("a folder");
    std::fs::write(dir.path().join("secret"), "outside").expect("writes");
    let store = FolderStore::new(dir.path().join("store"));
    assert!(store.open("../secret", None).await.is_err());
    let staged = store.stage().expect("stages");
    assert!(store.put("../secret", staged, "text/plain").await.is_err());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("secret")).expect("reads"),
        "outside"
    );
    assert!(store.tag("../secret").is_err());
    assert!(store.remove("../secret").is_err());
    assert!(dir.path().join("secret").exists());
}

#[tokio::test]
async fn an_object_is_read_back_and_a_missing_one_is_none() {
    let dir = tempfile::tempdir().expect("a folder");
    let store = FolderStore::new(dir.path());
    assert_eq!(read(&store, "batches/b-1/list", None).await, None);
    assert_eq!(store.tag("batches/b-1/list").expect("looks"), None);
    put(&store, "batches/b-1/list", b"NHS Number,Mobile\n").await;
    assert_eq!(
        read(&store, "batches/b-1/list", None).await.as_deref(),
        Some(&b"NHS Number,Mobile\n"[..])
    );
    store.remove("batches/b-1/list").expect("removes");
    store
        .remove("batches/b-1/list")
        .expect("removing twice is fine");
    assert_eq!(read(&store, "batches/b-1/list", None).await, None);
}

#[tokio::test]
async fn a_tag_reads_that_version_or_nothing() {
    let dir = tempfile::tempdir().expect("a folder");
    let store = FolderStore::new(dir.path());
    put(&store, "uploads/b-1", b"first").await;
    let first = store.tag("uploads/b-1").expect("looks").expect("a tag");
    assert_eq!(
        read(&store, "uploads/b-1", Some(&first)).await.as_deref(),
        Some(&b"first"[..])
    );

    // Replaced with the same length: a new file, another tag.
    put(&store, "uploads/b-1", b"again").await;
    let second = store.tag("uploads/b-1").expect("looks").expect("a tag");
    assert_ne!(first, second);
    assert_eq!(read(&store, "uploads/b-1", Some(&first)).await, None);
    assert_eq!(
        read(&store, "uploads/b-1", Some(&second)).await.as_deref(),
        Some(&b"again"[..])
    );

    // Changed in place, behind the store's back.
    let path = store.path_of("uploads/b-1").expect("a key");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("opens");
    file.write_all(b" and more").expect("appends");
    drop(file);
    assert_eq!(read(&store, "uploads/b-1", Some(&second)).await, None);
    assert_eq!(read(&store, "uploads/b-1", Some("not-a-tag")).await, None);
}

#[tokio::test]
async fn a_reader_keeps_the_version_it_opened() {
    let dir = tempfile::tempdir().expect("a folder");
    let store = FolderStore::new(dir.path());
    put(&store, "uploads/b-1", b"first version").await;
    let tag = store.tag("uploads/b-1").expect("looks").expect("a tag");
    let mut reader = store
        .open("uploads/b-1", Some(&tag))
        .await
        .expect("opens")
        .expect("that version");
    put(&store, "uploads/b-1", b"second version").await;
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).expect("reads");
    assert_eq!(bytes, b"first version");
}

#[tokio::test]
async fn a_staged_object_appears_whole_and_owner_only() {
    let dir = tempfile::tempdir().expect("a folder");
    let store = FolderStore::new(dir.path().join("data"));
    put(&store, "batches/b-1/report.csv", b"old report").await;
    let target = store.path_of("batches/b-1/report.csv").expect("a key");

    let mut staged = store.stage().expect("stages");
    staged.write_all(b"new report, half").expect("writes");
    staged.flush().expect("flushes");
    // Until it is put, the object is the old one.
    assert_eq!(std::fs::read(&target).expect("reads"), b"old report");
    store
        .put("batches/b-1/report.csv", staged, "text/csv")
        .await
        .expect("puts");
    assert_eq!(std::fs::read(&target).expect("reads"), b"new report, half");

    // A staged object never put leaves nothing behind.
    let mut dropped = store.stage().expect("stages");
    dropped.write_all(b"abandoned").expect("writes");
    drop(dropped);
    assert_eq!(files_in(&dir.path().join("data")), ["batches"]);
    assert_eq!(
        files_in(&dir.path().join("data/batches/b-1")),
        ["report.csv"]
    );

    assert_eq!(mode(&target), 0o600);
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(mode(&dir.path().join("data/batches")), 0o700);
    assert_eq!(mode(&dir.path().join("data/batches/b-1")), 0o700);
}
