//! Batches, recipients and waves on one DynamoDB table: [`DynamoRepos`]
//! implements the core's `BatchRepo`, `RecipientRepo` and `WaveRepo`.
//!
//! # The table
//!
//! String keys `PK` and `SK`, on demand (PAY_PER_REQUEST), and one global
//! secondary index `GSI1` (`GSI1PK`, `GSI1SK`, all attributes projected);
//! [`table_definition`] is the one description of it, [`create_table`] makes
//! it (tests now; the SAM template is to be checked against the same
//! definition).
//!
//! | item | PK | SK | attributes |
//! |---|---|---|---|
//! | batch | `BATCH#{id}` | `BATCH` | status, created_at, list_name, message, rows, accepted, not_accepted; `GSI1PK` = `BATCHES`, `GSI1SK` = created_at (13 digits) `#` id |
//! | recipient | `BATCH#{id}#R{shard:02}` | `R#{seq:07}` | seq, row, nhs_number, mobile, body, encoding, fragments, status, reason, provider_id, claimed_at (kept when queued again), claim_token, job_at (the sweep's last new job), sent_at, receipt_at |
//! | wave | `BATCH#{id}` | `W#{number:05}` | first, size, due, status; until released or cancelled `GSI2PK` = `WAVES`, `GSI2SK` = due (13 digits) `#` its keys |
//! | message id | `MSG#{provider_id}` | `MSG` | batch, seq |
//!
//! # One batch, several partitions
//!
//! A batch's recipients are spread over [`RECIPIENT_SHARDS`] (16) partition
//! keys, `BATCH#{id}#R00` to `BATCH#{id}#R15`: recipient `seq` is on shard
//! `(seq / SHARD_BLOCK) % RECIPIENT_SHARDS`, blocks of [`SHARD_BLOCK`] (25)
//! consecutive seqs dealt round the shards. DynamoDB writes at most 1,000
//! units a second to one partition key, so on one key a 1,000,000-row
//! import would take over 1,000 s, past the validate function's 15
//! minutes; on 16 the table's own limit (4,000 writes a second for a new
//! on-demand table) is what holds it. The shard is a function of `seq`
//! alone, so every write by (batch, seq) knows its key without a read; 25
//! consecutive seqs (one BatchWriteItem of the import) share a key, and the
//! import's 16 writes in flight are on 16 keys; a batch of up to 25
//! recipients uses one. A read of a range queries only the shards the range
//! overlaps (a wave of at most 25 recipients: one or two; 400 or more:
//! all 16), [`SHARD_QUERY_CONCURRENCY`] at once, and puts the answers in
//! seq order where the port promises one; reads of the whole batch (cancel,
//! counts, records, the sweep's `sending`) query all 16. The batch item,
//! its waves and the `MSG#` items stay where they were.
//!
//! A finished batch (completed, or cancelled and closed) moves from
//! `GSI2PK` = `OPEN` to `EXPIRING` in the write that finishes it; the
//! retention run ([`batchmsg_core::retention::stamp_finished`], module
//! `retention`) records `finished_at`, gives every item of the batch
//! [`TTL_ATTRIBUTE`] (`expires_at`, epoch **seconds**) page by page (the
//! recipients a window of seqs a page from every shard, then the waves),
//! keeping its place in `expiry_cursor` (`R{seq}`: recipients from that
//! seq on; `B` or `B/{sort key}`: the waves, after that one), and last
//! stamps the batch item and removes its `GSI2PK`.
//!
//! Times are Numbers, milliseconds since 1970 (UTC). Keys are zero-padded so
//! they sort as numbers do: a batch holds at most [`MAX_SEQ`] + 1 recipients
//! and [`MAX_WAVE`] waves, and larger ones are refused, not misordered.
//!
//! Batches are not yet scoped by organisation (ARCHITECTURE.md suggests
//! `ORG#{org}` as the batch item's partition key): organisations arrive with
//! the HTTP API, which will move the batch item and the GSI1 partition
//! (`ORG#{org}#BATCHES`) under the caller's organisation.
//!
//! # State changes
//!
//! Every change of status is a conditional write: the condition is
//! `#status IN (:s0, …)` over the core's `sources(event)`, the new status is
//! the core's `apply`. A failed condition means "did not move" (`false`, a
//! smaller count, `Ignored`), never an error.
//!
//! # Requests
//!
//! Writes are batched because requests are what the issue counts (≤ 2.5 AWS
//! requests a recipient end to end, one of them the SNS publish):
//!
//! - changes of many recipients (claim, mark_sent, requeue, fail_technical,
//!   cancel) go in `TransactWriteItems` of up to 100 items, each item
//!   conditional on its own. A transaction is all or nothing, so when
//!   DynamoDB cancels one it says which items failed their condition
//!   (`CancellationReasons`): those did not move, and the transaction is
//!   tried again without them (at most [`TRANSACTION_ROUNDS`] times). Each
//!   item goes on its own (one conditional request each) when the reasons
//!   say something else (a validation error: its own request reports it),
//!   when too few are left for a transaction to save requests, or after the
//!   last round. A job delivered twice therefore costs one cancelled
//!   transaction, not one request per text.
//! - a transaction carries an idempotency token (the SDK fills in
//!   `ClientRequestToken` and reuses it on its retries), so a retry of one
//!   that had succeeded reports success. A single `UpdateItem` has none: if
//!   its response is lost and the SDK's retry finds its own write, its
//!   condition fails. A claim therefore writes a random `claim_token` (one
//!   per `claim` call) and asks for the item when its condition fails
//!   (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, in the same request):
//!   an item `sending` with its own token is its own claim, and is returned
//!   as claimed. Another sender's claim has another token. Other single
//!   updates (requeue, a receipt, a cancel) read "did not move" in that
//!   case, which is what happened as far as the caller needs to know.
//! - claim reads the claimed recipients back with one `BatchGetItem` (100
//!   keys, strongly consistent) after each transaction; with one or two to
//!   claim it sends one `UpdateItem` each with `ReturnValues ALL_NEW`
//!   instead, which is as few requests and half the write units. Should a
//!   later step of a claim fail, what the call claimed goes back to `queued`
//!   before the error is returned, so the job's retry claims it again rather
//!   than finding it stuck in `sending`.
//!
//! The send function claims one text at a time (`k` = 1 below: an
//! `UpdateItem` to claim and a `TransactWriteItems` for `sent`, two
//! requests a text); the local runner claims ahead. The happy path of
//! claiming `k` recipients together (k ≤ 50), per recipient:
//!
//! | step | requests | per recipient |
//! |---|---|---|
//! | `claim`, k ≥ 3 | 1 `TransactWriteItems` + 1 `BatchGetItem` | 2/k |
//! | `claim`, k ≤ 2 | k `UpdateItem` (ALL_NEW) | 1 |
//! | `mark_sent` | 1 `TransactWriteItems` (update + `MSG#` put per text, 50 texts a transaction) | 1/k |
//! | `record_receipt` | 1 `GetItem` + 1 `UpdateItem` | 2 |
//! | [`DynamoRepos::record_receipts`] | 1 `BatchGetItem` + 1 `TransactWriteItems` per 100 receipts | 0.02 |
//!
//! With k = 10: claim 0.2 + mark_sent 0.1 + receipt 2 = 2.3 DynamoDB requests
//! a recipient through the one-receipt port (3.3 with the SNS publish), or
//! 0.32 with the batched receipts (1.32 with it). `send_texts` also reads the
//! batch once a job (1/k), and importing costs 1 `BatchGetItem` per 100 and
//! 1 `BatchWriteItem` per 25 (0.05 a recipient). A job delivered twice costs
//! one cancelled transaction.
//!
//! Requests are not what DynamoDB bills: on demand it bills read and write
//! units, and a transactional write costs two write units an item where a
//! plain one costs one. Claim and mark_sent by transaction cost 2 + 4 write
//! units a recipient (and 1 read unit for the read-back) instead of 1 + 2:
//! millionths of a dollar, against cents for the text itself.
//!
//! # Personal data
//!
//! Recipient items hold NHS numbers, mobiles and texts. No error or log made
//! here includes an item's contents: errors name the operation, the table,
//! the attribute, and the SDK error's chain of `Display`s with the request
//! id (not `DisplayErrorContext`, which appends the raw HTTP response).

