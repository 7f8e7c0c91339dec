//! The DynamoDB repositories against moto, through the real SDK client:
//! every port method, the conditional moves, the transaction fallbacks,
//! paging, and the requests each step costs (counted by an interceptor on
//! the client, one entry per HTTP request sent). What every adapter must
//! do alike is in the conformance suites (`tests/conformance.rs`); these
//! are what is DynamoDB's own.

use std::collections::HashSet;
use std::num::NonZeroU64;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::{AttributeValue, BillingMode, KeyType, ProjectionType};
use batchmsg_aws::dynamo::{DynamoRepos, create_table, recipient_partition_key, table_definition};
use batchmsg_core::batch::{Batch, BatchId, Recipient, Seq, Wave};
use batchmsg_core::delivery::{BatchEvent, BatchStatus, RecipientStatus, WaveEvent, WaveStatus};
use batchmsg_core::mobile::UkMobile;
use batchmsg_core::nhs_number::NhsNumber;
use batchmsg_core::ports::{
    BatchRepo, PortResult, PublishError, Published, PublishedLookup, Receipt, ReceiptApplied,
    ReceiptOutcome, RecipientRepo, SmsSender, WaveRepo,
};
use batchmsg_core::sending::{
    Pacing, RateUnit, Release, Unbounded, cancel_batch, finish_if_done, progress, record_receipts,
    recover_sending, release_wave, schedule_batch, send_texts,
};
use batchmsg_core::sms::Encoding;
use batchmsg_core::test_support::fake::Fake;
use batchmsg_core::waves::{Interval, Schedule, plan_waves};
use batchmsg_moto::Moto;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

const TABLE: &str = "batchmsg-test";

/// The operation of every request the client sends, in order.
#[derive(Clone, Debug, Default)]
struct Requests(Arc<Mutex<Vec<String>>>);

impl Requests {
    /// The requests since the last call.
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for Requests {
    fn name(&self) -> &'static str {
        "Requests"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("?");
        let operation = target.rsplit('.').next().unwrap_or(target).to_owned();
        self.0.lock().unwrap().push(operation);
        Ok(())
    }
}

struct Setup {
    moto: Moto,
    repos: DynamoRepos,
    requests: Requests,
}

/// A reset moto with the table created, and repositories on a client that
/// counts its requests.
async fn setup() -> Setup {
    let moto = Moto::connect().await;
    let requests = Requests::default();
    let config = aws_sdk_dynamodb::config::Builder::from(&moto.sdk)
        .interceptor(requests.clone())
        .build();
    let client = Client::from_conf(config);
    create_table(&client, TABLE)
        .await
        .expect("creates the table");
    requests.take();
    Setup {
        moto,
        repos: DynamoRepos::new(client, TABLE),
        requests,
    }
}

fn ops(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn id(n: u32) -> BatchId {
    format!("20261125-090000-{n:04}").parse().unwrap()
}

fn batch(id: BatchId, status: BatchStatus, created_at: DateTime<Utc>) -> Batch {
    Batch {
        id,
        status,
        created_at,
        list_name: "clinic.csv".to_owned(),
        message: "Hello ((name)), your appointment is tomorrow".to_owned(),
        rows: 12,
        accepted: 10,
        not_accepted: 2,
    }
}

fn recipient(seq: Seq) -> Recipient {
    Recipient {
        seq,
        row: u64::from(seq) + 2,
        nhs_number: (0..10)
            .find_map(|k| NhsNumber::from_first_nine(999_000_000 + u64::from(seq) * 10 + k))
            .expect("a check digit"),
        mobile: UkMobile::parse(&format!("+44779{seq:07}")).expect("a mobile"),
        body: format!("Hello patient {seq}, your appointment is tomorrow.").into(),
        encoding: if seq.is_multiple_of(2) {
            Encoding::Gsm7
        } else {
            Encoding::Ucs2
        },
        fragments: 1 + seq % 3,
    }
}

fn recipients(seqs: std::ops::Range<Seq>) -> Vec<Recipient> {
    seqs.map(recipient).collect()
}

fn published(seq: Seq) -> Published {
    Published {
        seq,
        provider_id: format!("sns-{seq}"),
        at: t0() + TimeDelta::seconds(i64::from(seq)),
    }
}

fn receipt(seq: Seq, outcome: ReceiptOutcome, reason: Option<&str>) -> Receipt {
    Receipt {
        provider_id: format!("sns-{seq}"),
        outcome,
        reason: reason.map(str::to_owned),
        at: t0() + TimeDelta::minutes(5),
    }
}

/// One job through `send_texts`, claimed in one write as the send function did.
async fn send_job(
    repos: &DynamoRepos,
    sender: &(impl SmsSender + Sync),
    fake: &Fake,
    id: &BatchId,
    seqs: &[Seq],
) -> Result<batchmsg_core::sending::SendOutcome, batchmsg_core::sending::SendingError> {
    let pacing = Pacing {
        unit: RateUnit::Texts,
        claim_ahead: seqs.len(),
    };
    send_texts(
        repos, repos, sender, fake, fake, &Unbounded, id, seqs, pacing,
    )
    .await
}

fn seqs(claimed: &[Recipient]) -> Vec<Seq> {
    claimed.iter().map(|r| r.seq).collect()
}

/// A batch of `n` recipients, all queued.
async fn with_recipients(repos: &DynamoRepos, n: Seq) -> BatchId {
    let id = id(1);
    repos
        .insert_recipients(&id, &recipients(0..n))
        .await
        .unwrap();
    assert!(
        repos
            .create_batch(&batch(id.clone(), BatchStatus::Sending, t0()))
            .await
            .unwrap()
    );
    id
}

async fn status_of(repos: &DynamoRepos, id: &BatchId) -> Vec<RecipientStatus> {
    repos
        .records(id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.status)
        .collect()
}

#[tokio::test]
async fn the_table_is_created_as_defined() {
    let Setup {
        moto: _moto, repos, ..
    } = setup().await;
    let definition = table_definition();
    let table = repos
        .client()
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let keys: Vec<(&str, &KeyType)> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type()))
        .collect();
    assert_eq!(
        keys,
        [
            (definition.keys.partition, &KeyType::Hash),
            (definition.keys.sort, &KeyType::Range)
        ]
    );
    assert_eq!(
        table.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    let indexes = table.global_secondary_indexes();
    assert_eq!(indexes.len(), definition.indexes.len());
    let index = &indexes[0];
    assert_eq!(index.index_name(), Some(definition.indexes[0].name));
    let keys: Vec<&str> = index
        .key_schema()
        .iter()
        .map(|k| k.attribute_name())
        .collect();
    assert_eq!(
        keys,
        [
            definition.indexes[0].keys.partition,
            definition.indexes[0].keys.sort
        ]
    );
    assert_eq!(
        index.projection().and_then(|p| p.projection_type()),
        Some(&ProjectionType::All)
    );
}

