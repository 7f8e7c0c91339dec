//! One chaos run: the batch, the faulty steps, the drain, the check.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::ChaosStore;
use super::faulty::Faulty;
use super::invariant::{self, Violation};
use crate::batch::{BatchId, Seq};
use crate::delivery::{BatchStatus, RecipientStatus, WaveStatus};
use crate::ports::{PortResult, Receipt, ReceiptOutcome, RecipientRepo, WaveRepo};
use crate::sending::{
    Pacing, RateUnit, STUCK_AFTER, SendUntil, SweepTimes, Unbounded, cancel_batch, finish_if_done,
    record_receipts, release_wave, resume_batch, schedule_batch, send_texts, sweep,
};
use crate::test_support::fake::{Fake, Lookup};
use crate::test_support::{batch_id, store_batch, t0};
use crate::waves::{PlannedWave, WavePlan};

/// Which deployment's rules a run follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// AWS: the provider (SNS) cannot say what it took; a schedule fires
    /// once (retried, then deleted); the sweep settles what is left.
    Aws,
    /// The embedded default: the provider (the outbox) says what it took;
    /// a schedule stays until its release succeeds; `run` resumes a batch
    /// a stopped process left.
    Local,
}

/// What one run did.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    pub seed: u64,
    pub patients: u32,
    pub steps: u32,
    /// Processes that died part way through a step.
    pub kills: u32,
    pub texts: usize,
    pub batch: Option<BatchStatus>,
}

struct World<'a, S> {
    store: &'a S,
    fake: Fake,
    mode: Mode,
    rng: StdRng,
    id: BatchId,
    patients: u32,
    waves: u32,
    /// Receipts the provider has sent that are not yet recorded.
    receipts_waiting: Vec<Receipt>,
    /// How many of the provider's texts have had their receipt made.
    receipts_made: usize,
    cancels: u32,
    summary: RunSummary,
}

/// Runs `seed` on `store`; `Err` if the promise broke.
pub async fn run_seed<S: ChaosStore>(
    store: &S,
    mode: Mode,
    seed: u64,
) -> Result<RunSummary, Violation> {
    let mut rng = StdRng::seed_from_u64(seed);
    let patients = rng.random_range(1..=30);
    let waves = rng.random_range(1..=3).min(patients);
    let fake = Fake::new();
    fake.state().lookup = match mode {
        Mode::Aws => Lookup::Unknowable,
        Mode::Local => Lookup::Known,
    };
    let mut world = World {
        store,
        fake,
        mode,
        rng,
        id: batch_id(),
        patients,
        waves,
        receipts_waiting: Vec::new(),
        receipts_made: 0,
        cancels: 0,
        summary: RunSummary {
            seed,
            patients,
            ..RunSummary::default()
        },
    };
    world.set_up().await?;
    let steps = world.rng.random_range(10..=60);
    for _ in 0..steps {
        world.step().await;
    }
    world.summary.steps = steps;
    world.drain().await?;
    world.check().await
}

/// Lets a number of checks pass, then stops every text: a deadline.
struct Checks(AtomicU32);

impl SendUntil for Checks {
    fn may_start(&self, _now: DateTime<Utc>) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

fn failed(error: impl std::fmt::Display) -> Violation {
    Violation::Failed(error.to_string())
}

impl<'a, S: ChaosStore> World<'a, S> {
    fn now(&self) -> DateTime<Utc> {
        self.fake.state().now
    }

    /// A process to run one step in: with `faults`, it may die at any call
    /// and lose the answers of some writes.
    fn process(&mut self, faults: bool) -> Faulty<'a, S> {
        let rng = StdRng::seed_from_u64(self.rng.random());
        if !faults {
            return Faulty::new(self.store, rng, None, 0.0);
        }
        let calls_to_live = self
            .rng
            .random_bool(0.3)
            .then(|| self.rng.random_range(0..12));
        Faulty::new(self.store, rng, calls_to_live, 0.05)
    }

    fn count_kill(&mut self, process: &Faulty<'a, S>) {
        self.summary.kills += u32::from(process.died());
    }

    /// With `BATCHMSG_CHAOS_TRACE` set, says what a step did (seqs and
    /// statuses only), to follow a failing seed.
    fn trace(&self, what: std::fmt::Arguments<'_>) {
        if std::env::var_os("BATCHMSG_CHAOS_TRACE").is_some() {
            eprintln!("[{}] {what}", self.now().format("%H:%M"));
        }
    }