mod batches;
mod cursor;
mod item;
mod keys;
mod moves;
mod receipts;
mod recipients;
mod retention;
mod shard_reads;
mod table;
mod waves;
mod write;

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::RequestId;
use batchmsg_core::ports::PortError;

use crate::config::{self, ConfigError};

pub use keys::{MAX_SEQ, MAX_WAVE, RECIPIENT_SHARDS, SHARD_BLOCK, recipient_partition_key};
pub use recipients::CANCELLED_REASON;
pub use shard_reads::SHARD_QUERY_CONCURRENCY;
pub use table::{IndexDefinition, KeyDefinition, TableDefinition, create_table, table_definition};
pub use write::{
    BATCH_GET_MAX, BATCH_WRITE_MAX, IMPORT_CONCURRENCY, TRANSACTION_MAX, TRANSACTION_ROUNDS,
    write_bound,
};

pub use retention::{STAMP_CONCURRENCY, STAMP_PAGE};

/// The table's time-to-live attribute: a Number, seconds since 1970.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// The environment variable naming the table.
pub const TABLE_VARIABLE: &str = "BATCHMSG_TABLE";

/// The longest one DynamoDB request may take, the SDK's retries included,
/// unless the SDK's configuration sets its own.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest one attempt of a request may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// The DynamoDB client configuration: `sdk`'s, with [`OPERATION_TIMEOUT`]
/// and [`ATTEMPT_TIMEOUT`] where it sets none.
pub fn client_config(sdk: &SdkConfig) -> aws_sdk_dynamodb::Config {
    aws_sdk_dynamodb::config::Builder::from(sdk)
        .timeout_config(config::with_timeouts(
            sdk,
            OPERATION_TIMEOUT,
            ATTEMPT_TIMEOUT,
        ))
        .build()
}