#[tokio::test]
async fn a_batch_is_created_once_and_moves_only_from_its_sources() {
    let Setup {
        moto: _moto,
        repos,
        requests,
        ..
    } = setup().await;
    let b = batch(id(1), BatchStatus::Validated, t0());
    assert!(repos.create_batch(&b).await.unwrap());
    let mut other = b.clone();
    other.message = "Something else".to_owned();
    assert!(
        !repos.create_batch(&other).await.unwrap(),
        "a second batch with the id is refused"
    );
    assert_eq!(repos.batch(&b.id).await.unwrap(), Some(b.clone()));
    assert_eq!(repos.batch(&id(2)).await.unwrap(), None);

    assert!(
        !repos
            .batch_event(&b.id, BatchEvent::StartSending)
            .await
            .unwrap(),
        "validated does not start sending"
    );
    assert!(
        repos
            .batch_event(&b.id, BatchEvent::Schedule)
            .await
            .unwrap()
    );
    assert!(
        !repos
            .batch_event(&b.id, BatchEvent::Schedule)
            .await
            .unwrap()
    );
    assert!(
        repos
            .batch_event(&b.id, BatchEvent::StartSending)
            .await
            .unwrap()
    );
    assert!(repos.batch_event(&b.id, BatchEvent::Cancel).await.unwrap());
    assert!(
        !repos
            .batch_event(&b.id, BatchEvent::Complete)
            .await
            .unwrap()
    );
    assert_eq!(
        repos.batch(&b.id).await.unwrap().map(|b| b.status),
        Some(BatchStatus::Cancelled)
    );
    assert!(
        !repos.batch_event(&id(2), BatchEvent::Cancel).await.unwrap(),
        "no such batch: nothing moves, and no item is made"
    );
    assert_eq!(repos.batch(&id(2)).await.unwrap(), None);
    let sent = requests.take();
    assert_eq!(
        sent.iter().filter(|o| *o == "UpdateItem").count(),
        7,
        "one request a move: {sent:?}"
    );
}

#[tokio::test]
async fn batches_are_listed_newest_first() {
    let Setup {
        moto: _moto, repos, ..
    } = setup().await;
    // Created out of order; two at the same millisecond go by id, descending
    // (as the SQLite adapter orders them).
    let times = [
        (id(1), t0()),
        (id(2), t0() + TimeDelta::days(2)),
        (id(3), t0() - TimeDelta::days(400)),
        (id(4), t0() + TimeDelta::milliseconds(1)),
        (id(5), t0()),
    ];
    for (id, at) in &times {
        assert!(
            repos
                .create_batch(&batch(id.clone(), BatchStatus::Validated, *at))
                .await
                .unwrap()
        );
    }
    // Recipients and waves in the same partitions are not batches.
    repos
        .insert_recipients(&id(1), &recipients(0..3))
        .await
        .unwrap();
    let listed: Vec<BatchId> = repos
        .batches()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    assert_eq!(listed, [id(2), id(4), id(5), id(1), id(3)]);
    let first = &repos.batches().await.unwrap()[0];
    assert_eq!(first, &batch(id(2), BatchStatus::Validated, times[1].1));
}

