//! The chaos runs (core's `test_support::chaos`) with SQLite as the store:
//! each seed on a fresh database, under both deployments' rules. More seeds:
//! `bench/chaos.sh`; one seed again: `BATCHMSG_CHAOS_SEED=N`.

use std::sync::atomic::{AtomicU32, Ordering};

use batchmsg_core::test_support::chaos::{Mode, check_seeds, seeds};
use batchmsg_local::Database;

async fn check(mode: Mode, runs: u64) {
    let root = tempfile::tempdir().expect("a temporary folder");
    let made = AtomicU32::new(0);
    let summaries = check_seeds(mode, &seeds(runs), || async {
        let n = made.fetch_add(1, Ordering::Relaxed);
        Database::open(&root.path().join(format!("data-{n}"))).expect("opens a new database")
    })
    .await;
    // The faults did happen: runs that killed a process and still sent.
    if summaries.len() > 1 {
        assert!(
            summaries.iter().any(|s| s.kills > 0),
            "no process was killed"
        );
        assert!(summaries.iter().any(|s| s.texts > 0), "nothing was sent");
    }
}

#[tokio::test]
async fn chaos_on_sqlite_under_local_rules() {
    check(Mode::Local, 60).await;
}

#[tokio::test]
async fn chaos_on_sqlite_under_aws_rules() {
    check(Mode::Aws, 60).await;
}
