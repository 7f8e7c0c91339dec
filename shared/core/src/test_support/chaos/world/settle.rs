//! The end of a chaos run: the faults stop, what would still happen does,
//! and the batch is checked against the promise.

use std::collections::BTreeMap;

use chrono::TimeDelta;

use super::{RunSummary, World, failed};
use crate::batch::Seq;
use crate::delivery::{BatchStatus, RecipientStatus};

use crate::test_support::chaos::ChaosStore;
use crate::test_support::chaos::invariant::{self, Violation};

impl<'a, S: ChaosStore> World<'a, S> {
    /// The faults stop; what would still happen does, until nothing moves.
    pub(super) async fn drain(&mut self) -> Result<(), Violation> {
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

    pub(super) async fn batch_status(&self) -> Result<BatchStatus, Violation> {
        Ok(self
            .store
            .batch(&self.id)
            .await
            .map_err(failed)?
            .ok_or_else(|| failed("the batch is gone"))?
            .status)
    }

    pub(super) async fn settled(&self) -> Result<bool, Violation> {
        let counts = self.store.counts(&self.id, None).await.map_err(failed)?;
        let moving = counts.get(RecipientStatus::Queued)
            + counts.get(RecipientStatus::Sending)
            + counts.get(RecipientStatus::Sent);
        Ok(moving == 0
            && self.fake.state().jobs.is_empty()
            && self.batch_status().await?.is_final())
    }

    pub(super) async fn check(mut self) -> Result<RunSummary, Violation> {
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
