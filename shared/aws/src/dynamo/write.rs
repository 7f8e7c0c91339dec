//! The batched requests: BatchWriteItem (25), BatchGetItem (100) with their
//! unprocessed items retried, TransactWriteItems (100 items) with fallback,
//! and Query page by page.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    KeysAndAttributes, Put, PutRequest, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, WriteRequest,
};

use super::item::Item;
use super::moves::Change;
use super::{DynamoError, DynamoRepos};

/// AWS's limit on a BatchWriteItem request (moto does not enforce it).
pub const BATCH_WRITE_MAX: usize = 25;
/// AWS's limit on a BatchGetItem request.
pub const BATCH_GET_MAX: usize = 100;
/// Requests of one import in flight at once: BatchWriteItem of 25 new
/// recipients, or a BatchGetItem of 100 and then their writes. At ~10 ms a
/// request, 16 make a 1,000,000-row import 40,000 requests in ~25 s (see
/// docs/aws.md, "Scale"); more buys little once CPU is the larger part.
/// The 16 in flight are writes of consecutive blocks of 25 seqs: 16
/// different recipient shards (`RECIPIENT_SHARDS`), so no partition key
/// takes more than one at a time.
pub const IMPORT_CONCURRENCY: usize = 16;
/// AWS's limit on the items of one TransactWriteItems request.
pub const TRANSACTION_MAX: usize = 100;
/// How often a cancelled transaction is tried again, without the items that
/// failed their condition, before each item is sent on its own.
pub const TRANSACTION_ROUNDS: u32 = 3;

/// The cancellation reason of an item whose condition failed.
const CONDITION_FAILED: &str = "ConditionalCheckFailed";
/// Reasons that say "try again": another write, or throughput.
const TRANSIENT: [&str; 4] = [
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
];

/// Exponential backoff with jitter for unprocessed items and conflicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub(crate) first: Duration,
    pub(crate) max: Duration,
    /// Attempts in all, the first included.
    pub(crate) attempts: u32,
}

impl Backoff {
    /// 50 ms, doubling to at most 3.2 s, 8 attempts: about 6 s in all.
    pub(crate) const STANDARD: Backoff = Backoff {
        first: Duration::from_millis(50),
        max: Duration::from_millis(3_200),
        attempts: 8,
    };

    /// The longest wait before retry `retry`.
    pub(crate) fn full(&self, retry: u32) -> Duration {
        self.first
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max)
    }

    /// The wait before retry `retry` (0 for the first retry): half the
    /// exponential delay, plus up to half again at random.
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let full = self.full(retry);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let half = full / 2;
        half + half.mul_f64(f64::from(nanos % 1_000) / 1_000.0)
    }
}

/// The longest an adapter write of `units` changes (each with a put beside
/// it when `with_put`, as `mark_sent` has) can take when every request takes
/// `operation` (the client's timeout) and every wait is its longest: the
/// transaction rounds, then each unit on its own (a change with a put goes
/// as a transaction, retried up to [`Backoff::STANDARD`]'s attempts). What
/// the send function's deadline margin counts a write as.
pub fn write_bound(operation: Duration, units: usize, with_put: bool) -> Duration {
    let waits = |n: u32| (0..n).map(|r| Backoff::STANDARD.full(r)).sum::<Duration>();
    let rounds = if units >= 2 {
        operation * TRANSACTION_ROUNDS + waits(TRANSACTION_ROUNDS)
    } else {
        Duration::ZERO
    };
    let alone = if with_put {
        operation * Backoff::STANDARD.attempts + waits(Backoff::STANDARD.attempts - 1)
    } else {
        operation
    };
    rounds + alone * units as u32
}

/// Splits `items` into requests of at most `max`.
pub(crate) fn chunked<T>(items: Vec<T>, max: usize) -> Vec<Vec<T>> {
    let mut chunks = Vec::with_capacity(items.len().div_ceil(max.max(1)));
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(max.max(1)).collect());
    }
    chunks
}

