//! Issue 12, case 1: a power loss at any moment of a send, followed by
//! recovery and the rest of the send, leaves every patient at most one text
//! in the outbox, and every text recorded `sent` in it.
//!
//! [`crate::power_cut`] says what the data folder's files would hold after a
//! power loss: each is taken as its last syncs left it (all a power loss
//! must keep) and as written (what the OS may also have written back by
//! then), in the mixes that can break the promise.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use batchmsg_core::batch::{BatchId, Recipient, Seq};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::ports::{
    PortResult, PublishError, Published, PublishedLookup, SmsSender, SystemClock,
};
use batchmsg_core::rate::Limiter;
use batchmsg_core::sending::{Pacing, RateUnit, Unbounded, recover_sending, send_texts};
use batchmsg_core::test_support::{batch_id, store_batch};

use crate::outbox::OUTBOX_FILE;
use crate::outbox::Outbox;
use crate::{DATABASE_FILE, Database, power_cut};

const TEXTS: Seq = 12;
const WAL_FILE: &str = "batchmsg.sqlite3-wal";
/// Several groups, so that a cut finds some sent, some claimed, some queued.
const CLAIM_AHEAD: usize = 5;

/// The data folder's files at one moment, as a power loss would leave them.
struct Cut {
    /// What the last sync of each database file kept.
    database_synced: Files,
    /// The database files as they are (a power loss may keep all of it).
    database_written: Files,
    outbox_synced: Vec<u8>,
    outbox_written: Vec<u8>,
}

type Files = Vec<(&'static str, Vec<u8>)>;

/// Takes a [`Cut`] at every change to the data folder.
struct Recorder {
    dir: PathBuf,
    /// Set once the batch is stored and synced.
    armed: AtomicBool,
    cuts: Mutex<Vec<Cut>>,
}

impl Recorder {
    fn cut(&self) {
        let db = self.dir.join(DATABASE_FILE);
        let wal = self.dir.join(WAL_FILE);
        let files = |read: &dyn Fn(&Path) -> Option<Vec<u8>>| -> Files {
            [(DATABASE_FILE, &db), (WAL_FILE, &wal)]
                .into_iter()
                .filter_map(|(name, path)| read(path).map(|bytes| (name, bytes)))
                .collect()
        };
        let outbox_written = std::fs::read(self.dir.join(OUTBOX_FILE)).unwrap_or_default();
        let synced = power_cut::synced_length(&self.dir.join(OUTBOX_FILE)) as usize;
        self.cuts.lock().unwrap().push(Cut {
            database_synced: files(&|p| power_cut::after_power_loss(p)),
            database_written: files(&|p| std::fs::read(p).ok()),
            outbox_synced: outbox_written[..synced.min(outbox_written.len())].to_vec(),
            outbox_written,
        });
    }
}

/// The outbox, with a cut after each text it takes and each sync.
struct Watched<'a> {
    outbox: &'a Outbox,
    recorder: &'a Recorder,
}

impl SmsSender for Watched<'_> {
    async fn publish(&self, batch: &BatchId, r: &Recipient) -> Result<Published, PublishError> {
        let published = self.outbox.publish(batch, r).await;
        self.recorder.cut();
        published
    }

    async fn lookup(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<PublishedLookup> {
        self.outbox.lookup(batch, seqs).await
    }

    async fn make_durable(&self) -> PortResult<()> {
        self.outbox.make_durable().await?;
        self.recorder.cut();
        Ok(())
    }
}

async fn send_all(db: &Database, sender: &(impl SmsSender + Sync), id: &BatchId) {
    let seqs: Vec<Seq> = (0..TEXTS).collect();
    send_texts(
        db,
        db,
        sender,
        &Limiter::per_second(None),
        &SystemClock,
        &Unbounded,
        id,
        &seqs,
        Pacing {
            unit: RateUnit::Texts,
            claim_ahead: CLAIM_AHEAD,
        },
    )
    .await
    .expect("sends");
}

