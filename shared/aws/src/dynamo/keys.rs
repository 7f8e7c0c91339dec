//! The table's keys and attribute names, and which partition of its batch
//! a recipient lives in (see [`recipient_shard`]).

use std::ops::Range;

use aws_sdk_dynamodb::types::AttributeValue;
use batchmsg_core::batch::{BatchId, Seq};

use super::DynamoError;
use super::item::{Item, s};

pub(crate) const PK: &str = "PK";
pub(crate) const SK: &str = "SK";
pub(crate) const GSI1: &str = "GSI1";
pub(crate) const GSI1PK: &str = "GSI1PK";
pub(crate) const GSI1SK: &str = "GSI1SK";
/// The sparse index of open batches: only a batch item holding `GSI2PK` is
/// in it, and it holds it only while the sweep has work in the batch.
pub(crate) const GSI2: &str = "GSI2";
pub(crate) const GSI2PK: &str = "GSI2PK";
pub(crate) const GSI2SK: &str = "GSI2SK";

/// `GSI1PK` of every batch item.
pub(crate) const BATCHES: &str = "BATCHES";
/// `GSI2PK` of an open batch item.
pub(crate) const OPEN_BATCHES: &str = "OPEN";
/// `GSI2PK` of a finished batch item (completed, or cancelled and closed)
/// whose items do not all carry their expiry yet.
pub(crate) const EXPIRING_BATCHES: &str = "EXPIRING";
/// `GSI2PK` of a wave item not yet released nor cancelled: the sweep finds
/// the overdue ones by their `GSI2SK`, which starts with the due time.
pub(crate) const UNRELEASED_WAVES: &str = "WAVES";
pub(crate) const BATCH_SK: &str = "BATCH";
pub(crate) const MSG_SK: &str = "MSG";
pub(crate) const RECIPIENT_PREFIX: &str = "R#";
pub(crate) const WAVE_PREFIX: &str = "W#";
const BATCH_PREFIX: &str = "BATCH#";
const MSG_PREFIX: &str = "MSG#";
/// Between a batch's partition key and a recipient shard's number:
/// `BATCH#{id}#R{shard:02}`. Batch ids hold no `#`, so no batch's own
/// partition key is another's shard.
const SHARD_INFIX: &str = "#R";

/// Consecutive seqs that share a recipient partition: one BatchWriteItem's
/// worth, so each of the import's writes (25 consecutive rows) goes to one
/// partition key, and a batch of up to 25 recipients uses one.
pub const SHARD_BLOCK: Seq = 25;
/// Recipient partitions per batch. DynamoDB writes at most 1,000 units a
/// second to one partition key; 16 keys take the import's 16 writes in
/// flight (`IMPORT_CONCURRENCY`) on 16 keys, and together more than a new
/// on-demand table's own 4,000 writes a second. A wave's read touches at
/// most this many.
pub const RECIPIENT_SHARDS: u32 = 16;

/// The largest recipient `seq` the 7-digit sort key orders correctly.
pub const MAX_SEQ: Seq = 9_999_999;
/// The largest wave number the 5-digit sort key orders correctly.
pub const MAX_WAVE: u32 = 99_999;