/// Sends `pending` with `send`, which returns what it got and what was left
/// unprocessed, until nothing is left, waiting longer each time; an error
/// after `backoff.attempts`.
pub(crate) async fn until_processed<T, R, F, Fut>(
    operation: &'static str,
    mut pending: Vec<T>,
    backoff: Backoff,
    mut send: F,
) -> Result<Vec<R>, DynamoError>
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Result<(Vec<R>, Vec<T>), DynamoError>>,
{
    let mut done = Vec::new();
    for attempt in 0..backoff.attempts {
        if pending.is_empty() {
            break;
        }
        if attempt > 0 {
            tokio::time::sleep(backoff.delay(attempt - 1)).await;
        }
        let (got, left) = send(std::mem::take(&mut pending)).await?;
        done.extend(got);
        pending = left;
    }
    if !pending.is_empty() {
        return Err(DynamoError::Unprocessed {
            operation,
            left: pending.len(),
            attempts: backoff.attempts,
        });
    }
    Ok(done)
}

/// One logical change: a conditional update, and with it (in the same
/// transaction) an unconditional put.
#[derive(Clone, Debug)]
pub(crate) struct Unit {
    pub(crate) change: Change,
    pub(crate) put: Option<Item>,
}

impl Unit {
    pub(crate) fn update(change: Change) -> Self {
        Self { change, put: None }
    }

    fn items(&self) -> usize {
        1 + usize::from(self.put.is_some())
    }
}

/// Whether a unit's update happened; the item as it is now, when asked for
/// and the update was sent on its own.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Moved {
    No,
    Yes(Option<Item>),
}

impl Moved {
    pub(crate) fn happened(&self) -> bool {
        matches!(self, Moved::Yes(_))
    }
}

/// Ranges of `units` that fit in one transaction each.
pub(crate) fn transaction_chunks(units: &[Unit]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut items) = (0, 0);
    for (i, unit) in units.iter().enumerate() {
        if items + unit.items() > TRANSACTION_MAX {
            ranges.push(start..i);
            (start, items) = (i, 0);
        }
        items += unit.items();
    }
    if start < units.len() {
        ranges.push(start..units.len());
    }
    ranges
}

enum Transacted {
    Done,
    /// The cancellation reason code of each item, in order ("None" for an
    /// item that was fine).
    Cancelled(Vec<String>),
}

impl DynamoRepos {
    /// Writes `requests` with BatchWriteItem, 25 a request, one request at
    /// a time, retrying unprocessed items.
    pub(crate) async fn write_all(&self, requests: Vec<WriteRequest>) -> Result<(), DynamoError> {
        for chunk in chunked(requests, BATCH_WRITE_MAX) {
            self.write_chunk(chunk).await?;
        }
        Ok(())
    }

