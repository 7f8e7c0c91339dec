//! Reads of a batch's recipients, which are spread over its
//! [`RECIPIENT_SHARDS`] partition keys (see `keys::recipient_shard`): a
//! read of a range queries only the shards the range overlaps, a read of
//! the whole batch all of them, [`SHARD_QUERY_CONCURRENCY`] at once, each
//! page by page; the callers put the answers in seq order where the port
//! promises one.

use std::ops::Range;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use batchmsg_core::batch::{BatchId, Seq};
use batchmsg_core::delivery::RecipientStatus;
use futures::{StreamExt, TryStreamExt, stream};

use super::item::{Item, Read, s};
use super::keys::{
    MAX_SEQ, PK, RECIPIENT_PREFIX, RECIPIENT_SHARDS, SK, all_shards, attr, recipient_pk,
    recipient_sk, shards_of,
};
use super::{DynamoError, DynamoRepos};

/// Shard queries of one read in flight at once: all of a batch's
/// [`RECIPIENT_SHARDS`], so a read takes one round trip a page. Each is on
/// its own partition key: none takes throughput from another.
pub const SHARD_QUERY_CONCURRENCY: usize = RECIPIENT_SHARDS as usize;

/// Which of a batch's recipients a read covers: the shards to query, and
/// the key condition within each (`:pk` is the shard's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RecipientScan {
    pub(crate) shards: Vec<u32>,
    pub(crate) condition: &'static str,
    pub(crate) bounds: Vec<(&'static str, String)>,
}

/// The read of the batch's recipients in `range`, or all of them; `None`
/// when the range holds no possible recipient.
pub(crate) fn recipients_in(range: Option<Range<Seq>>) -> Option<RecipientScan> {
    match range {
        None => Some(RecipientScan {
            shards: all_shards().collect(),
            condition: "#pk = :pk AND begins_with(#sk, :prefix)",
            bounds: vec![(":prefix", RECIPIENT_PREFIX.to_owned())],
        }),
        Some(range) => {
            if range.start >= range.end || range.start > MAX_SEQ {
                return None;
            }
            let last = (range.end - 1).min(MAX_SEQ);
            Some(RecipientScan {
                shards: shards_of(range.start..last + 1),
                condition: "#pk = :pk AND #sk BETWEEN :from AND :to",
                bounds: vec![
                    (":from", recipient_sk(range.start)),
                    (":to", recipient_sk(last)),
                ],
            })
        }
    }
}

impl DynamoRepos {
    /// A strongly consistent Query of one shard `pk` of what `scan`
    /// covers, optionally filtered to one status and projected.
    pub(crate) fn recipient_query(
        &self,
        pk: &str,
        scan: &RecipientScan,
        status: Option<RecipientStatus>,
        projection: &[&'static str],
    ) -> QueryFluentBuilder {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .key_condition_expression(scan.condition)
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(pk));
        for (placeholder, value) in &scan.bounds {
            query = query.expression_attribute_values(*placeholder, s(value));
        }
        if let Some(status) = status {
            query = query
                .filter_expression("#status = :wanted")
                .expression_attribute_names("#status", attr::STATUS)
                .expression_attribute_values(":wanted", s(status.as_str()));
        }
        if !projection.is_empty() {
            let names: Vec<String> = projection.iter().map(|a| format!("#{a}")).collect();
            for a in projection {
                query = query.expression_attribute_names(format!("#{a}"), *a);
            }
            query = query.projection_expression(names.join(", "));
        }
        query
    }

    /// Every item `query` finds in one shard `pk`, page by page, taken
    /// into an accumulator from `init` by `fold`.
    async fn fold_shard<A>(
        &self,
        pk: String,
        query: &impl Fn(&str) -> QueryFluentBuilder,
        init: &impl Fn() -> A,
        fold: &impl Fn(&mut A, &Item) -> Result<(), DynamoError>,
    ) -> Result<A, DynamoError> {
        let mut acc = init();
        self.query_pages(
            || query(&pk),
            |page| {
                for item in &page {
                    fold(&mut acc, item)?;
                }
                Ok(())
            },
        )
        .await?;
        Ok(acc)
    }

    /// Runs `query` (given a shard's partition key) on each shard of
    /// `shards` of the batch, [`SHARD_QUERY_CONCURRENCY`] at once, folding
    /// each shard's items into its own accumulator: the accumulators, in no
    /// particular order.
    pub(crate) async fn fold_shards<A>(
        &self,
        batch: &BatchId,
        shards: &[u32],
        query: impl Fn(&str) -> QueryFluentBuilder,
        init: impl Fn() -> A,
        fold: impl Fn(&mut A, &Item) -> Result<(), DynamoError>,
    ) -> Result<Vec<A>, DynamoError> {
        // The futures are made first, as the import's are.
        let reads: Vec<_> = shards
            .iter()
            .map(|&shard| self.fold_shard(recipient_pk(batch, shard), &query, &init, &fold))
            .collect();
        stream::iter(reads)
            .buffer_unordered(SHARD_QUERY_CONCURRENCY)
            .try_collect()
            .await
    }

    /// The seqs of the recipients `query` finds on the shards of `scan`,
    /// in order.
    pub(crate) async fn seqs_where(
        &self,
        batch: &BatchId,
        scan: &RecipientScan,
        query: impl Fn(&str) -> QueryFluentBuilder,
    ) -> Result<Vec<Seq>, DynamoError> {
        let shards = self
            .fold_shards(batch, &scan.shards, query, Vec::new, |seqs, item| {
                seqs.push(Read::new(item, "recipient").n(attr::SEQ)?);
                Ok(())
            })
            .await?;
        let mut seqs: Vec<Seq> = shards.into_iter().flatten().collect();
        seqs.sort_unstable();
        Ok(seqs)
    }

    /// The seqs of the batch's recipients in `status` within `range`, in order.
    pub(crate) async fn seqs_in(
        &self,
        batch: &BatchId,
        range: Option<Range<Seq>>,
        status: RecipientStatus,
    ) -> Result<Vec<Seq>, DynamoError> {
        let Some(scan) = recipients_in(range) else {
            return Ok(Vec::new());
        };
        self.seqs_where(batch, &scan, |pk| {
            self.recipient_query(pk, &scan, Some(status), &[attr::SEQ])
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_become_shards_and_sort_key_bounds() {
        let scan = recipients_in(Some(3..10)).unwrap();
        assert_eq!(scan.condition, "#pk = :pk AND #sk BETWEEN :from AND :to");
        assert_eq!(
            scan.bounds,
            [
                (":from", "R#0000003".to_owned()),
                (":to", "R#0000009".to_owned())
            ]
        );
        assert_eq!(scan.shards, [0]);
        assert_eq!(recipients_in(Some(20..60)).unwrap().shards, [0, 1, 2]);
        assert!(recipients_in(Some(4..4)).is_none());
        assert!(recipients_in(Some(MAX_SEQ + 1..Seq::MAX)).is_none());
        let scan = recipients_in(Some(0..Seq::MAX)).unwrap();
        assert_eq!(scan.bounds[1].1, "R#9999999");
        assert_eq!(scan.shards.len(), RECIPIENT_SHARDS as usize);
        // The end clamped to the last seq a key orders: its one shard.
        let scan = recipients_in(Some(MAX_SEQ..Seq::MAX)).unwrap();
        assert_eq!(scan.shards, [15]);
        let all = recipients_in(None).unwrap();
        assert_eq!(all.shards, all_shards().collect::<Vec<_>>());
    }
}
