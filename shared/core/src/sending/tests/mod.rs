//! The sending use cases against one in-memory fake of every port. Each test
//! counts the texts the fake provider took.

use crate::test_support::fake;

mod cancel;
mod chaos;
mod conformance;
mod import;
mod progress;
mod prop;
mod receipts;
mod recover;
mod release;
mod resume;
mod schedule;
mod send;
mod send_durable;
mod send_pacing;
mod sweep;
mod sweep_lost;
mod upload;

use fake::{Fake, batch_id};

use crate::batch::{Seq, Wave};
use crate::ports::Receipt;
use crate::sending::{
    BatchProgress, Cancelled, RateUnit, ReceiptsRecorded, Recovered, Release, SendOutcome,
    SendingError, cancel_batch, finish_if_done, record_receipts, recover_sending, release_wave,
    schedule_batch, send_texts,
};
use crate::sending::{Pacing, Unbounded};
use crate::waves::WavePlan;

/// The use cases on the test batch, with the fake as every port.
impl Fake {
    async fn schedule_plan(&self, plan: &WavePlan) -> Result<Vec<Wave>, SendingError> {
        schedule_batch(self, self, self, &batch_id(), plan).await
    }

    async fn release(&self, wave: u32) -> Result<Release, SendingError> {
        release_wave(self, self, self, self, &batch_id(), wave).await
    }

    async fn send_in(&self, seqs: &[Seq], unit: RateUnit) -> Result<SendOutcome, SendingError> {
        let pacing = Pacing {
            unit,
            claim_ahead: seqs.len(),
        };
        send_texts(
            self,
            self,
            self,
            self,
            self,
            &Unbounded,
            &batch_id(),
            seqs,
            pacing,
        )
        .await
    }

    async fn send(&self, seqs: &[Seq]) -> SendOutcome {
        self.send_in(seqs, RateUnit::Texts).await.unwrap()
    }

    /// Sends every job in the queue, as one sender would.
    async fn send_queue(&self) -> SendOutcome {
        let jobs = self.take_jobs();
        self.send(&jobs).await
    }

    async fn receipts(&self, receipts: &[Receipt]) -> ReceiptsRecorded {
        record_receipts(self, receipts).await.unwrap()
    }

    async fn cancel(&self) -> Result<Cancelled, SendingError> {
        cancel_batch(self, self, self, self, self, &batch_id()).await
    }

    async fn recover(&self) -> Recovered {
        recover_sending(self, self, self, self, &batch_id())
            .await
            .unwrap()
    }

    async fn finish(&self) -> bool {
        finish_if_done(self, self, self, &batch_id()).await.unwrap()
    }

    async fn progress(&self) -> BatchProgress {
        crate::sending::progress(self, self, self, &batch_id())
            .await
            .unwrap()
    }
}
