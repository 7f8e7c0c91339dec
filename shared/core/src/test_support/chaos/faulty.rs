//! The stores as one sending process sees them, with the faults a process
//! meets: it can die at any call (every call after that fails, and nothing
//! more reaches the store), and a write can happen while its answer is lost
//! (the caller sees an error).

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rand::RngExt;
use rand::rngs::StdRng;

use crate::batch::{Batch, BatchId, Recipient, RecipientRecord, Seq, StatusCounts, Wave};
use crate::delivery::{BatchEvent, WaveEvent};
use crate::ports::{
    BatchRepo, ListCounts, PortError, PortResult, Published, Receipt, ReceiptApplied,
    RecipientRepo, UploadClaim, WaveRepo,
};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    #[error("the process died before calling {0}")]
    Dead(&'static str),
    #[error("{0} happened and its answer was lost")]
    AnswerLost(&'static str),
}

struct Script {
    rng: StdRng,
    /// Calls left before the process dies; `None`: it lives.
    calls_to_live: Option<u32>,
    dead: bool,
    /// The chance that a write's answer is lost.
    lose_answer: f64,
}

/// One process's view of the stores `S`.
pub struct Faulty<'a, S> {
    store: &'a S,
    script: Mutex<Script>,
}

impl<'a, S> Faulty<'a, S> {
    pub fn new(store: &'a S, rng: StdRng, calls_to_live: Option<u32>, lose_answer: f64) -> Self {
        Self {
            store,
            script: Mutex::new(Script {
                rng,
                calls_to_live,
                dead: false,
                lose_answer,
            }),
        }
    }

    pub fn died(&self) -> bool {
        self.script.lock().unwrap().dead
    }

    /// Before each call: whether the process is still alive to make it.
    fn alive(&self, op: &'static str) -> PortResult<()> {
        let mut script = self.script.lock().unwrap();
        if script.dead {
            return Err(PortError::new(Fault::Dead(op)));
        }
        match &mut script.calls_to_live {
            Some(0) => {
                script.dead = true;
                return Err(PortError::new(Fault::Dead(op)));
            }
            Some(left) => *left -= 1,
            None => {}
        }
        Ok(())
    }

    /// After a write: whether its answer arrives.
    fn answer<T>(&self, op: &'static str, result: PortResult<T>) -> PortResult<T> {
        let mut script = self.script.lock().unwrap();
        let p = script.lose_answer;
        if result.is_ok() && p > 0.0 && script.rng.random_bool(p) {
            return Err(PortError::new(Fault::AnswerLost(op)));
        }
        result
    }

    async fn read<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = PortResult<T>>,
    ) -> PortResult<T> {
        self.alive(op)?;
        call.await
    }

    async fn write<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = PortResult<T>>,
    ) -> PortResult<T> {
        self.alive(op)?;
        let result = call.await;
        self.answer(op, result)
    }
}

impl<S: BatchRepo + Sync> BatchRepo for Faulty<'_, S> {
    async fn create_batch(&self, batch: &Batch) -> PortResult<bool> {
        self.write("create_batch", self.store.create_batch(batch))
            .await
    }
    async fn batch(&self, id: &BatchId) -> PortResult<Option<Batch>> {
        self.read("batch", self.store.batch(id)).await
    }
    async fn batches(&self) -> PortResult<Vec<Batch>> {
        self.read("batches", self.store.batches()).await
    }
    async fn open_batches(&self) -> PortResult<Vec<Batch>> {
        self.read("open_batches", self.store.open_batches()).await
    }
    async fn close(&self, id: &BatchId) -> PortResult<bool> {
        self.write("close", self.store.close(id)).await
    }
    async fn batch_event(&self, id: &BatchId, event: BatchEvent) -> PortResult<bool> {
        self.write("batch_event", self.store.batch_event(id, event))
            .await
    }
    async fn claim_upload(&self, id: &BatchId, tag: &str) -> PortResult<UploadClaim> {
        self.write("claim_upload", self.store.claim_upload(id, tag))
            .await
    }
    async fn mark_validated(&self, id: &BatchId, counts: ListCounts) -> PortResult<bool> {
        self.write("mark_validated", self.store.mark_validated(id, counts))
            .await
    }
}