#[tokio::test]
async fn a_repeated_import_changes_nothing_and_adds_only_the_new() {
    let Setup {
        moto: _moto,
        repos,
        requests,
        ..
    } = setup().await;
    let id = id(1);
    repos
        .insert_recipients(&id, &recipients(0..5))
        .await
        .unwrap();
    assert_eq!(
        requests.take(),
        ops(&["BatchGetItem", "BatchWriteItem"]),
        "one look-up and one write"
    );
    let claimed = repos.claim(&id, &[1], t0()).await.unwrap();
    assert_eq!(seqs(&claimed), [1]);

    // The same list again, with 3 more and one changed: the stored are left
    // alone (recipient 1 stays claimed, recipient 2 keeps its text).
    let mut again = recipients(0..8);
    again[2].body = "A different text".into();
    again.push(recipient(6)); // a repeat within the call: the first wins
    requests.take();
    repos.insert_recipients(&id, &again).await.unwrap();
    assert_eq!(requests.take(), ops(&["BatchGetItem", "BatchWriteItem"]));
    let records = repos.records(&id).await.unwrap();
    assert_eq!(records.len(), 8);
    for (seq, record) in records.iter().enumerate() {
        assert_eq!(record.recipient, recipient(seq as Seq), "{seq}");
    }
    assert_eq!(records[1].status, RecipientStatus::Sending);
    assert!(
        records
            .iter()
            .enumerate()
            .all(|(seq, r)| seq == 1 || r.status == RecipientStatus::Queued)
    );
    // Nothing new: a look-up and no write.
    requests.take();
    repos
        .insert_recipients(&id, &recipients(0..8))
        .await
        .unwrap();
    assert_eq!(requests.take(), ops(&["BatchGetItem"]));
    // Nothing at all: no request.
    repos.insert_recipients(&id, &[]).await.unwrap();
    assert!(requests.take().is_empty());
}

#[tokio::test]
async fn a_26_recipient_import_is_split_into_writes_of_25_and_1() {
    let Setup {
        moto: _moto,
        repos,
        requests,
        ..
    } = setup().await;
    let id = id(1);
    repos
        .insert_recipients(&id, &recipients(0..26))
        .await
        .unwrap();
    assert_eq!(
        requests.take(),
        ops(&["BatchGetItem", "BatchWriteItem", "BatchWriteItem"])
    );
    assert_eq!(repos.records(&id).await.unwrap().len(), 26);
}

#[tokio::test]
async fn a_recipient_is_claimed_only_from_queued_and_only_once() {
    let Setup {
        moto: _moto,
        repos,
        requests,
        ..
    } = setup().await;
    let id = with_recipients(&repos, 10).await;
    requests.take();
    let claimed = repos.claim(&id, &[4, 0, 2, 0, 99], t0()).await.unwrap();
    assert_eq!(
        claimed,
        [recipient(4), recipient(0), recipient(2)],
        "in the order asked, each once; 99 does not exist"
    );
    assert_eq!(
        requests.take(),
        ops(&["TransactWriteItems", "TransactWriteItems", "BatchGetItem"]),
        "99's condition fails, so the transaction is cancelled and sent again without it; \
         then one read"
    );
    let again = repos.claim(&id, &[4, 0, 2], t0()).await.unwrap();
    assert!(again.is_empty(), "claimed already: nothing the second time");
    assert_eq!(
        requests.take(),
        ops(&["TransactWriteItems"]),
        "a repeated job costs one cancelled transaction"
    );
    // One alone: one UpdateItem that returns the recipient.
    assert_eq!(repos.claim(&id, &[7], t0()).await.unwrap(), [recipient(7)]);
    assert_eq!(requests.take(), ops(&["UpdateItem"]));
    assert!(repos.claim(&id, &[7], t0()).await.unwrap().is_empty());
    assert!(repos.claim(&id, &[], t0()).await.unwrap().is_empty());
    let sending = repos.sending(&id).await.unwrap();
    assert_eq!(
        sending,
        [(0, t0()), (2, t0()), (4, t0()), (7, t0())],
        "with when they were claimed"
    );
}

#[tokio::test]
async fn a_claim_of_some_not_queued_falls_back_and_claims_the_rest() {
    let Setup {
        moto: _moto,
        repos,
        requests,
        ..
    } = setup().await;
    let id = with_recipients(&repos, 12).await;
    // 1 and 3 are being sent, 5 was cancelled.
    assert_eq!(repos.claim(&id, &[1, 3], t0()).await.unwrap().len(), 2);
    assert_eq!(repos.cancel_these(&id, &[5], t0()).await.unwrap(), 1);
    requests.take();

    let at = t0() + TimeDelta::minutes(1);
    let claimed = repos.claim(&id, &[0, 1, 2, 3, 4, 5, 6], at).await.unwrap();
    assert_eq!(seqs(&claimed), [0, 2, 4, 6]);
    assert_eq!(claimed[1], recipient(2));
    assert_eq!(
        requests.take(),
        ops(&["TransactWriteItems", "TransactWriteItems", "BatchGetItem"]),
        "cancelled, then again without the three that failed, then one read"
    );

    // When two or fewer are left they are claimed one by one, each
    // returning the recipient.
    let claimed = repos.claim(&id, &[7, 8, 0, 2, 4], at).await.unwrap();
    assert_eq!(claimed, [recipient(7), recipient(8)]);
    assert_eq!(
        requests.take(),
        ops(&["TransactWriteItems", "UpdateItem", "UpdateItem"])
    );
    let sending: Vec<Seq> = repos
        .sending(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|(seq, _)| seq)
        .collect();
    assert_eq!(sending, [0, 1, 2, 3, 4, 6, 7, 8]);
}

