//! Recipient items (`BATCH#{id}#R{shard:02}` / `R#{seq:07}`) and
//! message-id items (`MSG#{provider_id}` / `MSG`).
//!
//! A batch's recipients are spread over 16 partition keys (see
//! `keys::recipient_shard`); reads go through module `shard_reads`, and
//! come back here in seq order where the port promises an order.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use aws_sdk_dynamodb::types::AttributeValue;
use batchmsg_core::batch::{BatchId, Recipient, RecipientRecord, Seq, StatusCounts};
use batchmsg_core::delivery::{RecipientEvent, RecipientStatus};
use batchmsg_core::ports::{
    PortResult, Published, Receipt, ReceiptApplied, ReceiptOutcome, RecipientRepo,
};
use batchmsg_core::sms::Encoding;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};

use super::item::{Item, Read, from_millis, millis, n, s};
use super::keys::{
    MAX_SEQ, MSG_SK, SK, attr, check_seq, key, msg_pk, recipient_key, recipient_sk, sk_of,
};
use super::moves::{Change, Move};
use super::shard_reads::recipients_in;
use super::write::{
    BATCH_WRITE_MAX, IMPORT_CONCURRENCY, Moved, Unit, put_request, transaction_chunks,
};
use super::{DynamoError, DynamoRepos};

/// The reason a cancelled recipient is given (the SQLite adapter's words).
pub use batchmsg_core::delivery::CANCELLED_REASON;

/// What a claim reads back: the recipient, not its state.
const RECIPIENT_ATTRIBUTES: [&str; 7] = [
    attr::SEQ,
    attr::ROW,
    attr::NHS_NUMBER,
    attr::MOBILE,
    attr::BODY,
    attr::ENCODING,
    attr::FRAGMENTS,
];

fn recipient_item(batch: &BatchId, r: &Recipient) -> Item {
    let mut item = recipient_key(batch, r.seq);
    item.extend([
        (attr::SEQ.to_owned(), n(r.seq)),
        (attr::ROW.to_owned(), n(r.row)),
        (attr::NHS_NUMBER.to_owned(), s(r.nhs_number.to_string())),
        (attr::MOBILE.to_owned(), s(r.mobile.e164().as_str())),
        (attr::BODY.to_owned(), s(r.body.as_str())),
        (attr::ENCODING.to_owned(), s(r.encoding.as_str())),
        (attr::FRAGMENTS.to_owned(), n(r.fragments)),
        (attr::STATUS.to_owned(), s(RecipientStatus::Queued.as_str())),
    ]);
    item
}

fn recipient_from(item: &Item) -> Result<Recipient, DynamoError> {
    let read = Read::new(item, "recipient");
    Ok(Recipient {
        seq: read.n(attr::SEQ)?,
        row: read.n(attr::ROW)?,
        nhs_number: read.parsed(attr::NHS_NUMBER)?,
        mobile: read.stored_mobile(attr::MOBILE)?,
        body: read.s(attr::BODY)?.into(),
        encoding: match read.s(attr::ENCODING)? {
            "UCS-2" => Encoding::Ucs2,
            _ => Encoding::Gsm7,
        },
        fragments: read.n(attr::FRAGMENTS)?,
    })
}

fn record_from(item: &Item) -> Result<RecipientRecord, DynamoError> {
    let read = Read::new(item, "recipient");
    Ok(RecipientRecord {
        recipient: recipient_from(item)?,
        status: read.parsed(attr::STATUS)?,
        reason: read.opt_s(attr::REASON)?.map(str::to_owned),
        provider_id: read.opt_s(attr::PROVIDER_ID)?.map(str::to_owned),
        sent_at: read.opt_time(attr::SENT_AT)?,
        receipt_at: read.opt_time(attr::RECEIPT_AT)?,
    })
}

/// The recipients to import: the first of each seq, every seq one a key can
/// hold.
fn checked_once_each(recipients: &[Recipient]) -> Result<Vec<&Recipient>, DynamoError> {
    let recipients = first_of_each(recipients, |r| r.seq);
    for r in &recipients {
        check_seq(r.seq)?;
    }
    Ok(recipients)
}

