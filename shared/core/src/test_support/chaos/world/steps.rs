//! The faulty steps a chaos run takes at random: jobs delivered, waves
//! fired, receipts, time passing, recovery, cancels.

use std::sync::atomic::AtomicU32;

use chrono::TimeDelta;
use rand::RngExt;

use super::{Checks, Mode, World};
use crate::batch::{BatchId, Seq};
use crate::delivery::WaveStatus;
use crate::ports::{PortResult, Receipt, ReceiptOutcome, RecipientRepo, WaveRepo};
use crate::sending::{
    Pacing, RateUnit, STUCK_AFTER, SweepTimes, Unbounded, cancel_batch, finish_if_done,
    record_receipts, release_wave, resume_batch, send_texts, sweep,
};
use crate::test_support::chaos::ChaosStore;
use crate::test_support::chaos::faulty::Faulty;
use crate::test_support::t0;

impl<'a, S: ChaosStore> World<'a, S> {
    pub(super) async fn step(&mut self) {
        match self.rng.random_range(0..100) {
            0..35 => self.deliver(true).await,
            35..50 => self.fire_a_wave().await,
            50..65 => self.receipts(true).await,
            65..80 => {
                let minutes = self.rng.random_range(0..=15);
                self.fake.advance(TimeDelta::minutes(minutes));
            }
            80..93 => {
                let process = self.process(true);
                let result = self.recover(&process).await;
                self.trace(format_args!("recover: {result:?}, died {}", process.died()));
                self.count_kill(&process);
            }
            _ if self.cancels < 2 => {
                self.cancels += 1;
                let process = self.process(true);
                let result = cancel_batch(
                    &process, &process, &process, &self.fake, &self.fake, &self.id,
                )
                .await;
                self.trace(format_args!("cancel: {result:?}, died {}", process.died()));
                self.count_kill(&process);
            }
            _ => {}
        }
    }

    pub(super) fn scheduled(&self) -> Vec<u32> {
        let now = self.now();
        let st = self.fake.state();
        st.schedules
            .iter()
            .filter(|(b, _)| *b == self.id)
            .map(|(_, n)| *n)
            .filter(|&n| {
                // Due: the waves are 10 minutes apart from t0.
                t0() + TimeDelta::minutes(10 * i64::from(n - 1)) <= now
            })
            .collect()
    }

    /// A due schedule fires: on AWS up to three tries, then it is gone; on
    /// one machine it stays until a release succeeds. Now and then a wave
    /// fires again after it was done with.
    pub(super) async fn fire_a_wave(&mut self) {
        let due = self.scheduled();
        let number = if !due.is_empty() && self.rng.random_bool(0.8) {
            due[self.rng.random_range(0..due.len())]
        } else {
            self.rng.random_range(1..=self.waves)
        };
        self.fire(number, true).await;
    }

    pub(super) async fn fire(&mut self, number: u32, faults: bool) {
        let tries = match self.mode {
            Mode::Aws => 3,
            Mode::Local => 1,
        };
        let mut released = false;
        for _ in 0..tries {
            let process = self.process(faults);
            let result =
                release_wave(&process, &process, &process, &self.fake, &self.id, number).await;
            self.trace(format_args!(
                "fire wave {number}: {result:?}, died {}",
                process.died()
            ));
            self.count_kill(&process);
            if result.is_ok() {
                released = true;
                break;
            }
        }
        if released || self.mode == Mode::Aws {
            let id = self.id.clone();
            self.fake.state().schedules.remove(&(id, number));
        }
    }

    /// SQS (or the local queue) hands a sender a job: some queued seqs,
    /// not always the oldest, sometimes still left in the queue as well.
    pub(super) async fn deliver(&mut self, faults: bool) {
        let job = {
            let mut st = self.fake.state();
            if st.jobs.is_empty() {
                return;
            }
            let k = self.rng.random_range(1..=st.jobs.len().min(25));
            let start = self.rng.random_range(0..=st.jobs.len() - k);
            let job: Vec<(BatchId, Seq)> = if faults && self.rng.random_bool(0.2) {
                st.jobs.range(start..start + k).cloned().collect()
            } else {
                st.jobs.drain(start..start + k).collect()
            };
            job
        };
        let seqs: Vec<Seq> = job.iter().map(|(_, s)| *s).collect();
        if faults {
            self.provider_faults(&seqs);
        }
        let pacing = Pacing {
            unit: RateUnit::Texts,
            claim_ahead: self.rng.random_range(1..=5),
        };
        let process = self.process(faults);
        let result = if faults && self.rng.random_bool(0.2) {
            let until = Checks(AtomicU32::new(self.rng.random_range(0..6)));
            send_texts(
                &process, &process, &self.fake, &self.fake, &self.fake, &until, &self.id, &seqs,
                pacing,
            )
            .await
        } else {
            send_texts(
                &process, &process, &self.fake, &self.fake, &self.fake, &Unbounded, &self.id,
                &seqs, pacing,
            )
            .await
        };
        self.trace(format_args!(
            "deliver {seqs:?}: {result:?}, died {}",
            process.died()
        ));
        self.count_kill(&process);
        let again: Vec<Seq> = match result {
            Ok(outcome) => outcome
                .throttled
                .into_iter()
                .chain(outcome.not_started)
                .collect(),
            // The job was not finished: the queue hands it out again.
            Err(_) => seqs,
        };
        let id = self.id.clone();
        self.fake
            .state()
            .jobs
            .extend(again.into_iter().map(|s| (id.clone(), s)));
    }