/// Attribute names.
pub(crate) mod attr {
    pub(crate) const STATUS: &str = "status";
    // Batch.
    pub(crate) const CREATED_AT: &str = "created_at";
    pub(crate) const LIST_NAME: &str = "list_name";
    pub(crate) const MESSAGE: &str = "message";
    pub(crate) const ROWS: &str = "rows";
    pub(crate) const ACCEPTED: &str = "accepted";
    pub(crate) const NOT_ACCEPTED: &str = "not_accepted";
    pub(crate) const UPLOAD_TAG: &str = "upload_tag";
    /// When the batch was first seen finished (ms), by the retention run.
    pub(crate) const FINISHED_AT: &str = "finished_at";
    /// The sort key of the last item the retention run stamped.
    pub(crate) const EXPIRY_CURSOR: &str = "expiry_cursor";
    /// Any item: when DynamoDB's time to live may delete it, in **seconds**
    /// since 1970 (what TTL reads), unlike the other times.
    pub(crate) const EXPIRES_AT: &str = "expires_at";
    // Recipient.
    pub(crate) const SEQ: &str = "seq";
    pub(crate) const ROW: &str = "row";
    pub(crate) const NHS_NUMBER: &str = "nhs_number";
    pub(crate) const MOBILE: &str = "mobile";
    pub(crate) const BODY: &str = "body";
    pub(crate) const ENCODING: &str = "encoding";
    pub(crate) const FRAGMENTS: &str = "fragments";
    pub(crate) const REASON: &str = "reason";
    pub(crate) const PROVIDER_ID: &str = "provider_id";
    pub(crate) const CLAIMED_AT: &str = "claimed_at";
    /// A random token each `claim` call writes with its claims, to know its
    /// own write when a retried request finds the item already moved.
    pub(crate) const CLAIM_TOKEN: &str = "claim_token";
    /// When the sweep last gave a still-queued recipient a job.
    pub(crate) const JOB_AT: &str = "job_at";
    pub(crate) const SENT_AT: &str = "sent_at";
    pub(crate) const RECEIPT_AT: &str = "receipt_at";
    // Wave.
    pub(crate) const FIRST: &str = "first";
    pub(crate) const SIZE: &str = "size";
    pub(crate) const DUE: &str = "due";
    // Message id.
    pub(crate) const BATCH: &str = "batch";
}

pub(crate) fn batch_pk(id: &BatchId) -> String {
    format!("{BATCH_PREFIX}{id}")
}

/// The batch id in a `BATCH#{id}` partition key.
pub(crate) fn batch_id_of(pk: &str) -> Option<BatchId> {
    pk.strip_prefix(BATCH_PREFIX)?.parse().ok()
}

/// The recipient shard of `seq`: its block of [`SHARD_BLOCK`] seqs, round
/// the [`RECIPIENT_SHARDS`] partitions. A function of `seq` alone, so every
/// write by (batch, seq) knows its key without a read.
pub(crate) fn recipient_shard(seq: Seq) -> u32 {
    (seq / SHARD_BLOCK) % RECIPIENT_SHARDS
}

/// The partition key of a batch's recipient shard: `BATCH#{id}#R{shard:02}`.
pub(crate) fn recipient_pk(batch: &BatchId, shard: u32) -> String {
    format!("{BATCH_PREFIX}{batch}{SHARD_INFIX}{shard:02}")
}

/// The partition key of the recipient `(batch, seq)`.
pub fn recipient_partition_key(batch: &BatchId, seq: Seq) -> String {
    recipient_pk(batch, recipient_shard(seq))
}

/// The shards that hold the seqs of `range`, each once, in shard order:
/// those of the blocks it overlaps, every shard once it spans
/// [`RECIPIENT_SHARDS`] blocks. Nothing for an empty range.
pub(crate) fn shards_of(range: Range<Seq>) -> Vec<u32> {
    if range.start >= range.end {
        return Vec::new();
    }
    let (first, last) = (range.start / SHARD_BLOCK, (range.end - 1) / SHARD_BLOCK);
    if last - first + 1 >= RECIPIENT_SHARDS {
        return (0..RECIPIENT_SHARDS).collect();
    }
    // Fewer than RECIPIENT_SHARDS consecutive blocks: distinct shards.
    let mut shards: Vec<u32> = (first..=last).map(|b| b % RECIPIENT_SHARDS).collect();
    shards.sort_unstable();
    shards
}

/// Every recipient shard of a batch.
pub(crate) fn all_shards() -> Range<u32> {
    0..RECIPIENT_SHARDS
}

pub(crate) fn recipient_sk(seq: Seq) -> String {
    format!("{RECIPIENT_PREFIX}{seq:07}")
}