/// Each of `items` once, the first of each `key`, in order.
pub(crate) fn first_of_each<T, K: std::hash::Hash + Eq>(
    items: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> Vec<T> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|i| seen.insert(key(i))).collect()
}

pub(crate) fn receipt_event(outcome: ReceiptOutcome) -> RecipientEvent {
    match outcome {
        ReceiptOutcome::Delivered => RecipientEvent::Delivered,
        ReceiptOutcome::TemporaryFailure => RecipientEvent::TemporaryFailure,
        ReceiptOutcome::PermanentFailure => RecipientEvent::PermanentFailure,
    }
}

/// The change a receipt makes to the recipient `(batch, seq)`: only if it
/// still has that provider id.
pub(crate) fn receipt_change(m: &Move, batch: &BatchId, seq: Seq, receipt: &Receipt) -> Change {
    Change::new(recipient_key(batch, seq), m)
        .require(attr::PROVIDER_ID, s(&receipt.provider_id))
        .set_or_remove(attr::REASON, receipt.reason.as_deref().map(s))
        .set(attr::RECEIPT_AT, millis(receipt.at))
}

/// Where a message-id item points.
pub(crate) fn message_target(item: &Item) -> Result<(BatchId, Seq), DynamoError> {
    let read = Read::new(item, "message id");
    let batch = read
        .s(attr::BATCH)?
        .parse()
        .map_err(|_| DynamoError::BadItem {
            kind: "message id",
            attribute: attr::BATCH,
        })?;
    Ok((batch, read.n(attr::SEQ)?))
}

impl DynamoRepos {
    /// The units of `event` for each of `seqs` (once each), with `extra` set.
    fn recipient_units(
        batch: &BatchId,
        seqs: impl IntoIterator<Item = Seq>,
        m: &Move,
        extra: impl Fn(Change) -> Change,
    ) -> (Vec<Seq>, Vec<Unit>) {
        let seqs = first_of_each(seqs.into_iter().filter(|&s| s <= MAX_SEQ), |s| *s);
        let units = seqs
            .iter()
            .map(|&seq| Unit::update(extra(Change::new(recipient_key(batch, seq), m))))
            .collect();
        (seqs, units)
    }

    /// Of one group of up to 100 recipients, looks up which are stored
    /// (one BatchGetItem) and writes the others.
    async fn insert_missing(
        &self,
        batch: &BatchId,
        group: &[&Recipient],
    ) -> Result<(), DynamoError> {
        let keys = group.iter().map(|r| recipient_key(batch, r.seq)).collect();
        let found = self.get_all(keys, &[SK]).await?;
        let present: HashSet<&str> = found.iter().filter_map(sk_of).collect();
        let writes = group
            .iter()
            .filter(|r| !present.contains(recipient_sk(r.seq).as_str()))
            .map(|r| put_request(recipient_item(batch, r)))
            .collect::<Result<Vec<_>, _>>()?;
        self.write_all(writes).await
    }

    /// One BatchWriteItem of up to 25 recipients, unlooked: on one shard's
    /// key when they are one block (the import's chunks start on one).
    async fn put_all(&self, batch: &BatchId, chunk: &[&Recipient]) -> Result<(), DynamoError> {
        let writes = chunk
            .iter()
            .map(|r| put_request(recipient_item(batch, r)))
            .collect::<Result<Vec<_>, _>>()?;
        self.write_chunk(writes).await
    }

    /// `queued → cancelled` for `seqs`; how many moved.
    async fn cancel(
        &self,
        batch: &BatchId,
        seqs: Vec<Seq>,
        at: DateTime<Utc>,
    ) -> Result<u64, DynamoError> {
        let Some(m) = Move::recipient(RecipientEvent::Cancel)? else {
            return Ok(0);
        };
        let (_, units) = Self::recipient_units(batch, seqs, &m, |c| {
            c.set(attr::REASON, s(CANCELLED_REASON))
                .set(attr::RECEIPT_AT, millis(at))
        });
        let moved = self.apply(&units, false).await?;
        Ok(moved.iter().filter(|m| m.happened()).count() as u64)
    }