#[tokio::test]
async fn mark_sent_moves_only_sending_and_receipts_find_the_text_by_its_id() {
    let Setup {
        moto: _moto,
        repos,
        requests,
        ..
    } = setup().await;
    let id = with_recipients(&repos, 6).await;
    repos.claim(&id, &[0, 1, 2, 3], t0()).await.unwrap();
    requests.take();
    // 4 was never claimed: it stays queued and gets no message-id item.
    let texts: Vec<Published> = [0, 1, 2, 3, 4].map(published).to_vec();
    repos.mark_sent(&id, &texts).await.unwrap();
    assert_eq!(
        requests.take(),
        ops(&["TransactWriteItems", "TransactWriteItems"]),
        "cancelled for 4, then the rest"
    );
    let records = repos.records(&id).await.unwrap();
    for (seq, r) in records.iter().enumerate().take(4) {
        assert_eq!(r.status, RecipientStatus::Sent);
        assert_eq!(
            r.provider_id.as_deref(),
            Some(format!("sns-{seq}").as_str())
        );
        assert_eq!(r.sent_at, Some(published(seq as Seq).at));
    }
    assert_eq!(records[4].status, RecipientStatus::Queued);
    assert_eq!(records[4].provider_id, None);
    // Marking them sent again changes nothing (not `sending` any more).
    repos.mark_sent(&id, &[published(0)]).await.unwrap();
    assert_eq!(repos.records(&id).await.unwrap()[0], records[0]);

    requests.take();
    let delivered = receipt(0, ReceiptOutcome::Delivered, None);
    assert_eq!(
        repos.record_receipt(&delivered).await.unwrap(),
        ReceiptApplied::Applied
    );
    assert_eq!(requests.take(), ops(&["GetItem", "UpdateItem"]));
    assert_eq!(
        repos.record_receipt(&delivered).await.unwrap(),
        ReceiptApplied::Ignored,
        "a repeat"
    );
    assert_eq!(
        repos
            .record_receipt(&receipt(4, ReceiptOutcome::Delivered, None))
            .await
            .unwrap(),
        ReceiptApplied::NotYetKnown,
        "4 is not recorded as sent"
    );
    assert_eq!(
        requests.take(),
        ops(&["GetItem", "UpdateItem", "GetItem"]),
        "no message-id item: no update tried"
    );
    // A temporary failure, then the final receipt.
    let temporary = receipt(1, ReceiptOutcome::TemporaryFailure, Some("Phone off"));
    assert_eq!(
        repos.record_receipt(&temporary).await.unwrap(),
        ReceiptApplied::Applied
    );
    let r1 = &repos.records(&id).await.unwrap()[1];
    assert_eq!(r1.status, RecipientStatus::TemporaryFailure);
    assert_eq!(r1.reason.as_deref(), Some("Phone off"));
    assert_eq!(
        repos
            .record_receipt(&receipt(1, ReceiptOutcome::Delivered, None))
            .await
            .unwrap(),
        ReceiptApplied::Applied
    );
    let permanent = receipt(
        2,
        ReceiptOutcome::PermanentFailure,
        Some("Unknown subscriber"),
    );
    assert_eq!(
        repos.record_receipt(&permanent).await.unwrap(),
        ReceiptApplied::Applied
    );
    // A final state accepts nothing.
    assert_eq!(
        repos
            .record_receipt(&receipt(2, ReceiptOutcome::Delivered, None))
            .await
            .unwrap(),
        ReceiptApplied::Ignored
    );
    let records = repos.records(&id).await.unwrap();
    assert_eq!(records[0].status, RecipientStatus::Delivered);
    assert_eq!(records[0].receipt_at, Some(delivered.at));
    assert_eq!(records[1].status, RecipientStatus::Delivered);
    assert_eq!(records[1].reason, None, "the final receipt has no reason");
    assert_eq!(records[2].status, RecipientStatus::PermanentFailure);
    assert_eq!(records[2].reason.as_deref(), Some("Unknown subscriber"));
    assert_eq!(records[3].status, RecipientStatus::Sent);
}