/// A batch of [`TEXTS`] queued texts, every write synced.
async fn queued_batch(dir: &Path) -> (Database, BatchId) {
    let db = Database::open(dir).expect("opens");
    let id = batch_id();
    store_batch(&db, &id, BatchStatus::Sending, TEXTS)
        .await
        .expect("stores the batch");
    // Whatever `synchronous` says, a checkpoint syncs: the cuts start here.
    db.connection()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoints");
    (db, id)
}

/// Every cut of one send.
async fn cuts_of_a_send() -> Vec<Cut> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let recorder = Arc::new(Recorder {
        dir: dir.path().canonicalize().expect("exists"),
        armed: AtomicBool::new(false),
        cuts: Mutex::new(Vec::new()),
    });
    // Before the database opens: a connection keeps the VFS it opened with.
    let hook = recorder.clone();
    power_cut::watch(
        dir.path(),
        Arc::new(move || {
            if hook.armed.load(Ordering::SeqCst) {
                hook.cut();
            }
        }),
    );
    let (db, id) = queued_batch(dir.path()).await;
    let outbox = Outbox::open(dir.path()).expect("opens the outbox");
    recorder.armed.store(true, Ordering::SeqCst);
    send_all(
        &db,
        &Watched {
            outbox: &outbox,
            recorder: &recorder,
        },
        &id,
    )
    .await;
    power_cut::unwatch(dir.path());
    std::mem::take(&mut *recorder.cuts.lock().unwrap())
}

/// After a power loss leaving `database` and `outbox`: recovers, sends the
/// rest, and says what is wrong, if anything.
async fn after_restart(database: &Files, outbox: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, bytes) in database {
        std::fs::write(dir.path().join(name), bytes).expect("writes");
    }
    std::fs::write(dir.path().join(OUTBOX_FILE), outbox).expect("writes");
    let db = Database::open(dir.path()).expect("reopens");
    let outbox = Outbox::open(dir.path()).expect("reopens the outbox");
    let id = batch_id();
    recover_sending(&db, &outbox, &db, &SystemClock, &id)
        .await
        .expect("recovers");
    send_all(&db, &outbox, &id).await;

    let mut lines: HashMap<Seq, usize> = HashMap::new();
    for line in std::fs::read_to_string(outbox.path())
        .expect("reads")
        .lines()
    {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(line) {
            *lines
                .entry(value["seq"].as_u64().expect("a seq") as Seq)
                .or_default() += 1;
        }
    }
    let statuses: Vec<(Seq, String)> = db
        .connection()
        .prepare("SELECT seq, status FROM recipients WHERE batch = ?1 ORDER BY seq")
        .and_then(|mut s| {
            s.query_map([id.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
        .expect("reads the statuses");
    assert_eq!(statuses.len(), TEXTS as usize, "the batch survived");
    let mut wrong = Vec::new();
    for (seq, status) in statuses {
        let texts = lines.get(&seq).copied().unwrap_or(0);
        if texts > 1 {
            wrong.push(format!("{seq} has {texts} texts"));
        }
        if status != "sent" {
            wrong.push(format!("{seq} ended {status}"));
        } else if texts == 0 {
            wrong.push(format!("{seq} is sent, with no text in the outbox"));
        }
    }
    wrong
}

#[tokio::test]
async fn a_power_loss_at_any_moment_of_a_send_never_sends_a_text_twice() {
    let cuts = cuts_of_a_send().await;
    assert!(
        cuts.len() > TEXTS as usize,
        "a cut after every text at least"
    );
    let mut wrong = Vec::new();
    for (n, cut) in cuts.iter().enumerate() {
        for (what, database, outbox) in [
            ("synced", &cut.database_synced, &cut.outbox_synced),
            (
                "synced database, whole outbox",
                &cut.database_synced,
                &cut.outbox_written,
            ),
            (
                "whole database, synced outbox",
                &cut.database_written,
                &cut.outbox_synced,
            ),
        ] {
            for problem in after_restart(database, outbox).await {
                wrong.push(format!("cut {n} ({what}): {problem}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} problems in {} cuts, first: {:#?}",
        wrong.len(),
        cuts.len(),
        &wrong[..wrong.len().min(10)]
    );
}
