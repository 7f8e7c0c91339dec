//! The `Retention` port on DynamoDB: finished batches are the batch items in
//! the sparse GSI2 partition `EXPIRING`; each of their items gets
//! `expires_at` (seconds, the table's TTL attribute) by one conditional
//! `UpdateItem`, a page of the batch's items at a time, with a bounded
//! number in flight. Recipients first, a window of [`STAMP_PAGE`] seqs a
//! page read from every shard at once (module `cursor`); then the batch's
//! own partition (its waves); the batch item itself last. `expiry_cursor`
//! on the batch item says where the last page stopped. There is no batch
//! form of an update (BatchWriteItem only puts and deletes, and a put would
//! overwrite an item a receipt is changing), and a transaction costs twice
//! the write units.
//!
//! A page's updates go in turn to each shard it read (the first item of
//! each, then the second…), with their `MSG#` items between: of the
//! [`STAMP_CONCURRENCY`] in flight, one or two are on any one key, so at
//! ~10 ms a request no key comes near DynamoDB's 1,000 writes a second,
//! where the same updates on the batch's one key (as before the shards)
//! asked it for up to 1,600.
//!
//! Requests for a batch of `n` recipients, `w` waves and `m` texts sent:
//! `n + w + m + 1` UpdateItems; per page of [`STAMP_PAGE`] recipients one
//! GetItem (where the last page stopped), 16 Queries (one a shard, each of
//! a block and one more) and one UpdateItem (the cursor); one Query for the
//! waves, with the last page; and one UpdateItem to record when it
//! finished. A 10-recipient batch costs 16 Queries more than on one
//! partition; a million recipients all sent, about 2,000,000 UpdateItems
//! (2,000,001 write units) and 80,000 Queries, where one partition took
//! 5,000.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::ports::{Finished, PortResult, Retention, Stamped};
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt, stream};

use super::cursor::{Cursor, ShardRead, in_turn, next_step};
use super::item::{Item, Read, millis, n, s};
use super::keys::{
    BATCH_SK, EXPIRING_BATCHES, GSI2, GSI2PK, MSG_SK, PK, SHARD_BLOCK, SK, all_shards, attr,
    batch_id_of, batch_pk, key, msg_pk, recipient_pk, recipient_seq_of, recipient_sk,
};
use super::shard_reads::SHARD_QUERY_CONCURRENCY;
use super::{DynamoError, DynamoRepos};

/// Recipient seqs (and waves) read (keys and provider id only) and stamped
/// in one `stamp_next`: with their `MSG#` items, up to twice as many
/// updates. At ~10 ms a request and [`STAMP_CONCURRENCY`] in flight, a page
/// takes a quarter of a second or so. A window of 200 seqs holds at most
/// one block of each shard.
pub const STAMP_PAGE: i32 = 200;

/// Stamping updates in flight at once.
pub const STAMP_CONCURRENCY: usize = 16;

fn seconds(at: DateTime<Utc>) -> AttributeValue {
    n(at.timestamp())
}

/// One page of a partition, for stamping: the items (keys, seq and
/// provider id), and the sort key of the last read when the partition may
/// hold more after it.
struct ExpiryPage {
    items: Vec<Item>,
    last_evaluated: Option<String>,
}

/// Items a page asks of each recipient shard: the most one shard holds in
/// a window of [`STAMP_PAGE`] seqs (a block), and one more, which says
/// where that shard goes on past the window, however far.
const SHARD_READ: i32 = SHARD_BLOCK as i32 + 1;