    /// Claims one transaction's worth and reads the claimed back, in the
    /// order of `seqs`. On an error, also the seqs it claimed. (Should a
    /// transaction fall back to single updates and one of those fail, the
    /// ones before it stay claimed: `recover_sending` settles them.)
    async fn claim_chunk(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        units: &[Unit],
    ) -> Result<Vec<Recipient>, (DynamoError, Vec<Seq>)> {
        let moved = self.apply(units, true).await.map_err(|e| (e, Vec::new()))?;
        let moved_seqs: Vec<Seq> = seqs
            .iter()
            .zip(&moved)
            .filter(|(_, m)| m.happened())
            .map(|(seq, _)| *seq)
            .collect();
        let failed = |error: DynamoError| (error, moved_seqs.clone());
        let mut claimed: Vec<Option<Recipient>> = vec![None; seqs.len()];
        let mut to_read = Vec::new();
        for (i, m) in moved.iter().enumerate() {
            match m {
                Moved::No => {}
                Moved::Yes(Some(item)) => claimed[i] = Some(recipient_from(item).map_err(failed)?),
                Moved::Yes(None) => to_read.push(i),
            }
        }
        if !to_read.is_empty() {
            let keys = to_read
                .iter()
                .map(|&i| recipient_key(batch, seqs[i]))
                .collect();
            let items = self
                .get_all(keys, &RECIPIENT_ATTRIBUTES)
                .await
                .map_err(failed)?;
            let mut read = HashMap::with_capacity(items.len());
            for item in &items {
                let r = recipient_from(item).map_err(failed)?;
                read.insert(r.seq, r);
            }
            for i in to_read {
                let r = read
                    .remove(&seqs[i])
                    .ok_or_else(|| failed(DynamoError::NotReadBack { seq: seqs[i] }))?;
                claimed[i] = Some(r);
            }
        }
        Ok(claimed.into_iter().flatten().collect())
    }

    /// Puts back to `queued` the recipients of `seqs` this call claimed (its
    /// `token` is on them), on the way to an error: those it knows it moved
    /// and could not read, and those whose claim may have been applied with
    /// its answer lost. Best effort: what stays `sending` the sweep settles.
    async fn unclaim(&self, batch: &BatchId, seqs: &[Seq], token: &AttributeValue) {
        if let Ok(Some(m)) = Move::recipient(RecipientEvent::Throttled) {
            let (_, units) = Self::recipient_units(batch, seqs.iter().copied(), &m, |c| {
                c.require(attr::CLAIM_TOKEN, token.clone())
                    .remove(attr::CLAIMED_AT)
                    .remove(attr::CLAIM_TOKEN)
            });
            if let Err(error) = self.apply(&units, false).await {
                tracing::warn!(%batch, %error, "could not queue again recipients claimed but not read");
            }
        }
    }
}

impl RecipientRepo for DynamoRepos {
    /// Stores the recipients not yet stored, as `queued`.
    ///
    /// BatchWriteItem cannot be conditional, so each 100 recipients are
    /// first looked up (one BatchGetItem of their keys) and only those not
    /// found are written (BatchWriteItem, 25 a request, unprocessed items
    /// retried with backoff); [`IMPORT_CONCURRENCY`] groups of 100 at once.
    /// A repeated import therefore changes nothing and costs one request per
    /// 100. Two imports of the same batch running at the same moment could
    /// both find a recipient missing and both write it, which is harmless:
    /// an import finishes before the batch is stored and anything is sent,
    /// and both write the same `queued` item.
    async fn insert_recipients(&self, batch: &BatchId, recipients: &[Recipient]) -> PortResult<()> {
        let recipients = checked_once_each(recipients)?;
        // The futures are made first: a stream of a closure's futures trips
        // rustc's higher-ranked lifetime check in a `Send` trait method.
        let groups: Vec<_> = recipients
            .chunks(super::BATCH_GET_MAX)
            .map(|group| self.insert_missing(batch, group))
            .collect();
        stream::iter(groups)
            .buffer_unordered(IMPORT_CONCURRENCY)
            .try_collect::<()>()
            .await?;
        Ok(())
    }