#[tokio::test]
async fn many_receipts_cost_two_requests_and_apply_in_order() {
    let Setup {
        moto: _moto,
        repos,
        requests,
        ..
    } = setup().await;
    let id = with_recipients(&repos, 8).await;
    repos.claim(&id, &[0, 1, 2, 3, 4], t0()).await.unwrap();
    repos
        .mark_sent(&id, &[0, 1, 2, 3, 4].map(published))
        .await
        .unwrap();
    requests.take();
    let receipts = [
        receipt(0, ReceiptOutcome::Delivered, None),
        receipt(1, ReceiptOutcome::TemporaryFailure, Some("Phone off")),
        receipt(
            2,
            ReceiptOutcome::PermanentFailure,
            Some("Unknown subscriber"),
        ),
        receipt(3, ReceiptOutcome::Delivered, None),
        receipt(7, ReceiptOutcome::Delivered, None),
    ];
    let applied = repos.record_receipts(&receipts).await.unwrap();
    use ReceiptApplied::{Applied, Ignored, NotYetKnown};
    assert_eq!(applied, [Applied, Applied, Applied, Applied, NotYetKnown]);
    assert_eq!(
        requests.take(),
        ops(&["BatchGetItem", "TransactWriteItems"])
    );
    // Repeats, a later receipt for the same text in the same call, and one
    // for a text with none before.
    let more = [
        receipt(0, ReceiptOutcome::Delivered, None),
        receipt(1, ReceiptOutcome::Delivered, None),
        receipt(1, ReceiptOutcome::PermanentFailure, Some("late")),
        receipt(4, ReceiptOutcome::TemporaryFailure, Some("Phone off")),
        receipt(4, ReceiptOutcome::PermanentFailure, Some("Gave up")),
    ];
    let applied = repos.record_receipts(&more).await.unwrap();
    assert_eq!(applied, [Ignored, Applied, Ignored, Applied, Applied]);
    let statuses = status_of(&repos, &id).await;
    use RecipientStatus::*;
    assert_eq!(
        statuses,
        [
            Delivered,
            Delivered,
            PermanentFailure,
            Delivered,
            PermanentFailure,
            Queued,
            Queued,
            Queued
        ]
    );
    assert_eq!(
        repos.records(&id).await.unwrap()[4].reason.as_deref(),
        Some("Gave up")
    );
    assert!(repos.record_receipts(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn requeue_and_technical_failure_move_only_what_is_sending() {
    let Setup {
        moto: _moto,
        repos,
        requests,
        ..
    } = setup().await;
    let id = with_recipients(&repos, 6).await;
    repos.claim(&id, &[0, 1, 2, 3], t0()).await.unwrap();
    requests.take();
    repos.requeue(&id, &[0, 1, 5]).await.unwrap();
    assert_eq!(
        requests.take(),
        ops(&["TransactWriteItems", "TransactWriteItems"]),
        "5 was queued: cancelled, then 0 and 1"
    );
    repos
        .fail_technical(
            &id,
            &[
                (2, "The SMS provider refused it: blocked".to_owned()),
                (4, "never claimed".to_owned()),
            ],
            t0() + TimeDelta::minutes(20),
        )
        .await
        .unwrap();
    let records = repos.records(&id).await.unwrap();
    use RecipientStatus::*;
    let statuses: Vec<_> = records.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Queued, Queued, TechnicalFailure, Sending, Queued, Queued]
    );
    assert_eq!(
        records[2].reason.as_deref(),
        Some("The SMS provider refused it: blocked")
    );
    assert_eq!(records[2].receipt_at, Some(t0() + TimeDelta::minutes(20)));
    assert_eq!(records[4].reason, None);
    // Requeued recipients lose their claim time and can be claimed again.
    assert_eq!(
        repos.sending(&id).await.unwrap(),
        [(3, t0())],
        "only 3 is still sending"
    );
    assert_eq!(
        seqs(&repos.claim(&id, &[0, 1], t0()).await.unwrap()),
        [0, 1]
    );
}

fn id2() -> BatchId {
    id(2)
}

#[tokio::test]
async fn a_big_batch_is_read_page_by_page() {
    let Setup {
        moto: _moto,
        repos,
        requests,
    } = setup().await;
    let id = id(1);
    // 1,200 recipients of ~1.9 kB (a long UCS-2 text): 2.3 MB, which took
    // three 1 MB pages on one partition key; on the batch's 16 recipient
    // shards it is 16 Queries of one page each (tests/shards.rs pages
    // within one shard). (No transactions here: moto copies the whole
    // table for each, seconds at this size.)
    let long: Vec<Recipient> = (0..1_200)
        .map(|seq| Recipient {
            body: format!("{seq} {}", "é".repeat(900)).into(),
            ..recipient(seq)
        })
        .collect();
    repos.insert_recipients(&id, &long).await.unwrap();
    let sent = requests.take();
    assert_eq!(
        (
            sent.iter().filter(|o| *o == "BatchGetItem").count(),
            sent.iter().filter(|o| *o == "BatchWriteItem").count(),
            sent.len()
        ),
        (12, 48, 60)
    );
    assert_eq!(
        repos.claim(&id, &[100, 1_100], t0()).await.unwrap(),
        [long[100].clone(), long[1_100].clone()]
    );
    assert_eq!(repos.cancel_these(&id, &[700], t0()).await.unwrap(), 1);
    requests.take();

    let records = repos.records(&id).await.unwrap();
    assert_eq!(records.len(), 1_200);
    assert!(
        records
            .iter()
            .enumerate()
            .all(|(i, r)| r.recipient == long[i])
    );
    let pages = requests.take();
    assert!(
        pages.len() >= 3 && pages.iter().all(|o| o == "Query"),
        "{pages:?}"
    );

    let queued = repos.queued_in(&id, 0..1_200).await.unwrap();
    assert_eq!(queued.len(), 1_197);
    assert_eq!(queued[99..101], [99, 101]);
    assert_eq!(requests.take(), pages, "as many pages");
    assert_eq!(
        repos.sending(&id).await.unwrap(),
        [(100, t0()), (1_100, t0())]
    );
    assert_eq!(requests.take(), pages);
    use RecipientStatus::*;
    let counts = repos.counts(&id, None).await.unwrap();
    assert_eq!(
        counts.by_status,
        [(Cancelled, 1), (Queued, 1_197), (Sending, 2)]
    );
    assert_eq!(requests.take(), pages);
    // A range reads only its own pages: 1,000..1,200 is blocks 40..47 of
    // 25 seqs, on 8 of the 16 shards, a Query each.
    assert_eq!(
        repos
            .counts(&id, Some(1_000..1_200))
            .await
            .unwrap()
            .by_status,
        [(Queued, 199), (Sending, 1)]
    );
    assert_eq!(requests.take(), ops(&["Query"; 8]));
}

#[tokio::test]
async fn more_than_100_changes_take_several_transactions() {
    let Setup {
        moto: _moto,
        repos,
        requests,
    } = setup().await;
    // Few recipients: moto copies the whole table for each transaction.
    let id = with_recipients(&repos, 120).await;
    requests.take();
    let claimed = repos
        .claim(&id, &(0..110).collect::<Vec<_>>(), t0())
        .await
        .unwrap();
    assert_eq!(claimed, recipients(0..110));
    assert_eq!(
        requests.take(),
        ops(&[
            "TransactWriteItems",
            "BatchGetItem",
            "TransactWriteItems",
            "BatchGetItem"
        ])
    );
    // An update and a put a text: 50 texts a transaction.
    let texts: Vec<Published> = (0..60).map(published).collect();
    repos.mark_sent(&id, &texts).await.unwrap();
    assert_eq!(
        requests.take(),
        ops(&["TransactWriteItems", "TransactWriteItems"])
    );
    repos
        .requeue(&id, &(60..110).collect::<Vec<_>>())
        .await
        .unwrap();
    assert_eq!(requests.take(), ops(&["TransactWriteItems"]));
    assert_eq!(repos.cancel_queued(&id, t0()).await.unwrap(), 60);
    // A Query of each of the batch's 16 recipient shards, then one
    // transaction.
    let mut expected = vec!["Query"; 16];
    expected.push("TransactWriteItems");
    assert_eq!(requests.take(), ops(&expected));
    let counts = repos.counts(&id, None).await.unwrap();
    assert_eq!(
        counts.by_status,
        [
            (RecipientStatus::Cancelled, 60),
            (RecipientStatus::Sent, 60)
        ]
    );
}

#[tokio::test]
async fn the_happy_path_costs_what_the_documentation_says() {
    let Setup {
        moto: _moto,
        repos,
        requests,
        ..
    } = setup().await;
    let id = with_recipients(&repos, 100).await;
    requests.take();
    let all: Vec<Seq> = (0..100).collect();
    let claimed = repos.claim(&id, &all, t0()).await.unwrap();
    assert_eq!(claimed.len(), 100);
    let claim = requests.take();
    let texts: Vec<Published> = all.iter().map(|&s| published(s)).collect();
    repos.mark_sent(&id, &texts).await.unwrap();
    let mark_sent = requests.take();
    for seq in 0..10 {
        repos
            .record_receipt(&receipt(seq, ReceiptOutcome::Delivered, None))
            .await
            .unwrap();
    }
    let one_by_one = requests.take();
    let rest: Vec<Receipt> = (10..100)
        .map(|seq| receipt(seq, ReceiptOutcome::Delivered, None))
        .collect();
    let applied = repos.record_receipts(&rest).await.unwrap();
    assert!(applied.iter().all(|a| *a == ReceiptApplied::Applied));
    let batched = requests.take();

    assert_eq!(claim, ops(&["TransactWriteItems", "BatchGetItem"]));
    assert_eq!(
        mark_sent,
        ops(&["TransactWriteItems", "TransactWriteItems"])
    );
    assert_eq!(one_by_one.len(), 20, "two a receipt");
    assert_eq!(batched, ops(&["BatchGetItem", "TransactWriteItems"]));
    let counts = repos.counts(&id, None).await.unwrap();
    assert_eq!(counts.by_status, [(RecipientStatus::Delivered, 100)]);
}

#[tokio::test]
async fn waves_are_stored_once_listed_in_order_and_released_once() {
    let Setup {
        moto: _moto,
        repos,
        requests,
        ..
    } = setup().await;
    let id = id(1);
    let wave = |number: u32, first: Seq, size: u32| Wave {
        number,
        first,
        size,
        due: t0() + TimeDelta::hours(i64::from(number)),
        status: WaveStatus::Released, // stored as pending whatever it says
    };
    repos
        .insert_waves(&id, &[wave(2, 4, 4), wave(1, 0, 4)])
        .await
        .unwrap();
    assert_eq!(requests.take(), ops(&["Query", "BatchWriteItem"]));
    assert!(
        repos
            .wave_event(&id, 1, WaveEvent::StartRelease)
            .await
            .unwrap()
    );
    // Again, with one more and wave 2 different: only 3 is written.
    repos
        .insert_waves(&id, &[wave(1, 0, 4), wave(2, 4, 9), wave(3, 8, 2)])
        .await
        .unwrap();
    let pending = |w: Wave| Wave {
        status: WaveStatus::Pending,
        ..w
    };
    assert_eq!(
        repos.waves(&id).await.unwrap(),
        [
            Wave {
                status: WaveStatus::Releasing,
                ..wave(1, 0, 4)
            },
            pending(wave(2, 4, 4)),
            pending(wave(3, 8, 2))
        ]
    );
    assert!(
        !repos
            .wave_event(&id, 1, WaveEvent::StartRelease)
            .await
            .unwrap(),
        "released once"
    );
    assert!(!repos.wave_event(&id, 1, WaveEvent::Cancel).await.unwrap());
    assert!(
        repos
            .wave_event(&id, 1, WaveEvent::FinishRelease)
            .await
            .unwrap()
    );
    assert!(repos.wave_event(&id, 3, WaveEvent::Cancel).await.unwrap());
    assert!(
        !repos
            .wave_event(&id, 3, WaveEvent::StartRelease)
            .await
            .unwrap()
    );
    assert!(
        !repos
            .wave_event(&id, 9, WaveEvent::StartRelease)
            .await
            .unwrap()
    );
    let statuses: Vec<WaveStatus> = repos
        .waves(&id)
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.status)
        .collect();
    assert_eq!(
        statuses,
        [
            WaveStatus::Released,
            WaveStatus::Pending,
            WaveStatus::Cancelled
        ]
    );
    assert!(repos.waves(&id2()).await.unwrap().is_empty());
}