impl DynamoRepos {
    /// Up to `limit` items of partition `pk` whose sort key is `bound`
    /// (`>=` or `>`, and a sort key), strongly consistent: keys, seq and
    /// provider id.
    async fn expiry_page(
        &self,
        pk: String,
        bound: (&str, String),
        limit: i32,
    ) -> Result<ExpiryPage, DynamoError> {
        let (operator, sk) = bound;
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(format!("#pk = :pk AND #sk {operator} :sk"))
            .projection_expression("#pk, #sk, #seq, #provider")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_names("#seq", attr::SEQ)
            .expression_attribute_names("#provider", attr::PROVIDER_ID)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":sk", s(sk))
            .limit(limit)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.request_error("Query", e))?;
        let last_evaluated = match out.last_evaluated_key {
            Some(last) if !last.is_empty() => Some(Read::new(&last, "item").s(SK)?.to_owned()),
            _ => None,
        };
        Ok(ExpiryPage {
            items: out.items.unwrap_or_default(),
            last_evaluated,
        })
    }

    /// The recipients of the page from seq `from`: each shard's next
    /// [`SHARD_READ`] from `from` (all shards at once), those [`next_step`]
    /// says to stamp, in turn from each shard (so the updates in flight are
    /// on different keys), and where the next page starts.
    async fn recipient_expiry_page(
        &self,
        id: &BatchId,
        from: Seq,
    ) -> Result<(Vec<Item>, Option<Seq>), DynamoError> {
        let reads: Vec<_> = all_shards()
            .map(|shard| {
                self.expiry_page(
                    recipient_pk(id, shard),
                    (">=", recipient_sk(from)),
                    SHARD_READ,
                )
            })
            .collect();
        let pages: Vec<ExpiryPage> = stream::iter(reads)
            .buffered(SHARD_QUERY_CONCURRENCY)
            .try_collect()
            .await?;
        let mut shard_reads = Vec::with_capacity(pages.len());
        for page in &pages {
            let mut seqs = Vec::with_capacity(page.items.len());
            for item in &page.items {
                seqs.push(Read::new(item, "recipient").n::<Seq>(attr::SEQ)?);
            }
            let last_evaluated = match &page.last_evaluated {
                Some(sk) => Some(recipient_seq_of(sk).ok_or(DynamoError::BadItem {
                    kind: "recipient",
                    attribute: SK,
                })?),
                None => None,
            };
            shard_reads.push(ShardRead {
                seqs,
                last_evaluated,
            });
        }
        let step = next_step(from, STAMP_PAGE as Seq, &shard_reads);
        let shards = pages
            .into_iter()
            .zip(&shard_reads)
            .map(|(page, read)| read.seqs.iter().copied().zip(page.items).collect())
            .collect();
        let stamp = in_turn(shards, step.below);
        Ok((stamp, step.next))
    }

    /// Gives each item of `keys` `expires_at`, unless it is gone (the
    /// condition keeps an update from making an item of its key alone);
    /// how many were stamped.
    async fn expire_items(&self, keys: Vec<Item>, at: DateTime<Utc>) -> Result<u64, DynamoError> {
        // The futures are made first, as the import's are (recipients.rs).
        let updates: Vec<_> = keys
            .into_iter()
            .map(|item_key| {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(item_key))
                    .update_expression("SET #expires = :expires")
                    .condition_expression("attribute_exists(#pk)")
                    .expression_attribute_names("#expires", attr::EXPIRES_AT)
                    .expression_attribute_names("#pk", PK)
                    .expression_attribute_values(":expires", seconds(at))
                    .send()
            })
            .collect();
        let mut answers = stream::iter(updates).buffer_unordered(STAMP_CONCURRENCY);
        let mut stamped = 0;
        while let Some(answer) = answers.next().await {
            match answer {
                Ok(_) => stamped += 1,
                Err(error)
                    if matches!(
                        error.as_service_error(),
                        Some(UpdateItemError::ConditionalCheckFailedException(_))
                    ) => {}
                Err(error) => return Err(self.request_error("UpdateItem", error)),
            }
        }
        Ok(stamped)
    }

    /// One UpdateItem of the batch item, conditional on it still being
    /// among the finished: `false` if it is not.
    async fn update_expiring(
        &self,
        id: &BatchId,
        expression: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, DynamoError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(batch_pk(id), BATCH_SK)))
            .update_expression(expression)
            .condition_expression("#gsi2pk = :expiring")
            .expression_attribute_names("#gsi2pk", GSI2PK)
            .expression_attribute_values(":expiring", s(EXPIRING_BATCHES));
        for (name, value) in values {
            request = request.expression_attribute_values(*name, value.clone());
        }
        if expression.contains("#cursor") {
            request = request.expression_attribute_names("#cursor", attr::EXPIRY_CURSOR);
        }
        if expression.contains("#expires") {
            request = request.expression_attribute_names("#expires", attr::EXPIRES_AT);
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(self.request_error("UpdateItem", error)),
            },
        }
    }
}

