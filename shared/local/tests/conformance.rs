//! The ports' conformance suites against the SQLite adapters: each case on
//! a fresh database in its own folder.
//! The object store is the folder one `batchmsg send` imports through.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::test_support::conformance::{self, ObjectProbe, QueueProbe, SchedulerProbe};
use batchmsg_local::{Database, FolderStore};
use chrono::{TimeDelta, Utc};
use tempfile::TempDir;

/// Fresh databases, each in a new folder under one temporary folder.
struct Databases {
    root: TempDir,
    made: AtomicU32,
}

impl Databases {
    fn new() -> Self {
        Self {
            root: tempfile::tempdir().expect("a temporary folder"),
            made: AtomicU32::new(0),
        }
    }

    fn folder(&self) -> PathBuf {
        let n = self.made.fetch_add(1, Ordering::Relaxed);
        self.root.path().join(format!("data-{n}"))
    }

    async fn fresh(&self) -> Database {
        Database::open(&self.folder()).expect("opens a new database")
    }
}

/// Reads the queue and schedules tables through the adapter's own
/// methods for `batchmsg run`.
struct Tables;

impl QueueProbe<Database> for Tables {
    async fn take_jobs(&self, queue: &Database, batch: &BatchId) -> Vec<Seq> {
        let later = Utc::now() + TimeDelta::days(1);
        let jobs = queue.take_jobs(batch, usize::MAX, later).unwrap();
        queue.acknowledge(&jobs).unwrap();
        jobs.into_iter().map(|j| j.seq).collect()
    }

    async fn take_ready_jobs(&self, queue: &Database, batch: &BatchId) -> Vec<Seq> {
        let jobs = queue.take_jobs(batch, usize::MAX, Utc::now()).unwrap();
        queue.acknowledge(&jobs).unwrap();
        jobs.into_iter().map(|j| j.seq).collect()
    }
}

impl SchedulerProbe<Database> for Tables {
    async fn scheduled(&self, scheduler: &Database, batch: &BatchId) -> Vec<u32> {
        let later = Utc::now() + TimeDelta::days(365);
        let mut waves: Vec<u32> = scheduler
            .due_waves(batch, later)
            .unwrap()
            .into_iter()
            .map(|d| d.wave)
            .collect();
        waves.sort_unstable();
        waves
    }
}

#[tokio::test]
async fn the_sqlite_batch_repo_conforms() {
    let dbs = Databases::new();
    conformance::batch_repo(|| dbs.fresh()).await;
}

#[tokio::test]
async fn the_sqlite_recipient_repo_conforms() {
    let dbs = Databases::new();
    conformance::recipient_repo(|| dbs.fresh()).await;
}

#[tokio::test]
async fn the_sqlite_wave_repo_conforms() {
    let dbs = Databases::new();
    conformance::wave_repo(|| dbs.fresh()).await;
}

#[tokio::test]
async fn the_sqlite_send_queue_conforms() {
    let dbs = Databases::new();
    conformance::send_queue(|| dbs.fresh(), &Tables).await;
}

#[tokio::test]
async fn the_sqlite_wave_scheduler_conforms() {
    let dbs = Databases::new();
    conformance::wave_scheduler(|| dbs.fresh(), &Tables).await;
}

#[tokio::test]
async fn the_sqlite_template_store_conforms() {
    let dbs = Databases::new();
    conformance::template_store(|| dbs.fresh()).await;
}

/// The folder store's tag through its own method; a folder keeps no
/// content types.
struct Files;

impl ObjectProbe<FolderStore> for Files {
    async fn tag(&self, store: &FolderStore, key: &str) -> Option<String> {
        store.tag(key).unwrap()
    }

    async fn content_type(&self, _: &FolderStore, _: &str) -> Option<String> {
        None
    }

    fn keeps_content_types(&self) -> bool {
        false
    }
}

#[tokio::test]
async fn the_folder_object_store_conforms() {
    let dbs = Databases::new();
    conformance::object_store(|| async { FolderStore::new(dbs.folder()) }, &Files).await;
}