#[tokio::test]
async fn errors_name_the_operation_and_never_a_patient() {
    let Setup { moto, repos, .. } = setup().await;
    let client = Client::new(&moto.sdk);
    let missing = DynamoRepos::new(client.clone(), "no-such-table");
    let error = missing
        .insert_recipients(&id(1), &recipients(0..3))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("DynamoDB BatchGetItem on table no-such-table failed: "),
        "{error}"
    );
    assert!(
        !error.contains("body") && !error.contains("Response {"),
        "the raw response is left out: {error}"
    );
    for r in recipients(0..3) {
        assert!(
            !error.contains(&r.nhs_number.to_string()) && !error.contains(r.mobile.e164().as_str()),
            "{error}"
        );
    }
    // A stored item that is not what the adapter wrote: named, not shown.
    let id = with_recipients(&repos, 2).await;
    client
        .update_item()
        .table_name(TABLE)
        .key("PK", AttributeValue::S(recipient_partition_key(&id, 1)))
        .key("SK", AttributeValue::S("R#0000001".to_owned()))
        .update_expression("SET nhs_number = :n")
        .expression_attribute_values(":n", AttributeValue::N("9990000001".to_owned()))
        .send()
        .await
        .unwrap();
    let error = repos.records(&id).await.unwrap_err().to_string();
    assert_eq!(error, "a stored recipient item has no usable nhs_number");
}