    /// Writes them all, with no lookup first: BatchWriteItem, 25 a request,
    /// [`IMPORT_CONCURRENCY`] requests at once, unprocessed items retried
    /// with backoff. A quarter fewer requests than
    /// [`insert_recipients`](RecipientRepo::insert_recipients), and none
    /// waits on a read. Only for rows the caller knows are not stored (the
    /// upload's first claim): a blind put would reset a stored one to
    /// `queued`.
    async fn insert_new_recipients(
        &self,
        batch: &BatchId,
        recipients: &[Recipient],
    ) -> PortResult<()> {
        let recipients = checked_once_each(recipients)?;
        let writes: Vec<_> = recipients
            .chunks(BATCH_WRITE_MAX)
            .map(|chunk| self.put_all(batch, chunk))
            .collect();
        stream::iter(writes)
            .buffer_unordered(IMPORT_CONCURRENCY)
            .try_collect::<()>()
            .await?;
        Ok(())
    }

    /// A Query of each shard the range overlaps, of the range's sort keys
    /// filtered on `queued`, projecting `seq`, page by page; in seq order.
    async fn queued_in(&self, batch: &BatchId, range: Range<Seq>) -> PortResult<Vec<Seq>> {
        Ok(self
            .seqs_in(batch, Some(range), RecipientStatus::Queued)
            .await?)
    }