/// The seq in an `R#{seq}` sort key.
pub(crate) fn recipient_seq_of(sk: &str) -> Option<Seq> {
    sk.strip_prefix(RECIPIENT_PREFIX)?.parse().ok()
}

pub(crate) fn wave_sk(number: u32) -> String {
    format!("{WAVE_PREFIX}{number:05}")
}

/// The wave number in a `W#{number}` sort key.
pub(crate) fn wave_number_of(sk: &str) -> Option<u32> {
    sk.strip_prefix(WAVE_PREFIX)?.parse().ok()
}

pub(crate) fn msg_pk(provider_id: &str) -> String {
    format!("{MSG_PREFIX}{provider_id}")
}

/// The provider's id in a `MSG#{provider_id}` partition key.
pub(crate) fn provider_id_of(pk: &str) -> Option<&str> {
    pk.strip_prefix(MSG_PREFIX)
}

/// `GSI1SK` of a batch: its creation time in milliseconds, 13 digits (so
/// until the year 2286 they sort as numbers; times before 1970 count as
/// 1970), `#`, its id.
pub(crate) fn batches_sk(created_ms: i64, id: &BatchId) -> String {
    format!("{:013}#{id}", created_ms.max(0))
}

/// `GSI2SK` of an unreleased wave: its due time in milliseconds, 13
/// digits (as [`batches_sk`]), `#`, its item's keys. `due_before` gives
/// the bound below every wave due before that time.
pub(crate) fn unreleased_wave_sk(due_ms: i64, batch_pk: &str, number: u32) -> String {
    format!("{:013}#{batch_pk}#{}", due_ms.max(0), wave_sk(number))
}

pub(crate) fn due_before(ms: i64) -> String {
    format!("{:013}", ms.max(0))
}