#[test]
fn a_missing_table_variable_is_named() {
    if std::env::var_os("BATCHMSG_TABLE").is_some() {
        return;
    }
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let error = DynamoRepos::from_env(&sdk).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the environment variable BATCHMSG_TABLE is not set"
    );
}

// The core's use cases on DynamoDB, with the other ports faked.

/// Takes every text but refuses some and throttles others.
struct Sender {
    refuse: HashSet<Seq>,
    throttle: HashSet<Seq>,
    now: DateTime<Utc>,
    sent: Mutex<Vec<Seq>>,
}

impl SmsSender for Sender {
    async fn publish(&self, batch: &BatchId, r: &Recipient) -> Result<Published, PublishError> {
        if self.throttle.contains(&r.seq) {
            return Err(PublishError::Throttled);
        }
        if self.refuse.contains(&r.seq) {
            return Err(PublishError::Refused("opted out".to_owned()));
        }
        self.sent.lock().unwrap().push(r.seq);
        Ok(Published {
            seq: r.seq,
            provider_id: format!("sns-{batch}-{}", r.seq),
            at: self.now,
        })
    }

    async fn lookup(&self, _: &BatchId, _: &[Seq]) -> PortResult<PublishedLookup> {
        Ok(PublishedLookup::Unknowable)
    }
}