    async fn set_up(&mut self) -> Result<(), Violation> {
        store_batch(self.store, &self.id, BatchStatus::Validated, self.patients)
            .await
            .map_err(failed)?;
        if self.rng.random_bool(0.3) {
            let seq = self.rng.random_range(0..self.patients);
            let reason = "Invalid parameter: PhoneNumber".to_owned();
            self.fake.state().refuse.insert(seq, reason);
        }
        let per_wave = self.patients.div_ceil(self.waves);
        let waves = (0..self.waves)
            .map(|i| {
                let first = i * per_wave;
                let due = t0() + TimeDelta::minutes(10 * i64::from(i));
                PlannedWave {
                    number: i + 1,
                    first: u64::from(first),
                    size: u64::from(per_wave.min(self.patients - first)),
                    due,
                    due_local: due.with_timezone(&chrono_tz::Europe::London),
                    notes: Vec::new(),
                }
            })
            .filter(|w| w.size > 0)
            .collect();
        let plan = WavePlan { waves };
        self.waves = plan.waves.len() as u32;
        schedule_batch(self.store, self.store, &self.fake, &self.id, &plan)
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn step(&mut self) {
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

    fn scheduled(&self) -> Vec<u32> {
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
    async fn fire_a_wave(&mut self) {
        let due = self.scheduled();
        let number = if !due.is_empty() && self.rng.random_bool(0.8) {
            due[self.rng.random_range(0..due.len())]
        } else {
            self.rng.random_range(1..=self.waves)
        };
        self.fire(number, true).await;
    }

    async fn fire(&mut self, number: u32, faults: bool) {
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
    async fn deliver(&mut self, faults: bool) {
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

    fn provider_faults(&mut self, seqs: &[Seq]) {
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
    async fn receipts(&mut self, faults: bool) {
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
    async fn recover(&mut self, process: &Faulty<'a, S>) -> Result<(), String> {
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
    async fn queue_orphans(&self, process: &Faulty<'a, S>) -> PortResult<()> {
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

    /// The faults stop; what would still happen does, until nothing moves.
    async fn drain(&mut self) -> Result<(), Violation> {
        {
            let mut st = self.fake.state();
            st.throttle_calls.clear();
            st.unavailable.clear();
        }
        for _ in 0..50 {
            self.fake.advance(TimeDelta::minutes(20));
            for number in self.scheduled() {
                self.fire(number, false).await;
            }
            for _ in 0..10_000 {
                if self.fake.state().jobs.is_empty() {
                    break;
                }
                self.deliver(false).await;
            }
            self.receipts(false).await;
            let process = self.process(false);
            self.recover(&process).await.map_err(failed)?;
            if self.settled().await? {
                return Ok(());
            }
        }
        let counts = self.store.counts(&self.id, None).await.map_err(failed)?;
        let status = self.batch_status().await?;
        let waves: Vec<String> = (self.store.waves(&self.id).await.map_err(failed)?)
            .iter()
            .map(|w| format!("{} {}", w.number, w.status))
            .collect();
        Err(Violation::NeverSettled(format!(
            "batch {status}, waves {waves:?}, recipients {:?}, {} job(s) queued",
            counts.by_status,
            self.fake.state().jobs.len()
        )))
    }

    async fn batch_status(&self) -> Result<BatchStatus, Violation> {
        Ok(self
            .store
            .batch(&self.id)
            .await
            .map_err(failed)?
            .ok_or_else(|| failed("the batch is gone"))?
            .status)
    }

    async fn settled(&self) -> Result<bool, Violation> {
        let counts = self.store.counts(&self.id, None).await.map_err(failed)?;
        let moving = counts.get(RecipientStatus::Queued)
            + counts.get(RecipientStatus::Sending)
            + counts.get(RecipientStatus::Sent);
        Ok(moving == 0
            && self.fake.state().jobs.is_empty()
            && self.batch_status().await?.is_final())
    }

    async fn check(mut self) -> Result<RunSummary, Violation> {
        let records = self.store.records(&self.id).await.map_err(failed)?;
        let mut texts = BTreeMap::<Seq, usize>::new();
        for (b, p) in &self.fake.state().published {
            if *b == self.id {
                *texts.entry(p.seq).or_default() += 1;
            }
        }
        let unrecorded: Vec<Seq> = {
            let st = self.fake.state();
            self.receipts_waiting
                .iter()
                .filter_map(|r| {
                    st.published
                        .iter()
                        .find(|(_, p)| p.provider_id == r.provider_id)
                })
                .map(|(_, p)| p.seq)
                .collect()
        };
        let status = self.batch_status().await?;
        let waves = self.store.waves(&self.id).await.map_err(failed)?;
        self.trace(format_args!(
            "settled: batch {status}, waves {:?}",
            waves.iter().map(|w| w.status).collect::<Vec<_>>()
        ));
        invariant::check(
            status,
            &records,
            self.patients as usize,
            &texts,
            &unrecorded,
        )?;
        self.summary.texts = texts.values().sum();
        self.summary.batch = Some(status);
        Ok(self.summary)
    }
}
