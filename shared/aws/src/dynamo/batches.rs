//! Batch items: `BATCH#{id}` / `BATCH`, listed newest first through GSI1;
//! the open ones (see [`BatchRepo::open_batches`]) also through the sparse
//! GSI2, which a batch joins as it moves to a status the sweep looks at and
//! leaves as it completes or is closed.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use batchmsg_core::batch::{Batch, BatchId};
use batchmsg_core::delivery::{BatchEvent, BatchStatus};
use batchmsg_core::ports::{BatchRepo, ListCounts, PortResult, UploadClaim};

use super::item::{Item, Read, n, s};
use super::keys::{
    BATCH_SK, BATCHES, EXPIRING_BATCHES, GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, OPEN_BATCHES,
    PK, attr, batch_id_of, batch_pk, batches_sk, key,
};
use super::moves::{Change, Move};
use super::{DynamoError, DynamoRepos};

fn batch_item(batch: &Batch) -> Item {
    let created_ms = batch.created_at.timestamp_millis();
    let mut item = key(batch_pk(&batch.id), BATCH_SK);
    item.extend([
        (attr::STATUS.to_owned(), s(batch.status.as_str())),
        (attr::CREATED_AT.to_owned(), n(created_ms)),
        (attr::LIST_NAME.to_owned(), s(&batch.list_name)),
        (attr::MESSAGE.to_owned(), s(&batch.message)),
        (attr::ROWS.to_owned(), n(batch.rows)),
        (attr::ACCEPTED.to_owned(), n(batch.accepted)),
        (attr::NOT_ACCEPTED.to_owned(), n(batch.not_accepted)),
        (GSI1PK.to_owned(), s(BATCHES)),
        (GSI1SK.to_owned(), s(batches_sk(created_ms, &batch.id))),
        // Without GSI2PK the item is not in GSI2: the sort key waits here.
        (GSI2SK.to_owned(), s(batches_sk(created_ms, &batch.id))),
    ]);
    if batch.status.is_swept() {
        item.insert(GSI2PK.to_owned(), s(OPEN_BATCHES));
    }
    item
}

fn batch_from(item: &Item) -> Result<Batch, DynamoError> {
    let read = Read::new(item, "batch");
    Ok(Batch {
        id: batch_id_of(read.s(PK)?).ok_or(DynamoError::BadItem {
            kind: "batch",
            attribute: PK,
        })?,
        status: read.parsed(attr::STATUS)?,
        created_at: read.time(attr::CREATED_AT)?,
        list_name: read.s(attr::LIST_NAME)?.to_owned(),
        message: read.s(attr::MESSAGE)?.to_owned(),
        rows: read.n(attr::ROWS)?,
        accepted: read.n(attr::ACCEPTED)?,
        not_accepted: read.n(attr::NOT_ACCEPTED)?,
    })
}

impl DynamoRepos {
    /// Whether a conditional UpdateItem's condition held: a failed condition
    /// is `false`, any other failure an error.
    fn condition_held<T>(&self, result: Result<T, SdkError<UpdateItemError>>) -> PortResult<bool> {
        match result {
            Ok(_) => Ok(true),
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(self.request_error("UpdateItem", error).into()),
            },
        }
    }
}

