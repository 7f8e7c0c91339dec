//! Many receipts at once: what a CloudWatch Logs subscription hands the
//! delivery-status function. One receipt through the port costs two
//! requests (GetItem + UpdateItem), more than the rest of a text's life on
//! DynamoDB together; many cost two per 100.

use std::collections::HashMap;

use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::ports::{PortResult, Receipt, ReceiptApplied};

use super::DynamoRepos;
use super::item::Read;
use super::keys::{MSG_SK, PK, attr, key, msg_pk, provider_id_of};
use super::moves::Move;
use super::recipients::{message_target, receipt_change, receipt_event};
use super::write::Unit;

impl DynamoRepos {
    /// Applies `receipts` as `record_receipt` would one by one, in order:
    /// what became of each. The `MSG#` items are read with BatchGetItem (100
    /// keys a request); the changes go in transactions of 100 conditional
    /// updates (cancelled ones handled as for claims). Receipts for the same
    /// text are applied in the order given, each in a later round.
    ///
    /// This is the shape a batched `RecipientRepo::record_receipts` port
    /// would have; the core's `record_receipts` use case calls the one-by-one
    /// port for now.
    pub async fn record_receipts_batched(
        &self,
        receipts: &[Receipt],
    ) -> PortResult<Vec<ReceiptApplied>> {
        let mut ids: Vec<&str> = receipts.iter().map(|r| r.provider_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let keys = ids.iter().map(|id| key(msg_pk(id), MSG_SK)).collect();
        let found = self.get_all(keys, &[PK, attr::BATCH, attr::SEQ]).await?;
        let mut targets: HashMap<String, (BatchId, Seq)> = HashMap::with_capacity(found.len());
        for item in &found {
            let pk = Read::new(item, "message id").s(PK)?;
            if let Some(id) = provider_id_of(pk) {
                targets.insert(id.to_owned(), message_target(item)?);
            }
        }

        let mut applied = vec![ReceiptApplied::NotYetKnown; receipts.len()];
        // Round r holds each text's r-th receipt: a transaction may not
        // touch one item twice, and a later receipt must see the earlier.
        let mut rounds: Vec<Vec<(usize, Unit)>> = Vec::new();
        let mut seen: HashMap<(BatchId, Seq), usize> = HashMap::new();
        for (i, receipt) in receipts.iter().enumerate() {
            let Some((batch, seq)) = targets.get(&receipt.provider_id) else {
                continue;
            };
            let Some(m) = Move::recipient(receipt_event(receipt.outcome))? else {
                applied[i] = ReceiptApplied::Ignored;
                continue;
            };
            let round = seen.entry((batch.clone(), *seq)).or_default();
            if rounds.len() <= *round {
                rounds.push(Vec::new());
            }
            rounds[*round].push((i, Unit::update(receipt_change(&m, batch, *seq, receipt))));
            *round += 1;
        }
        for round in rounds {
            let (indexes, units): (Vec<usize>, Vec<Unit>) = round.into_iter().unzip();
            let moved = self.apply(&units, false).await?;
            for (i, m) in indexes.into_iter().zip(moved) {
                applied[i] = if m.happened() {
                    ReceiptApplied::Applied
                } else {
                    ReceiptApplied::Ignored
                };
            }
        }
        Ok(applied)
    }
}
