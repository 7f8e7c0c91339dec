//! Two processes opening a new data folder at the same moment (two `send`s
//! started together) both get the database, schema made once. Found by the
//! review of issue 11: one failed with "table templates already exists" or
//! "database is locked".

use batchmsg_local::Database;

#[test]
fn two_opens_of_a_new_folder_at_once_both_succeed() {
    let root = tempfile::tempdir().unwrap();
    for attempt in 0..30 {
        let folder = root.path().join(format!("data-{attempt}"));
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            let opens: Vec<_> = (0..2)
                .map(|_| {
                    scope.spawn(|| {
                        barrier.wait();
                        Database::open(&folder).map(drop)
                    })
                })
                .collect();
            for open in opens {
                let opened = open.join().unwrap();
                assert!(opened.is_ok(), "attempt {attempt}: {opened:?}");
            }
        });
    }
}

#[cfg(unix)]
#[test]
fn a_folder_an_earlier_version_left_open_to_others_is_closed() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("data");
    std::fs::create_dir(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let outbox = folder.join("outbox.jsonl");
    std::fs::write(&outbox, "").unwrap();
    std::fs::set_permissions(&outbox, std::fs::Permissions::from_mode(0o644)).unwrap();

    drop(Database::open(&folder).unwrap());
    drop(batchmsg_local::outbox::Outbox::open(&folder).unwrap());

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&outbox), 0o600);
}