#[tokio::test]
async fn the_core_use_cases_run_on_dynamodb() {
    let Setup {
        moto: _moto, repos, ..
    } = setup().await;
    let r = &repos;
    let id = id(1);
    r.insert_recipients(&id, &recipients(0..10)).await.unwrap();
    r.create_batch(&batch(id.clone(), BatchStatus::Validated, t0()))
        .await
        .unwrap();
    // The queue, scheduler, rate limiter and clock (at t0).
    let fake = Fake::new();
    let sender = Sender {
        refuse: HashSet::from([5]),
        throttle: HashSet::from([6]),
        now: t0(),
        sent: Mutex::new(Vec::new()),
    };

    // Waves of 4, 4 and 2, an hour apart.
    let plan = plan_waves(
        10,
        &Schedule::Stagger {
            per_wave: NonZeroU64::new(4).unwrap(),
            every: Interval::Elapsed(TimeDelta::hours(1)),
            start: None,
        },
        None,
        t0(),
    )
    .unwrap();
    let waves = schedule_batch(r, r, &fake, &id, &plan).await.unwrap();
    assert_eq!(waves.len(), 3);
    // A repeat finds the batch scheduled and its waves stored: it makes
    // any schedule still missing and returns the waves (issue 12, case 8).
    assert_eq!(
        schedule_batch(r, r, &fake, &id, &plan).await.unwrap(),
        waves
    );
    assert_eq!(
        r.batch(&id).await.unwrap().unwrap().status,
        BatchStatus::Scheduled
    );

    assert_eq!(
        release_wave(r, r, r, &fake, &id, 1).await.unwrap(),
        Release::Queued(4)
    );
    assert_eq!(
        release_wave(r, r, r, &fake, &id, 1).await.unwrap(),
        Release::AlreadyDone(WaveStatus::Released)
    );
    let jobs = fake.take_jobs();
    assert_eq!(jobs, [0, 1, 2, 3]);
    // The job delivered twice: sent once.
    let outcome = send_job(r, &sender, &fake, &id, &[0, 1, 2, 3, 0])
        .await
        .unwrap();
    assert_eq!((outcome.sent, outcome.skipped), (4, 1));
    let outcome = send_job(r, &sender, &fake, &id, &jobs).await.unwrap();
    assert_eq!((outcome.sent, outcome.skipped), (0, 4));

    let receipts: Vec<Receipt> = (0..4)
        .map(|seq| Receipt {
            provider_id: format!("sns-{id}-{seq}"),
            outcome: if seq == 2 {
                ReceiptOutcome::PermanentFailure
            } else {
                ReceiptOutcome::Delivered
            },
            reason: (seq == 2).then(|| "Unknown subscriber".to_owned()),
            at: t0() + TimeDelta::minutes(1),
        })
        .collect();
    let recorded = record_receipts(r, &receipts).await.unwrap();
    assert_eq!((recorded.applied, recorded.ignored), (4, 0));
    let recorded = record_receipts(r, &receipts).await.unwrap();
    assert_eq!((recorded.applied, recorded.ignored), (0, 4));

    // Wave 2: 5 refused, 6 throttled (6 and 7 go back to the queue).
    assert_eq!(
        release_wave(r, r, r, &fake, &id, 2).await.unwrap(),
        Release::Queued(4)
    );
    let outcome = send_job(r, &sender, &fake, &id, &fake.take_jobs())
        .await
        .unwrap();
    assert_eq!((outcome.sent, outcome.failed), (1, 1));
    assert_eq!(outcome.throttled, [6, 7]);
    assert_eq!(r.queued_in(&id, 4..8).await.unwrap(), [6, 7]);

    // A sender that stopped part way: 7 left sending, settled after 15 minutes.
    assert_eq!(r.claim(&id, &[7], t0()).await.unwrap().len(), 1);
    fake.advance(TimeDelta::minutes(16));
    let recovered = recover_sending(r, &sender, &fake, &fake, &id)
        .await
        .unwrap();
    assert_eq!(recovered.failed, 1);

    let progress = progress(r, r, r, &id).await.unwrap();
    use RecipientStatus::*;
    assert_eq!(
        progress.counts.by_status,
        [
            (Delivered, 3),
            (PermanentFailure, 1),
            (Queued, 3),
            (Sent, 1),
            (TechnicalFailure, 2)
        ]
    );
    assert_eq!(progress.batch.status, BatchStatus::Sending);
    let per_wave: Vec<u64> = progress.waves.iter().map(|w| w.counts.total()).collect();
    assert_eq!(per_wave, [4, 4, 2]);
    assert!(!finish_if_done(r, r, r, &id).await.unwrap());

    assert_eq!(fake.scheduled(), [1, 2, 3]);
    let cancelled = cancel_batch(r, r, r, &fake, &fake, &id).await.unwrap();
    assert_eq!((cancelled.waves, cancelled.texts), (1, 3));
    assert_eq!(
        fake.scheduled(),
        [1, 2],
        "the pending wave's schedule is removed"
    );
    let counts = r.counts(&id, None).await.unwrap();
    assert_eq!(counts.get(Cancelled), 3);
    assert_eq!(counts.waiting(), 0);
    // A job that comes back after the cancel sends nothing.
    let outcome = send_job(r, &sender, &fake, &id, &[6, 8]).await.unwrap();
    assert_eq!(
        (outcome.sent, outcome.skipped, outcome.cancelled),
        (0, 2, 0)
    );
    assert_eq!(*sender.sent.lock().unwrap(), [0, 1, 2, 3, 4]);
}

/// The test server (scripts/moto_server.py) rolls a cancelled transaction
/// back item by item: what it wrote before the failing item is undone, new
/// items and changed ones alike, as DynamoDB does.
#[tokio::test]
async fn a_cancelled_transaction_leaves_every_item_as_it_was() {
    use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
    let moto = Moto::connect().await;
    let client = Client::new(&moto.sdk);
    create_table(&client, TABLE).await.unwrap();
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let key = |sk: &str| [("PK".to_owned(), s("T")), ("SK".to_owned(), s(sk))];
    client
        .put_item()
        .table_name(TABLE)
        .set_item(Some(
            key("old")
                .into_iter()
                .chain([("v".to_owned(), s("before"))])
                .collect(),
        ))
        .send()
        .await
        .unwrap();

    let update = |sk: &str, condition: &str| {
        TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(TABLE)
                    .set_key(Some(key(sk).into_iter().collect()))
                    .update_expression("SET v = :after")
                    .condition_expression(condition)
                    .expression_attribute_values(":after", s("after"))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let put_new = TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(TABLE)
                .set_item(Some(key("new").into_iter().collect()))
                .build()
                .unwrap(),
        )
        .build();
    let result = client
        .transact_write_items()
        .transact_items(put_new)
        .transact_items(update("old", "attribute_exists(PK)"))
        .transact_items(update("missing", "attribute_exists(PK)"))
        .send()
        .await;
    let error = result.expect_err("the third item fails its condition");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_transaction_canceled_exception()),
        "{error:?}"
    );

    let get = |sk: &'static str| {
        client
            .get_item()
            .table_name(TABLE)
            .set_key(Some(key(sk).into_iter().collect()))
            .consistent_read(true)
            .send()
    };
    assert!(
        get("new").await.unwrap().item.is_none(),
        "the put is undone"
    );
    assert!(get("missing").await.unwrap().item.is_none());
    let old = get("old").await.unwrap().item.unwrap();
    assert_eq!(old["v"], s("before"), "the update is undone");
}
