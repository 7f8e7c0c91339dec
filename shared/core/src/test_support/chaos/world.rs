//! One chaos run: the batch, the faulty steps, the drain, the check.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

mod settle;
mod steps;

use super::ChaosStore;
use super::faulty::Faulty;
use super::invariant::Violation;
use crate::batch::BatchId;
use crate::delivery::BatchStatus;
use crate::ports::Receipt;
use crate::sending::{SendUntil, schedule_batch};
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
}
