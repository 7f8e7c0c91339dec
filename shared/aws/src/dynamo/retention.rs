//! The `Retention` port on DynamoDB: finished batches are the batch items in
//! the sparse GSI2 partition `EXPIRING`; each of their items gets
//! `expires_at` (seconds, the table's TTL attribute) by one conditional
//! `UpdateItem`, a page of the batch's partition at a time, with a bounded
//! number in flight. There is no batch form of an update (BatchWriteItem
//! only puts and deletes, and a put would overwrite an item a receipt is
//! changing), and a transaction costs twice the write units.
//!
//! Requests for a batch of `n` recipients, `w` waves and `m` texts sent:
//! `n + w + m + 1` UpdateItems, and per page of [`STAMP_PAGE`] items one
//! GetItem (where the last page stopped), one Query and one UpdateItem (the
//! cursor); and one UpdateItem to record when it finished. A million
//! recipients all sent: about 2,000,000 UpdateItems, 2,000,001 write units.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use batchmsg_core::batch::BatchId;
use batchmsg_core::ports::{Finished, PortResult, Retention, Stamped};
use chrono::{DateTime, Utc};
use futures::{StreamExt, stream};

use super::item::{Item, Read, millis, n, s};
use super::keys::{
    BATCH_SK, EXPIRING_BATCHES, GSI2, GSI2PK, MSG_SK, PK, SK, attr, batch_id_of, batch_pk, key,
    msg_pk, sk_of,
};
use super::{DynamoError, DynamoRepos};

/// Items of a batch's partition read (keys and provider id only) and
/// stamped in one `stamp_next`: with their `MSG#` items, up to twice as
/// many updates. At ~10 ms a request and [`STAMP_CONCURRENCY`] in flight, a
/// page takes a quarter of a second or so.
pub const STAMP_PAGE: i32 = 200;

/// Stamping updates in flight at once.
pub const STAMP_CONCURRENCY: usize = 16;

fn seconds(at: DateTime<Utc>) -> AttributeValue {
    n(at.timestamp())
}

impl DynamoRepos {
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
    /// where did the last page stop), a Query of the next [`STAMP_PAGE`]
    /// items of its partition after the cursor (keys and provider id), an
    /// UpdateItem per item and per `MSG#` item of a sent text, then one
    /// UpdateItem of the batch item: the new cursor, or, after the last
    /// page, its own `expires_at` with `GSI2PK` and the cursor removed.
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
        // The batch item's own sort key sorts before `R#` and `W#`: "after
        // it" is every other item of the partition.
        let after = read
            .opt_s(attr::EXPIRY_CURSOR)?
            .unwrap_or(BATCH_SK)
            .to_owned();
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND #sk > :after")
            .projection_expression("#pk, #sk, #provider")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_names("#provider", attr::PROVIDER_ID)
            .expression_attribute_values(":pk", s(batch_pk(id)))
            .expression_attribute_values(":after", s(&after))
            .limit(STAMP_PAGE)
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.request_error("Query", e))?;
        let page = out.items.unwrap_or_default();
        let last_sk = page.last().and_then(sk_of).map(str::to_owned);
        let mut keys = Vec::with_capacity(page.len() * 2);
        for item in &page {
            let read = Read::new(item, "item");
            keys.push(key(batch_pk(id), read.s(SK)?));
            if let Some(provider_id) = read.opt_s(attr::PROVIDER_ID)? {
                keys.push(key(msg_pk(provider_id), MSG_SK));
            }
        }
        let mut items = self.expire_items(keys, expires_at).await?;
        let more = out.last_evaluated_key.is_some_and(|k| !k.is_empty());
        match (more, last_sk) {
            (true, Some(last)) => {
                self.update_expiring(id, "SET #cursor = :cursor", &[(":cursor", s(last))])
                    .await?;
                Ok(Stamped { items, done: false })
            }
            _ => {
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
    }
}