impl Retention for DynamoRepos {
    /// One Query of GSI2's `EXPIRING` partition, oldest created first.
    /// Eventually consistent: a batch just done may still be listed (its
    /// `stamp_next` is then `done` at once).
    async fn finished(&self, limit: usize) -> PortResult<Vec<Finished>> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .key_condition_expression("#gsi2pk = :expiring")
            .expression_attribute_names("#gsi2pk", GSI2PK)
            .expression_attribute_values(":expiring", s(EXPIRING_BATCHES))
            .scan_index_forward(true)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX).max(1))
            .send()
            .await
            .map_err(|e| self.request_error("Query", e))?;
        let mut finished = Vec::new();
        for item in out.items() {
            let read = Read::new(item, "batch");
            finished.push(Finished {
                id: batch_id_of(read.s(PK)?).ok_or(DynamoError::BadItem {
                    kind: "batch",
                    attribute: PK,
                })?,
                finished_at: read.opt_time(attr::FINISHED_AT)?,
            });
        }
        Ok(finished)
    }

    /// One UpdateItem, `if_not_exists`, returning the item as stored (moto
    /// leaves an attribute `if_not_exists` kept out of `UPDATED_NEW`).
    async fn record_finished_at(
        &self,
        id: &BatchId,
        at: DateTime<Utc>,
    ) -> PortResult<Option<DateTime<Utc>>> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(batch_pk(id), BATCH_SK)))
            .update_expression("SET #at = if_not_exists(#at, :at)")
            .condition_expression("#gsi2pk = :expiring")
            .expression_attribute_names("#at", attr::FINISHED_AT)
            .expression_attribute_names("#gsi2pk", GSI2PK)
            .expression_attribute_values(":at", millis(at))
            .expression_attribute_values(":expiring", s(EXPIRING_BATCHES))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                Ok(Some(
                    Read::new(&item, "batch")
                        .opt_time(attr::FINISHED_AT)?
                        .ok_or(DynamoError::BadItem {
                            kind: "batch",
                            attribute: attr::FINISHED_AT,
                        })?,
                ))
            }
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(None),
                _ => Err(self.request_error("UpdateItem", error).into()),
            },
        }
    }

    /// A strongly consistent GetItem of the batch item (is it finished,
    /// where did the last page stop), the Queries of the next page (the
    /// recipients of the next window, from every shard; with or after the
    /// last of them, a page of waves), an UpdateItem per item and per
    /// `MSG#` item of a sent text, then one UpdateItem of the batch item:
    /// the new cursor, or, after the last page, its own `expires_at` with
    /// `GSI2PK` and the cursor removed.
    async fn stamp_next(&self, id: &BatchId, expires_at: DateTime<Utc>) -> PortResult<Stamped> {
        let done = Stamped {
            items: 0,
            done: true,
        };
        let batch = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(batch_pk(id), BATCH_SK)))
            .consistent_read(true)
            .projection_expression("#gsi2pk, #cursor")
            .expression_attribute_names("#gsi2pk", GSI2PK)
            .expression_attribute_names("#cursor", attr::EXPIRY_CURSOR)
            .send()
            .await
            .map_err(|e| self.request_error("GetItem", e))?
            .item
            .unwrap_or_default();
        let read = Read::new(&batch, "batch");
        if read.opt_s(GSI2PK)? != Some(EXPIRING_BATCHES) {
            return Ok(done);
        }
        let mut cursor = read
            .opt_s(attr::EXPIRY_CURSOR)?
            .and_then(Cursor::decode)
            .unwrap_or(Cursor::START);
        let mut page = Vec::new();
        if let Cursor::Recipients(from) = cursor {
            let (items, next) = self.recipient_expiry_page(id, from).await?;
            page = items;
            cursor = next.map_or_else(Cursor::own, Cursor::Recipients);
        }
        // Whether every item but the batch's own is in this page or before.
        let mut through = false;
        // Recipients just finished: their last page and the waves together.
        if let Cursor::Own(after) = &cursor {
            let own = self
                .expiry_page(batch_pk(id), (">", after.clone()), STAMP_PAGE)
                .await?;
            page.extend(own.items);
            match own.last_evaluated {
                Some(last) => cursor = Cursor::Own(last),
                None => through = true,
            }
        }
        let mut keys = Vec::with_capacity(page.len() * 2);
        for item in &page {
            let read = Read::new(item, "item");
            keys.push(key(read.s(PK)?.to_owned(), read.s(SK)?));
            if let Some(provider_id) = read.opt_s(attr::PROVIDER_ID)? {
                keys.push(key(msg_pk(provider_id), MSG_SK));
            }
        }
        let mut items = self.expire_items(keys, expires_at).await?;
        if !through {
            self.update_expiring(
                id,
                "SET #cursor = :cursor",
                &[(":cursor", s(cursor.encode()))],
            )
            .await?;
            return Ok(Stamped { items, done: false });
        }
        let stamped = self
            .update_expiring(
                id,
                "SET #expires = :expires REMOVE #gsi2pk, #cursor",
                &[(":expires", seconds(expires_at))],
            )
            .await?;
        items += u64::from(stamped);
        Ok(Stamped { items, done: true })
    }
}