    /// Conditional `queued → sending` updates in transactions of 100, then
    /// one BatchGetItem of the claimed; one or two are claimed with an
    /// UpdateItem each that returns the item. See the module documentation.
    async fn claim(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> PortResult<Vec<Recipient>> {
        let Some(m) = Move::recipient(RecipientEvent::Claim)? else {
            return Ok(Vec::new());
        };
        let token = s(format!("{:016x}", fastrand::u64(..)));
        let (seqs, units) = Self::recipient_units(batch, seqs.iter().copied(), &m, |c| {
            c.set(attr::CLAIMED_AT, millis(at))
                .mark(attr::CLAIM_TOKEN, token.clone())
        });
        let mut claimed = Vec::with_capacity(seqs.len());
        for range in transaction_chunks(&units) {
            match self
                .claim_chunk(batch, &seqs[range.clone()], &units[range.clone()])
                .await
            {
                Ok(some) => claimed.extend(some),
                Err((error, _)) => {
                    // What this call claimed and will not return must not
                    // stay `sending`, never sent: it goes back to `queued`
                    // for the job's retry to claim again. That includes the
                    // failed chunk whole: a write whose answer was lost may
                    // have been applied; the token tells ours from another's.
                    let ours: Vec<Seq> = claimed
                        .iter()
                        .map(|r| r.seq)
                        .chain(seqs[range].iter().copied())
                        .collect();
                    self.unclaim(batch, &ours, &token).await;
                    return Err(error.into());
                }
            }
        }
        Ok(claimed)
    }

    /// Per text, a conditional `sending → sent` update and a put of its
    /// `MSG#{provider_id}` item, in one transaction with up to 49 others:
    /// a text is never `sent` without the item that finds it by its id.
    async fn mark_sent(&self, batch: &BatchId, published: &[Published]) -> PortResult<()> {
        let Some(m) = Move::recipient(RecipientEvent::Published)? else {
            return Ok(());
        };
        let published = first_of_each(
            first_of_each(published.iter().filter(|p| p.seq <= MAX_SEQ), |p| p.seq),
            |p| p.provider_id.clone(),
        );
        let units: Vec<Unit> = published
            .iter()
            .map(|p| {
                let change = Change::new(recipient_key(batch, p.seq), &m)
                    .set(attr::PROVIDER_ID, s(&p.provider_id))
                    .set(attr::SENT_AT, millis(p.at));
                let mut message = key(msg_pk(&p.provider_id), MSG_SK);
                message.insert(attr::BATCH.to_owned(), s(batch.as_str()));
                message.insert(attr::SEQ.to_owned(), n(p.seq));
                Unit {
                    change,
                    put: Some(message),
                }
            })
            .collect();
        self.apply(&units, false).await?;
        Ok(())
    }

    /// Conditional `sending → queued` updates, 100 a transaction. The claim's
    /// time stays: a text is queued again by the job that claimed it, within
    /// one send invocation, so it is when the text was last given a job
    /// (see `queued_without_job_since`).
    async fn requeue(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<()> {
        let Some(m) = Move::recipient(RecipientEvent::Throttled)? else {
            return Ok(());
        };
        // `claimed_at` stays: the sweep counts a lost job from it.
        let (_, units) = Self::recipient_units(batch, seqs.iter().copied(), &m, |c| {
            c.remove(attr::CLAIM_TOKEN)
        });
        self.apply(&units, false).await?;
        Ok(())
    }

    /// Conditional `sending → technical-failure` updates, 100 a transaction.
    async fn fail_technical(
        &self,
        batch: &BatchId,
        failed: &[(Seq, String)],
        at: DateTime<Utc>,
    ) -> PortResult<()> {
        let Some(m) = Move::recipient(RecipientEvent::TechnicalFailure)? else {
            return Ok(());
        };
        let failed = first_of_each(failed.iter().filter(|(seq, _)| *seq <= MAX_SEQ), |f| f.0);
        let units: Vec<Unit> = failed
            .iter()
            .map(|(seq, reason)| {
                Unit::update(
                    Change::new(recipient_key(batch, *seq), &m)
                        .set(attr::REASON, s(reason))
                        .set(attr::RECEIPT_AT, millis(at)),
                )
            })
            .collect();
        self.apply(&units, false).await?;
        Ok(())
    }

    /// A strongly consistent GetItem of `MSG#{provider_id}` (none:
    /// `NotYetKnown`), then one conditional UpdateItem of the recipient,
    /// which must still have that provider id (condition failed: `Ignored`).
    /// Two requests a receipt; [`DynamoRepos::record_receipts`] takes many
    /// at two requests per 100.
    async fn record_receipts(&self, receipts: &[Receipt]) -> PortResult<Vec<ReceiptApplied>> {
        self.record_receipts_batched(receipts).await
    }

    async fn record_receipt(&self, receipt: &Receipt) -> PortResult<ReceiptApplied> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(msg_pk(&receipt.provider_id), MSG_SK)))
            .consistent_read(true)
            .projection_expression("#batch, #seq")
            .expression_attribute_names("#batch", attr::BATCH)
            .expression_attribute_names("#seq", attr::SEQ)
            .send()
            .await
            .map_err(|e| self.request_error("GetItem", e))?;
        let Some(item) = out.item else {
            return Ok(ReceiptApplied::NotYetKnown);
        };
        let (batch, seq) = message_target(&item)?;
        let Some(m) = Move::recipient(receipt_event(receipt.outcome))? else {
            return Ok(ReceiptApplied::Ignored);
        };
        let change = receipt_change(&m, &batch, seq, receipt);
        Ok(if self.update(&change, false).await?.happened() {
            ReceiptApplied::Applied
        } else {
            ReceiptApplied::Ignored
        })
    }

    /// A Query of each shard the range overlaps, filtered on `queued` with
    /// neither `job_at` nor `claimed_at` (a text queued again keeps its
    /// claim's time) at or after `before`, projecting `seq`, page by page;
    /// in seq order.
    async fn queued_without_job_since(
        &self,
        batch: &BatchId,
        range: Range<Seq>,
        before: DateTime<Utc>,
    ) -> PortResult<Vec<Seq>> {
        let Some(scan) = recipients_in(Some(range)) else {
            return Ok(Vec::new());
        };
        Ok(self
            .seqs_where(batch, &scan, |pk| {
                self.recipient_query(pk, &scan, None, &[attr::SEQ])
                    .filter_expression(
                        "#status = :queued \
                         AND (attribute_not_exists(#job_at) OR #job_at < :before) \
                         AND (attribute_not_exists(#claimed_at) OR #claimed_at < :before)",
                    )
                    .expression_attribute_names("#status", attr::STATUS)
                    .expression_attribute_names("#job_at", attr::JOB_AT)
                    .expression_attribute_names("#claimed_at", attr::CLAIMED_AT)
                    .expression_attribute_values(":queued", s(RecipientStatus::Queued.as_str()))
                    .expression_attribute_values(":before", millis(before))
            })
            .await?)
    }

    /// Sets `job_at` on those still `queued` that hold no later one:
    /// conditional updates, 100 a transaction.
    async fn gave_jobs(&self, batch: &BatchId, seqs: &[Seq], at: DateTime<Utc>) -> PortResult<()> {
        let queued = RecipientStatus::Queued.as_str();
        let m = Move {
            sources: vec![queued],
            to: queued,
        };
        let (_, units) = Self::recipient_units(batch, seqs.iter().copied(), &m, |c| {
            c.raise(attr::JOB_AT, millis(at))
        });
        self.apply(&units, false).await?;
        Ok(())
    }

    /// A Query of each of the batch's shards filtered on `queued`
    /// (projecting `seq`, page by page), then conditional updates, 100 a
    /// transaction.
    async fn cancel_queued(&self, batch: &BatchId, at: DateTime<Utc>) -> PortResult<u64> {
        let seqs = self.seqs_in(batch, None, RecipientStatus::Queued).await?;
        Ok(self.cancel(batch, seqs, at).await?)
    }

    /// Conditional `queued → cancelled` updates, 100 a transaction.
    async fn cancel_these(
        &self,
        batch: &BatchId,
        seqs: &[Seq],
        at: DateTime<Utc>,
    ) -> PortResult<u64> {
        Ok(self.cancel(batch, seqs.to_vec(), at).await?)
    }

    /// A Query of each shard filtered on `sending`, projecting seq and
    /// claimed_at; in seq order.
    async fn sending(&self, batch: &BatchId) -> PortResult<Vec<(Seq, DateTime<Utc>)>> {
        let Some(scan) = recipients_in(None) else {
            return Ok(Vec::new());
        };
        let shards = self
            .fold_shards(
                batch,
                &scan.shards,
                |pk| {
                    self.recipient_query(
                        pk,
                        &scan,
                        Some(RecipientStatus::Sending),
                        &[attr::SEQ, attr::CLAIMED_AT],
                    )
                },
                Vec::new,
                |sending, item| {
                    let read = Read::new(item, "recipient");
                    let claimed_at = read.opt_n::<i64>(attr::CLAIMED_AT)?.unwrap_or(0);
                    sending.push((read.n(attr::SEQ)?, from_millis(claimed_at)));
                    Ok(())
                },
            )
            .await?;
        let mut sending: Vec<(Seq, DateTime<Utc>)> = shards.into_iter().flatten().collect();
        sending.sort_unstable_by_key(|(seq, _)| *seq);
        Ok(sending)
    }

    /// A Query of the range's shards projecting status and reason, counted
    /// here (each shard on its own, then together): by status (in the order
    /// of the status names) and by (status, reason), most first, as the
    /// SQLite adapter orders them.
    async fn counts(&self, batch: &BatchId, range: Option<Range<Seq>>) -> PortResult<StatusCounts> {
        type Tally = (BTreeMap<String, u64>, HashMap<(String, String), u64>);
        let Some(scan) = recipients_in(range) else {
            return Ok(StatusCounts::default());
        };
        let shards = self
            .fold_shards(
                batch,
                &scan.shards,
                |pk| self.recipient_query(pk, &scan, None, &[attr::STATUS, attr::REASON]),
                Tally::default,
                |(by_status, reasons), item| {
                    let read = Read::new(item, "recipient");
                    let status = read.s(attr::STATUS)?;
                    *by_status.entry(status.to_owned()).or_default() += 1;
                    if let Some(reason) = read.opt_s(attr::REASON)? {
                        *reasons
                            .entry((status.to_owned(), reason.to_owned()))
                            .or_default() += 1;
                    }
                    Ok(())
                },
            )
            .await?;
        let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
        let mut reasons: HashMap<(String, String), u64> = HashMap::new();
        for (shard_statuses, shard_reasons) in shards {
            for (status, count) in shard_statuses {
                *by_status.entry(status).or_default() += count;
            }
            for (key, count) in shard_reasons {
                *reasons.entry(key).or_default() += count;
            }
        }
        let parse = |status: &str| -> Result<RecipientStatus, DynamoError> {
            status.parse().map_err(|_| DynamoError::BadItem {
                kind: "recipient",
                attribute: attr::STATUS,
            })
        };
        let mut counts = StatusCounts::default();
        for (status, count) in by_status {
            counts.by_status.push((parse(&status)?, count));
        }
        let mut reasons: Vec<((String, String), u64)> = reasons.into_iter().collect();
        reasons
            .sort_by(|((sa, ra), na), ((sb, rb), nb)| sa.cmp(sb).then(nb.cmp(na)).then(ra.cmp(rb)));
        for ((status, reason), count) in reasons {
            counts.reasons.push((parse(&status)?, reason, count));
        }
        Ok(counts)
    }

    /// A Query of every shard, page by page, put in seq order.
    async fn records(&self, batch: &BatchId) -> PortResult<Vec<RecipientRecord>> {
        let Some(scan) = recipients_in(None) else {
            return Ok(Vec::new());
        };
        let shards = self
            .fold_shards(
                batch,
                &scan.shards,
                |pk| self.recipient_query(pk, &scan, None, &[]),
                Vec::new,
                |records, item| {
                    records.push(record_from(item)?);
                    Ok(())
                },
            )
            .await?;
        let mut records: Vec<RecipientRecord> = shards.into_iter().flatten().collect();
        records.sort_unstable_by_key(|r| r.recipient.seq);
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient(seq: Seq) -> Recipient {
        Recipient {
            encoding: Encoding::Ucs2,
            fragments: 2,
            ..Recipient::new(
                seq,
                u64::from(seq) + 2,
                "9434765919".parse().unwrap(),
                format!("+447700900{seq:03}").parse().unwrap(),
                format!("Hello {seq}"),
            )
        }
    }

    #[test]
    fn a_recipient_item_reads_back_as_the_recipient_queued() {
        let item = recipient_item(&"b".parse().unwrap(), &recipient(7));
        assert_eq!(recipient_from(&item).unwrap(), recipient(7));
        assert_eq!(item[crate::dynamo::keys::PK], s("BATCH#b#R00"));
        let record = record_from(&item).unwrap();
        assert_eq!(record.status, RecipientStatus::Queued);
        assert_eq!((record.reason, record.provider_id), (None, None));
        assert_eq!(sk_of(&item), Some("R#0000007"));
    }

    #[test]
    fn the_stored_strings_are_unchanged_and_one_that_no_longer_parses_is_an_error() {
        let item = recipient_item(&"b".parse().unwrap(), &recipient(7));
        assert_eq!(item[attr::NHS_NUMBER], s("9434765919"));
        assert_eq!(item[attr::MOBILE], s("+447700900007"));
        assert_eq!(item[attr::BODY], s("Hello 7"));
        for (attribute, stored) in [
            (attr::NHS_NUMBER, "9434765918"),
            (attr::MOBILE, "+447700900"),
            (attr::MOBILE, "+441632960000"),
        ] {
            let mut bad = item.clone();
            bad.insert(attribute.to_owned(), s(stored));
            let error = recipient_from(&bad).unwrap_err().to_string();
            assert_eq!(
                error,
                format!("a stored recipient item has no usable {attribute}")
            );
        }
    }

    #[test]
    fn repeats_keep_the_first() {
        assert_eq!(first_of_each([3, 1, 3, 2, 1], |x| *x), [3, 1, 2]);
    }
}
