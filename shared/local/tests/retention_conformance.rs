//! The `Retention` conformance suite against SQLite: each case on a fresh
//! database in its own folder.

use std::sync::atomic::{AtomicU32, Ordering};

use batchmsg_core::test_support::conformance;
use batchmsg_local::Database;

#[tokio::test]
async fn the_sqlite_retention_conforms() {
    let root = tempfile::tempdir().expect("a temporary folder");
    let made = AtomicU32::new(0);
    conformance::retention(|| async {
        let n = made.fetch_add(1, Ordering::Relaxed);
        Database::open(&root.path().join(format!("data-{n}"))).expect("opens a new database")
    })
    .await;
}