pub(crate) fn key(pk: String, sk: impl Into<String>) -> Item {
    Item::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

pub(crate) fn recipient_key(batch: &BatchId, seq: Seq) -> Item {
    key(recipient_partition_key(batch, seq), recipient_sk(seq))
}

pub(crate) fn check_seq(seq: Seq) -> Result<(), DynamoError> {
    if seq > MAX_SEQ {
        return Err(DynamoError::OutOfRange {
            what: "recipient",
            value: seq.into(),
            max: MAX_SEQ.into(),
        });
    }
    Ok(())
}

pub(crate) fn check_wave(number: u32) -> Result<(), DynamoError> {
    if number > MAX_WAVE {
        return Err(DynamoError::OutOfRange {
            what: "wave",
            value: number.into(),
            max: MAX_WAVE.into(),
        });
    }
    Ok(())
}

/// The sort key of an item, as a string.
pub(crate) fn sk_of(item: &Item) -> Option<&str> {
    item.get(SK)
        .and_then(|v| AttributeValue::as_s(v).ok())
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn keys_sort_as_their_numbers_do() {
        let id: BatchId = "20261125-090000-0001".parse().unwrap();
        assert_eq!(batch_pk(&id), "BATCH#20261125-090000-0001");
        assert_eq!(batch_id_of(&batch_pk(&id)), Some(id.clone()));
        assert_eq!(recipient_sk(42), "R#0000042");
        assert_eq!(recipient_seq_of(&recipient_sk(42)), Some(42));
        assert_eq!(recipient_seq_of("W#00042"), None);
        assert!(recipient_sk(9) < recipient_sk(10));
        assert!(recipient_sk(MAX_SEQ - 1) < recipient_sk(MAX_SEQ));
        assert_eq!(wave_sk(3), "W#00003");
        assert_eq!(wave_number_of(&wave_sk(MAX_WAVE)), Some(MAX_WAVE));
        assert_eq!(msg_pk("abc"), "MSG#abc");
        assert_eq!(provider_id_of(&msg_pk("abc")), Some("abc"));
        let early = batches_sk(999, &id);
        let late = batches_sk(1_764_061_200_000, &id);
        assert_eq!(late, "1764061200000#20261125-090000-0001");
        assert!(early < late, "{early} < {late}");
        assert!(check_seq(MAX_SEQ).is_ok());
        assert!(check_seq(MAX_SEQ + 1).is_err());
        assert!(check_wave(MAX_WAVE + 1).is_err());
        let due = unreleased_wave_sk(1_764_061_200_000, "BATCH#b", 2);
        assert_eq!(due, "1764061200000#BATCH#b#W#00002");
        assert!(due.as_str() < due_before(1_764_061_200_001).as_str());
        assert!(due.as_str() >= due_before(1_764_061_200_000).as_str());
    }

    #[test]
    fn a_recipient_shard_is_its_block_of_25_round_16_partitions() {
        let id: BatchId = "20261125-090000-0001".parse().unwrap();
        assert_eq!(
            recipient_partition_key(&id, 0),
            "BATCH#20261125-090000-0001#R00"
        );
        assert_eq!(recipient_pk(&id, 15), "BATCH#20261125-090000-0001#R15");
        assert_eq!(
            batch_id_of(&recipient_pk(&id, 3)),
            None,
            "not a batch item's key"
        );
        for (seq, shard) in [
            (0, 0),
            (24, 0),
            (25, 1),
            (49, 1),
            (374, 14),
            (375, 15),
            (399, 15),
            (400, 0),
            (425, 1),
            // 9,999,999 / 25 = 399,999 = 16 × 24,999 + 15.
            (MAX_SEQ, 15),
        ] {
            assert_eq!(recipient_shard(seq), shard, "seq {seq}");
        }
        let used: HashSet<u32> = (0..400).map(recipient_shard).collect();
        assert_eq!(
            used.len(),
            RECIPIENT_SHARDS as usize,
            "400 seqs use every shard"
        );
        assert_eq!(
            recipient_key(&id, 26)[PK],
            s("BATCH#20261125-090000-0001#R01")
        );
        assert_eq!(recipient_key(&id, 26)[SK], s("R#0000026"));
    }

    #[test]
    fn a_range_reads_only_the_shards_its_blocks_fall_in() {
        // Inside one block.
        assert_eq!(shards_of(3..10), [0]);
        assert_eq!(shards_of(0..25), [0]);
        assert_eq!(shards_of(0..1), [0], "seq 0 alone");
        assert_eq!(shards_of(60..70), [2]);
        // Across blocks, and across the wrap from shard 15 to 0.
        assert_eq!(shards_of(0..26), [0, 1]);
        assert_eq!(shards_of(20..80), [0, 1, 2, 3]);
        assert_eq!(shards_of(390..410), [0, 15]);
        // 15 blocks: all but the one they skip.
        let fifteen: Vec<u32> = (0..16).filter(|&s| s != 1).collect();
        assert_eq!(shards_of(50..424), fifteen);
        // 16 blocks or more, over 400 seqs: all, each once.
        let all: Vec<u32> = all_shards().collect();
        assert_eq!(shards_of(25..424), all);
        assert_eq!(shards_of(0..400), all);
        assert_eq!(shards_of(10..1_000_000), all);
        assert_eq!(shards_of(0..Seq::MAX), all);
        // The last seq a key orders.
        assert_eq!(shards_of(MAX_SEQ..MAX_SEQ + 1), [15]);
        assert_eq!(shards_of(MAX_SEQ - 30..MAX_SEQ + 1), [14, 15]);
        // Empty ranges read nothing.
        assert!(shards_of(5..5).is_empty());
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 6..5;
        assert!(shards_of(backwards).is_empty());
    }

    #[test]
    fn the_shards_of_a_range_are_exactly_those_its_seqs_map_to() {
        for start in (0..900).step_by(7) {
            for len in [1, 2, 24, 25, 26, 50, 99, 374, 375, 376, 399, 400, 401, 777] {
                let range = start..start + len;
                let mut expected: Vec<u32> = range
                    .clone()
                    .map(recipient_shard)
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                expected.sort_unstable();
                assert_eq!(shards_of(range.clone()), expected, "{range:?}");
            }
        }
    }
}