    /// One BatchWriteItem of at most 25 requests, its unprocessed items
    /// sent again with [`Backoff::STANDARD`] until none is left.
    pub(crate) async fn write_chunk(&self, chunk: Vec<WriteRequest>) -> Result<(), DynamoError> {
        until_processed(
            "BatchWriteItem",
            chunk,
            Backoff::STANDARD,
            |chunk| async move {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, chunk)
                    .send()
                    .await
                    .map_err(|e| self.request_error("BatchWriteItem", e))?;
                let left = out
                    .unprocessed_items
                    .and_then(|mut items| items.remove(&self.table))
                    .unwrap_or_default();
                Ok((Vec::<()>::new(), left))
            },
        )
        .await?;
        Ok(())
    }

    /// Reads the items with `keys` (strongly consistent), 100 a request,
    /// retrying unprocessed keys; only those that exist, in no order.
    pub(crate) async fn get_all(
        &self,
        keys: Vec<Item>,
        projection: &[&'static str],
    ) -> Result<Vec<Item>, DynamoError> {
        let mut found = Vec::with_capacity(keys.len());
        let names: HashMap<String, String> = projection
            .iter()
            .map(|a| (format!("#{a}"), (*a).to_owned()))
            .collect();
        let projection = projection
            .iter()
            .map(|a| format!("#{a}"))
            .collect::<Vec<_>>()
            .join(", ");
        for chunk in chunked(keys, BATCH_GET_MAX) {
            let got = until_processed("BatchGetItem", chunk, Backoff::STANDARD, |chunk| {
                let names = names.clone();
                let projection = projection.clone();
                async move {
                    let request = KeysAndAttributes::builder()
                        .set_keys(Some(chunk))
                        .consistent_read(true)
                        .projection_expression(projection)
                        .set_expression_attribute_names(Some(names))
                        .build()?;
                    let out = self
                        .client
                        .batch_get_item()
                        .request_items(&self.table, request)
                        .send()
                        .await
                        .map_err(|e| self.request_error("BatchGetItem", e))?;
                    let got = out
                        .responses
                        .and_then(|mut r| r.remove(&self.table))
                        .unwrap_or_default();
                    let left = out
                        .unprocessed_keys
                        .and_then(|mut u| u.remove(&self.table))
                        .map(|k| k.keys)
                        .unwrap_or_default();
                    Ok((got, left))
                }
            })
            .await?;
            found.extend(got);
        }
        Ok(found)
    }

    /// Every item a query finds, page by page: `each` gets every page.
    pub(crate) async fn query_pages(
        &self,
        query: impl Fn() -> QueryFluentBuilder,
        mut each: impl FnMut(Vec<Item>) -> Result<(), DynamoError>,
    ) -> Result<(), DynamoError> {
        let mut start = None;
        loop {
            let out = query()
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.request_error("Query", e))?;
            each(out.items.unwrap_or_default())?;
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(()),
            }
        }
    }

    pub(crate) async fn query_all(
        &self,
        query: impl Fn() -> QueryFluentBuilder,
    ) -> Result<Vec<Item>, DynamoError> {
        let mut items = Vec::new();
        self.query_pages(query, |page| {
            items.extend(page);
            Ok(())
        })
        .await?;
        Ok(items)
    }

    /// Applies each unit if its condition holds: whether it moved, in order.
    /// Units go in transactions of up to 100 items; see the module's
    /// documentation for what happens when one is cancelled. `read_back`:
    /// units sent on their own return the item as it is now; one or two
    /// units are then sent on their own rather than in a transaction.
    pub(crate) async fn apply(
        &self,
        units: &[Unit],
        read_back: bool,
    ) -> Result<Vec<Moved>, DynamoError> {
        let mut moved = Vec::with_capacity(units.len());
        for range in transaction_chunks(units) {
            moved.extend(self.apply_chunk(&units[range], read_back).await?);
        }
        Ok(moved)
    }

    async fn apply_chunk(
        &self,
        units: &[Unit],
        read_back: bool,
    ) -> Result<Vec<Moved>, DynamoError> {
        let alone_below = if read_back { 3 } else { 2 };
        let mut moved = vec![Moved::No; units.len()];
        let mut pending: Vec<usize> = (0..units.len()).collect();
        let mut rounds = 0;
        while pending.len() >= alone_below && rounds < TRANSACTION_ROUNDS {
            rounds += 1;
            let items: usize = pending.iter().map(|&i| units[i].items()).sum();
            match self.transact(pending.iter().map(|&i| &units[i])).await? {
                Transacted::Done => {
                    for i in pending.drain(..) {
                        moved[i] = Moved::Yes(None);
                    }
                }
                Transacted::Cancelled(codes) => {
                    if codes.len() != items {
                        break;
                    }
                    let mut kept = Vec::with_capacity(pending.len());
                    let (mut at, mut dropped, mut unknown) = (0, false, false);
                    for &i in &pending {
                        let own = &codes[at..at + units[i].items()];
                        at += own.len();
                        if own.iter().any(|c| c == CONDITION_FAILED) {
                            dropped = true;
                        } else {
                            unknown |= own
                                .iter()
                                .any(|c| c != "None" && !TRANSIENT.contains(&c.as_str()));
                            kept.push(i);
                        }
                    }
                    pending = kept;
                    if unknown {
                        // Let each item's own request say what is wrong.
                        break;
                    }
                    if !dropped {
                        // Conflicts only: the same again, a little later.
                        tokio::time::sleep(Backoff::STANDARD.delay(rounds - 1)).await;
                    }
                }
            }
        }
        for i in pending {
            moved[i] = self.alone(&units[i], read_back).await?;
        }
        Ok(moved)
    }

    async fn transact<'u>(
        &self,
        units: impl Iterator<Item = &'u Unit>,
    ) -> Result<Transacted, DynamoError> {
        let mut items = Vec::new();
        for unit in units {
            items.push(
                TransactWriteItem::builder()
                    .update(unit.change.transact_update(&self.table)?)
                    .build(),
            );
            if let Some(put) = &unit.put {
                items.push(
                    TransactWriteItem::builder()
                        .put(
                            Put::builder()
                                .table_name(&self.table)
                                .set_item(Some(put.clone()))
                                .build()?,
                        )
                        .build(),
                );
            }
        }
        // The SDK gives each call an idempotency token (ClientRequestToken)
        // that its own retries reuse, so a retried transaction that had in
        // fact succeeded reports success rather than failed conditions.
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Transacted::Done),
            Err(error) => match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                    Ok(Transacted::Cancelled(
                        cancelled
                            .cancellation_reasons()
                            .iter()
                            .map(|r| r.code().unwrap_or("None").to_owned())
                            .collect(),
                    ))
                }
                _ => Err(self.request_error("TransactWriteItems", error)),
            },
        }
    }

    /// One unit on its own: an UpdateItem, or a transaction of its update
    /// and put.
    async fn alone(&self, unit: &Unit, read_back: bool) -> Result<Moved, DynamoError> {
        if unit.put.is_none() {
            return self.update(&unit.change, read_back).await;
        }
        let backoff = Backoff::STANDARD;
        let mut codes = Vec::new();
        for attempt in 0..backoff.attempts {
            if attempt > 0 {
                tokio::time::sleep(backoff.delay(attempt - 1)).await;
            }
            match self.transact(std::iter::once(unit)).await? {
                Transacted::Done => return Ok(Moved::Yes(None)),
                Transacted::Cancelled(got) => {
                    if got.iter().any(|c| c == CONDITION_FAILED) {
                        return Ok(Moved::No);
                    }
                    let transient = got
                        .iter()
                        .all(|c| c == "None" || TRANSIENT.contains(&c.as_str()));
                    codes = got;
                    if !transient {
                        return Err(DynamoError::Cancelled {
                            codes: codes.join(", "),
                            attempts: attempt + 1,
                        });
                    }
                }
            }
        }
        Err(DynamoError::Cancelled {
            codes: codes.join(", "),
            attempts: backoff.attempts,
        })
    }

    /// One conditional UpdateItem; `Moved::No` if its condition failed.
    ///
    /// A [marked](Change::mark) change asks for the item as it is when the
    /// condition fails (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, no
    /// extra request): if it holds the mark, the SDK retried a request that
    /// had succeeded and whose answer was lost, and the change is ours.
    pub(crate) async fn update(
        &self,
        change: &Change,
        read_back: bool,
    ) -> Result<Moved, DynamoError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(change.key.clone()))
            .update_expression(change.update_expression())
            .condition_expression(change.condition_expression())
            .set_expression_attribute_names(Some(change.names()))
            .set_expression_attribute_values(Some(change.values()));
        if read_back {
            request = request.return_values(ReturnValue::AllNew);
        }
        if change.is_marked() {
            request = request.return_values_on_condition_check_failure(
                ReturnValuesOnConditionCheckFailure::AllOld,
            );
        }
        match request.send().await {
            Ok(out) => Ok(Moved::Yes(out.attributes)),
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => Ok(match failed
                    .item()
                {
                    Some(item) if change.made(item) => Moved::Yes(read_back.then(|| item.clone())),
                    _ => Moved::No,
                }),
                _ => Err(self.request_error("UpdateItem", error)),
            },
        }
    }
}