    pub(super) fn provider_faults(&mut self, seqs: &[Seq]) {
        let mut st = self.fake.state();
        if self.rng.random_bool(0.2) {
            let call = st.attempts.len() + self.rng.random_range(0..seqs.len());
            st.throttle_calls.insert(call);
        }
        if self.rng.random_bool(0.1) {
            let seq = seqs[self.rng.random_range(0..seqs.len())];
            let taken = self.rng.random_bool(0.5);
            st.unavailable.insert(seq, taken);
        }
    }

    /// The provider reports on some of the texts it took, in any order,
    /// some twice; receipts that overtook their text's `sent` wait.
    pub(super) async fn receipts(&mut self, faults: bool) {
        let mut batch: Vec<Receipt> = std::mem::take(&mut self.receipts_waiting);
        {
            let st = self.fake.state();
            let made = st.published.len();
            let upto = if faults {
                self.rng.random_range(self.receipts_made..=made)
            } else {
                made
            };
            for (_, p) in &st.published[self.receipts_made..upto] {
                let failed = self.rng.random_bool(0.2);
                batch.push(Receipt {
                    provider_id: p.provider_id.clone(),
                    outcome: if failed {
                        ReceiptOutcome::PermanentFailure
                    } else {
                        ReceiptOutcome::Delivered
                    },
                    reason: failed.then(|| "Unknown subscriber".to_owned()),
                    at: st.now,
                });
            }
            self.receipts_made = upto;
        }
        if batch.is_empty() {
            return;
        }
        if faults && self.rng.random_bool(0.2) {
            let again = batch[self.rng.random_range(0..batch.len())].clone();
            batch.push(again);
        }
        let process = self.process(faults);
        match record_receipts(&process, &batch).await {
            Ok(recorded) => self.receipts_waiting.extend(recorded.early),
            // Delivered again: the log subscription retries.
            Err(_) => self.receipts_waiting.extend(batch),
        }
        self.count_kill(&process);
    }

    /// What settles a batch a stopped process left: the sweep on AWS,
    /// `run` resuming it on one machine.
    pub(super) async fn recover(&mut self, process: &Faulty<'a, S>) -> Result<(), String> {
        let times = SweepTimes::default();
        self.fake.advance(
            match self.mode {
                Mode::Aws => times.stuck_after,
                Mode::Local => STUCK_AFTER,
            } + TimeDelta::minutes(1),
        );
        match self.mode {
            Mode::Aws => sweep(
                process, process, process, &self.fake, &self.fake, &self.fake, &times,
            )
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
            Mode::Local => {
                resume_batch(
                    process, process, process, &self.fake, &self.fake, &self.fake, &self.id,
                )
                .await
                .map_err(|e| e.to_string())?;
                self.queue_orphans(process)
                    .await
                    .map_err(|e| e.to_string())?;
                finish_if_done(process, process, process, &self.id)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }

    /// What the SQLite queue's `queue_orphans` does when `run` takes a
    /// batch over: a job for every queued recipient of a released wave
    /// that has none.
    pub(super) async fn queue_orphans(&self, process: &Faulty<'a, S>) -> PortResult<()> {
        for wave in process.waves(&self.id).await? {
            if wave.status != WaveStatus::Released {
                continue;
            }
            let queued = process.queued_in(&self.id, wave.seqs()).await?;
            let mut st = self.fake.state();
            for seq in queued {
                if !st.jobs.iter().any(|(b, s)| *b == self.id && *s == seq) {
                    st.jobs.push_back((self.id.clone(), seq));
                }
            }
        }
        Ok(())
    }
}