impl<S: RecipientRepo + Sync> RecipientRepo for Faulty<'_, S> {
    async fn insert_recipients(&self, batch: &BatchId, recipients: &[Recipient]) -> PortResult<()> {
        self.write(
            "insert_recipients",
            self.store.insert_recipients(batch, recipients),
        )
        .await
    }
    // The same fault point as `insert_recipients`: a plan need not know
    // which of the two an import took.
    async fn insert_new_recipients(
        &self,
        batch: &BatchId,
        recipients: &[Recipient],
    ) -> PortResult<()> {
        self.write(
            "insert_recipients",
            self.store.insert_new_recipients(batch, recipients),
        )
        .await
    }
    async fn queued_in(
        &self,
        batch: &BatchId,
        range: std::ops::Range<Seq>,
    ) -> PortResult<Vec<Seq>> {
        self.read("queued_in", self.store.queued_in(batch, range))
            .await
    }
    async fn claim(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> PortResult<Vec<Recipient>> {
        self.write("claim", self.store.claim(batch, seqs, at)).await
    }
    async fn mark_sent(&self, batch: &BatchId, published: &[Published]) -> PortResult<()> {
        self.write("mark_sent", self.store.mark_sent(batch, published))
            .await
    }
    async fn requeue(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<()> {
        self.write("requeue", self.store.requeue(batch, seqs)).await
    }
    async fn fail_technical(
        &self,
        batch: &BatchId,
        failed: &[(Seq, String)],
        at: DateTime<Utc>,
    ) -> PortResult<()> {
        self.write(
            "fail_technical",
            self.store.fail_technical(batch, failed, at),
        )
        .await
    }
    async fn record_receipt(&self, receipt: &Receipt) -> PortResult<ReceiptApplied> {
        self.write("record_receipt", self.store.record_receipt(receipt))
            .await
    }
    async fn queued_without_job_since(
        &self,
        batch: &BatchId,
        range: std::ops::Range<Seq>,
        before: DateTime<Utc>,
    ) -> PortResult<Vec<Seq>> {
        self.read(
            "queued_without_job_since",
            self.store.queued_without_job_since(batch, range, before),
        )
        .await
    }
    async fn gave_jobs(&self, batch: &BatchId, seqs: &[Seq], at: DateTime<Utc>) -> PortResult<()> {
        self.write("gave_jobs", self.store.gave_jobs(batch, seqs, at))
            .await
    }
    async fn cancel_queued(&self, batch: &BatchId, at: DateTime<Utc>) -> PortResult<u64> {
        self.write("cancel_queued", self.store.cancel_queued(batch, at))
            .await
    }
    async fn cancel_these(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> PortResult<u64> {
        self.write("cancel_these", self.store.cancel_these(batch, seqs, at))
            .await
    }
    async fn sending(&self, batch: &BatchId) -> PortResult<Vec<(Seq, DateTime<Utc>)>> {
        self.read("sending", self.store.sending(batch)).await
    }
    async fn counts(
        &self,
        batch: &BatchId,
        range: Option<std::ops::Range<Seq>>,
    ) -> PortResult<StatusCounts> {
        self.read("counts", self.store.counts(batch, range)).await
    }
    async fn records(&self, batch: &BatchId) -> PortResult<Vec<RecipientRecord>> {
        self.read("records", self.store.records(batch)).await
    }
}

impl<S: WaveRepo + Sync> WaveRepo for Faulty<'_, S> {
    async fn insert_waves(&self, batch: &BatchId, waves: &[Wave]) -> PortResult<()> {
        self.write("insert_waves", self.store.insert_waves(batch, waves))
            .await
    }
    async fn unreleased_due_before(
        &self,
        before: DateTime<Utc>,
    ) -> PortResult<Vec<(BatchId, Wave)>> {
        self.read(
            "unreleased_due_before",
            self.store.unreleased_due_before(before),
        )
        .await
    }
    async fn waves(&self, batch: &BatchId) -> PortResult<Vec<Wave>> {
        self.read("waves", self.store.waves(batch)).await
    }
    async fn wave_event(&self, batch: &BatchId, wave: u32, event: WaveEvent) -> PortResult<bool> {
        self.write("wave_event", self.store.wave_event(batch, wave, event))
            .await
    }
}