impl BatchRepo for DynamoRepos {
    /// One PutItem, conditional on no item having the key.
    async fn create_batch(&self, batch: &Batch) -> PortResult<bool> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(batch_item(batch)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(_)) => Ok(false),
                _ => Err(self.request_error("PutItem", error).into()),
            },
        }
    }

    /// One strongly consistent GetItem.
    async fn batch(&self, id: &BatchId) -> PortResult<Option<Batch>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(batch_pk(id), BATCH_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.request_error("GetItem", e))?;
        Ok(out.item.as_ref().map(batch_from).transpose()?)
    }

    /// A Query of GSI1 backwards, page by page. Index reads are eventually
    /// consistent: a batch created a moment ago may be missing.
    async fn batches(&self) -> PortResult<Vec<Batch>> {
        let items = self
            .query_all(|| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .index_name(GSI1)
                    .key_condition_expression("#gsi1pk = :batches")
                    .expression_attribute_names("#gsi1pk", GSI1PK)
                    .expression_attribute_values(":batches", AttributeValue::S(BATCHES.to_owned()))
                    .scan_index_forward(false)
            })
            .await?;
        Ok(items.iter().map(batch_from).collect::<Result<_, _>>()?)
    }

    /// A Query of the sparse GSI2 backwards, page by page: only the open
    /// batches are read, however many have finished. Eventually consistent,
    /// as GSI1.
    async fn open_batches(&self) -> PortResult<Vec<Batch>> {
        let items = self
            .query_all(|| {
                self.client
                    .query()
                    .table_name(&self.table)
                    .index_name(GSI2)
                    .key_condition_expression("#gsi2pk = :open")
                    .expression_attribute_names("#gsi2pk", GSI2PK)
                    .expression_attribute_values(":open", s(OPEN_BATCHES))
                    .scan_index_forward(false)
            })
            .await?;
        Ok(items.iter().map(batch_from).collect::<Result<_, _>>()?)
    }

    /// One UpdateItem moving the batch from the open batches to the
    /// finished ones (`GSI2PK` = `EXPIRING`, for the retention run),
    /// conditional on the batch being cancelled and open; or back to the
    /// finished ones when its items were all given their expiry already (no
    /// `GSI2PK`, `expires_at` set). That is an import cancelled while it
    /// wrote: the sweep closed and stamped the batch, then the import's
    /// writes in flight landed, and the import closes it once it sees the
    /// cancel, so that the retention run stamps those rows too (with the
    /// same `finished_at`, so the same expiry).
    async fn close(&self, id: &BatchId) -> PortResult<bool> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(batch_pk(id), BATCH_SK)))
            .update_expression("SET #gsi2pk = :expiring")
            .condition_expression(
                "#status = :cancelled AND (#gsi2pk = :open OR \
                 (attribute_not_exists(#gsi2pk) AND attribute_exists(#expires)))",
            )
            .expression_attribute_names("#gsi2pk", GSI2PK)
            .expression_attribute_names("#expires", attr::EXPIRES_AT)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":cancelled", s(BatchStatus::Cancelled.as_str()))
            .expression_attribute_values(":open", s(OPEN_BATCHES))
            .expression_attribute_values(":expiring", s(EXPIRING_BATCHES))
            .send()
            .await;
        self.condition_held(result)
    }

    /// One conditional UpdateItem, which also puts the batch in the open
    /// index or takes it out, as its new status says; a batch completed
    /// goes to the finished ones (`EXPIRING`) in the same write.
    async fn batch_event(&self, id: &BatchId, event: BatchEvent) -> PortResult<bool> {
        let Some(m) = Move::batch(event)? else {
            return Ok(false);
        };
        let to: BatchStatus = m.to.parse().map_err(|_| DynamoError::BadItem {
            kind: "batch",
            attribute: attr::STATUS,
        })?;
        let index = if to.is_swept() {
            Some(s(OPEN_BATCHES))
        } else if to.is_final() {
            Some(s(EXPIRING_BATCHES))
        } else {
            None
        };
        let change = Change::new(key(batch_pk(id), BATCH_SK), &m).set_or_remove(GSI2PK, index);
        Ok(self.update(&change, false).await?.happened())
    }

    /// One UpdateItem, conditional on the batch waiting for its upload and
    /// holding no other upload's tag. The tag it held before
    /// (`ReturnValues: ALL_OLD`: moto leaves an attribute set to the value it had
    /// out of `UPDATED_OLD`) tells the first claim from a repeat: a
    /// claim the SDK retried after its answer was lost finds its own tag,
    /// and is taken as a repeat (the safe side: its rows are then looked up
    /// before they are written).
    async fn claim_upload(&self, id: &BatchId, tag: &str) -> PortResult<UploadClaim> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(batch_pk(id), BATCH_SK)))
            .update_expression("SET #tag = :tag")
            .condition_expression(
                "#status = :waiting AND (attribute_not_exists(#tag) OR #tag = :tag)",
            )
            .expression_attribute_names("#tag", attr::UPLOAD_TAG)
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":tag", s(tag))
            .expression_attribute_values(":waiting", s(BatchStatus::AwaitingUpload.as_str()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        let held_before = match &result {
            Ok(out) => out
                .attributes()
                .is_some_and(|old| old.contains_key(attr::UPLOAD_TAG)),
            Err(_) => false,
        };
        Ok(match self.condition_held(result)? {
            false => UploadClaim::Refused,
            true if held_before => UploadClaim::Again,
            true => UploadClaim::First,
        })
    }

    /// One conditional UpdateItem that sets the counts with the status.
    async fn mark_validated(&self, id: &BatchId, counts: ListCounts) -> PortResult<bool> {
        let Some(m) = Move::batch(BatchEvent::Validate)? else {
            return Ok(false);
        };
        let change = Change::new(key(batch_pk(id), BATCH_SK), &m)
            .set(attr::ROWS, n(counts.rows))
            .set(attr::ACCEPTED, n(counts.accepted))
            .set(attr::NOT_ACCEPTED, n(counts.not_accepted));
        Ok(self.update(&change, false).await?.happened())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::item::millis;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_batch_item_reads_back_as_the_batch() {
        let batch = Batch {
            id: "20261125-090000-0001".parse().unwrap(),
            status: BatchStatus::Validated,
            created_at: Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
                + chrono::TimeDelta::milliseconds(7),
            list_name: "clinic.csv".to_owned(),
            message: "Hello ((name))".to_owned(),
            rows: 12,
            accepted: 10,
            not_accepted: 2,
        };
        let item = batch_item(&batch);
        assert_eq!(item[GSI1SK], s("1795597200007#20261125-090000-0001"));
        assert_eq!(item[attr::CREATED_AT], millis(batch.created_at));
        assert_eq!(batch_from(&item).unwrap(), batch);
        assert!(!item.contains_key(GSI2PK), "a validated batch is not open");
        let sending = Batch {
            status: BatchStatus::Sending,
            ..batch
        };
        assert_eq!(batch_item(&sending)[GSI2PK], s(OPEN_BATCHES));
    }
}
