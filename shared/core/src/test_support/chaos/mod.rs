//! A randomised fault test in the spirit of Jepsen. Each run takes one batch
//! through the sending use cases with a random mix of faults, chosen by the
//! run's seed: processes that die at any call, duplicate and late jobs and
//! wave fires, throttling, answers lost after the write happened, a provider
//! that took a text and said it failed, and cancels at random moments. Then
//! the faults stop, the batch is left to what would still happen (jobs
//! still in the queue, schedules not yet fired, the recovery of its mode),
//! and the run is checked against the promise: every accepted patient has at
//! most one text in the provider's record, and a final status that says
//! what happened.
//!
//! The stores under test are real ([`ChaosStore`]: SQLite, DynamoDB on
//! moto); the SMS provider, queue, scheduler, rate limiter and clock are the
//! [`Fake`](super::fake::Fake), scripted by the seed. Runs are sequential
//! and every choice comes from the seed, so a failing seed replays:
//! [`check_seeds`] names it, and `BATCHMSG_CHAOS_SEED` runs just that one.

mod faulty;
mod invariant;
mod world;

pub use faulty::{Fault, Faulty};
pub use invariant::Violation;
pub use world::{Mode, RunSummary, run_seed};

use std::future::Future;

use crate::ports::{BatchRepo, RecipientRepo, WaveRepo};

/// What a chaos run stores its batch in.
pub trait ChaosStore: BatchRepo + RecipientRepo + WaveRepo + Sync {}

impl<S: BatchRepo + RecipientRepo + WaveRepo + Sync> ChaosStore for S {}

/// The seeds to run: `BATCHMSG_CHAOS_SEED` alone if it is set, otherwise
/// `BATCHMSG_CHAOS_RUNS` (default `runs`) seeds from `BATCHMSG_CHAOS_FIRST`
/// (default 1).
pub fn seeds(runs: u64) -> Vec<u64> {
    let var = |name: &str| {
        std::env::var(name).ok().map(|v| {
            v.trim()
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("{name} must be a whole number, not {v:?}"))
        })
    };
    if let Some(seed) = var("BATCHMSG_CHAOS_SEED") {
        return vec![seed];
    }
    let first = var("BATCHMSG_CHAOS_FIRST").unwrap_or(1);
    let runs = var("BATCHMSG_CHAOS_RUNS").unwrap_or(runs);
    (first..first + runs).collect()
}

/// Runs each seed on a fresh store from `fresh`, in `mode`; panics on the
/// first seed that breaks the promise, naming it and how to replay it.
pub async fn check_seeds<S, F, Fut>(mode: Mode, seeds: &[u64], fresh: F) -> Vec<RunSummary>
where
    S: ChaosStore,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    let mut summaries = Vec::with_capacity(seeds.len());
    for &seed in seeds {
        let store = fresh().await;
        match run_seed(&store, mode, seed).await {
            Ok(summary) => summaries.push(summary),
            Err(violation) => panic!(
                "chaos seed {seed} ({mode:?}) broke the promise: {violation}\n\
                 replay it with BATCHMSG_CHAOS_SEED={seed}"
            ),
        }
    }
    summaries
}