pub(crate) fn put_request(item: Item) -> Result<WriteRequest, DynamoError> {
    Ok(WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build()?)
        .build())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::dynamo::keys::key;
    use crate::dynamo::moves::Move;
    use batchmsg_core::delivery::RecipientEvent;

    #[test]
    fn a_26_item_batch_write_is_two_requests_of_25_and_1() {
        let sizes: Vec<usize> = chunked((0..26).collect::<Vec<u32>>(), BATCH_WRITE_MAX)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [25, 1]);
        let sizes: Vec<usize> = chunked((0..50).collect::<Vec<u32>>(), BATCH_WRITE_MAX)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [25, 25]);
        assert!(chunked(Vec::<u32>::new(), BATCH_WRITE_MAX).is_empty());
        let sizes: Vec<usize> = chunked((0..201).collect::<Vec<u32>>(), BATCH_GET_MAX)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [100, 100, 1]);
    }

    fn unit(seq: u32, with_put: bool) -> Unit {
        let m = Move::recipient(RecipientEvent::Published).unwrap().unwrap();
        Unit {
            change: Change::new(key("BATCH#b".into(), format!("R#{seq:07}")), &m),
            put: with_put.then(|| key(format!("MSG#{seq}"), "MSG")),
        }
    }

    #[test]
    fn transactions_hold_at_most_100_items() {
        let updates: Vec<Unit> = (0..250).map(|i| unit(i, false)).collect();
        assert_eq!(transaction_chunks(&updates), [0..100, 100..200, 200..250]);
        // An update and a put each: 50 texts a transaction.
        let with_puts: Vec<Unit> = (0..101).map(|i| unit(i, true)).collect();
        assert_eq!(transaction_chunks(&with_puts), [0..50, 50..100, 100..101]);
        assert!(transaction_chunks(&[]).is_empty());
    }

    const NO_WAIT: Backoff = Backoff {
        first: Duration::ZERO,
        max: Duration::ZERO,
        attempts: 4,
    };

    #[tokio::test]
    async fn unprocessed_items_are_sent_again_until_none_are_left() {
        let calls = RefCell::new(Vec::new());
        let done = until_processed(
            "BatchWriteItem",
            (0..25).collect(),
            NO_WAIT,
            |batch: Vec<u32>| {
                calls.borrow_mut().push(batch.len());
                // The table takes half of what it is given, then the rest.
                let take = if calls.borrow().len() < 3 {
                    batch.len().div_ceil(2)
                } else {
                    batch.len()
                };
                let (got, left) = batch.split_at(take);
                let (got, left) = (got.to_vec(), left.to_vec());
                async move { Ok((got, left)) }
            },
        )
        .await
        .unwrap();
        assert_eq!(*calls.borrow(), [25, 12, 6]);
        assert_eq!(done, (0..25).collect::<Vec<u32>>());
        // One item never goes in: 4 attempts, then an error.
        let calls = RefCell::new(0);
        let error = until_processed(
            "BatchWriteItem",
            (0..26).collect(),
            NO_WAIT,
            |batch: Vec<u32>| {
                *calls.borrow_mut() += 1;
                let (left, got): (Vec<u32>, Vec<u32>) = batch.into_iter().partition(|&i| i == 25);
                async move { Ok((got, left)) }
            },
        )
        .await
        .unwrap_err();
        assert_eq!(*calls.borrow(), 4);
        assert_eq!(
            error.to_string(),
            "DynamoDB left 1 BatchWriteItem item(s) unprocessed after 4 attempts \
             (the table's throughput was exceeded); try again later"
        );
    }

    #[test]
    fn a_write_bound_counts_every_request_and_wait() {
        let op = Duration::from_secs(5);
        // One update alone: one request.
        assert_eq!(write_bound(op, 1, false), op);
        // One text's `sent` and its put: 8 transactions and 7 waits
        // (50 ms doubling to 3.2 s).
        assert_eq!(
            write_bound(op, 1, true),
            op * 8 + Duration::from_millis(50 + 100 + 200 + 400 + 800 + 1_600 + 3_200)
        );
        // 25 cancels: 3 rounds and their waits, then each on its own.
        assert_eq!(
            write_bound(op, 25, false),
            op * 3 + Duration::from_millis(350) + op * 25
        );
    }

    #[test]
    fn backoff_grows_to_its_cap() {
        let b = Backoff::STANDARD;
        for retry in 0..20 {
            let full = b.first.saturating_mul(1 << retry.min(16)).min(b.max);
            let d = b.delay(retry);
            assert!(d >= full / 2 && d <= full, "{retry}: {d:?}");
        }
        assert!(b.delay(30) <= b.max);
    }
}