/// The batch, recipient and wave repositories on one DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoRepos {
    client: Client,
    table: String,
}

impl DynamoRepos {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table named by `BATCHMSG_TABLE`, through a client from
    /// [`client_config`].
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let table = config::require(TABLE_VARIABLE)?;
        Ok(Self::new(Client::from_conf(client_config(sdk)), table))
    }

    /// The client's operation timeout: the longest one request can take,
    /// retries included; `None` if it has none (unbounded).
    pub fn operation_timeout(&self) -> Option<Duration> {
        self.client
            .config()
            .timeout_config()
            .and_then(|t| t.operation_timeout())
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn request_error<E>(&self, operation: &'static str, error: SdkError<E>) -> DynamoError
    where
        E: std::error::Error + 'static,
    {
        request_error(operation, &self.table, error)
    }
}

/// The SDK's error described by the `Display` of each error in its chain
/// and the request id. Not `DisplayErrorContext`: that appends the error's
/// `Debug`, which holds the raw HTTP response, body and all, and a DynamoDB
/// response body may hold an item (a recipient's NHS number and mobile).
pub(crate) fn request_error<E>(
    operation: &'static str,
    table: &str,
    error: SdkError<E>,
) -> DynamoError
where
    E: std::error::Error + 'static,
{
    let mut detail = String::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = next {
        let text = e.to_string();
        if !detail.ends_with(&text) {
            if !detail.is_empty() {
                detail.push_str(": ");
            }
            detail.push_str(&text);
        }
        next = e.source();
    }
    if let Some(id) = error.request_id() {
        detail.push_str(&format!(" (request id {id})"));
    }
    DynamoError::Request {
        operation,
        table: table.to_owned(),
        detail,
    }
}

/// Why a DynamoDB adapter call failed. Never holds an item's contents.
#[derive(Debug, thiserror::Error)]
pub enum DynamoError {
    #[error("DynamoDB {operation} on table {table} failed: {detail}")]
    Request {
        operation: &'static str,
        table: String,
        detail: String,
    },
    #[error(
        "DynamoDB left {left} {operation} item(s) unprocessed after {attempts} attempts \
         (the table's throughput was exceeded); try again later"
    )]
    Unprocessed {
        operation: &'static str,
        left: usize,
        attempts: u32,
    },
    #[error(
        "a DynamoDB transaction was cancelled ({codes}) after {attempts} attempt(s); \
         try again later"
    )]
    Cancelled { codes: String, attempts: u32 },
    #[error("a stored {kind} item has no usable {attribute}")]
    BadItem {
        kind: &'static str,
        attribute: &'static str,
    },
    #[error("{what} {value} is beyond what the table's keys can order (at most {max})")]
    OutOfRange {
        what: &'static str,
        value: u64,
        max: u64,
    },
    #[error(
        "the core's moves on {event} lead to more than one state, which one conditional \
         update cannot express"
    )]
    Branching { event: String },
    #[error(
        "recipient {seq} was claimed but could not be read back; what this call claimed is queued again"
    )]
    NotReadBack { seq: u32 },
    #[error("could not build a DynamoDB request: {0}")]
    Build(String),
}

impl From<DynamoError> for PortError {
    fn from(error: DynamoError) -> Self {
        PortError::new(error)
    }
}

impl From<aws_sdk_dynamodb::error::BuildError> for DynamoError {
    fn from(error: aws_sdk_dynamodb::error::BuildError) -> Self {
        DynamoError::Build(error.to_string())
    }
}
