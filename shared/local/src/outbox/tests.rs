use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use batchmsg_core::batch::{BatchId, Recipient, Seq};
use batchmsg_core::ports::{
    PublishError, Published, PublishedLookup, Receipt, ReceiptOutcome, SmsSender,
};
use batchmsg_core::sms::Encoding;
use chrono::{DateTime, TimeDelta, Utc};
use tempfile::TempDir;

use super::{OUTBOX_FILE, Outbox, REFUSED_REASON, ReceiptFeed};

const DELAY: Duration = Duration::from_secs(1);

fn batch(id: &str) -> BatchId {
    id.parse().unwrap()
}

fn recipient(seq: Seq, mobile: &str) -> Recipient {
    Recipient {
        seq,
        row: u64::from(seq) + 2,
        nhs_number: "9434765919".parse().unwrap(),
        mobile: mobile.parse().unwrap(),
        body: format!("Dear \"patient\" {seq},\nyour jab is due ✓ {{}}").into(),
        encoding: Encoding::Ucs2,
        fragments: 1,
    }
}

fn outbox() -> (TempDir, Outbox) {
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path()).unwrap();
    (dir, outbox)
}

async fn send(outbox: &Outbox, batch: &BatchId, seq: Seq, mobile: &str) -> Published {
    outbox
        .publish(batch, &recipient(seq, mobile))
        .await
        .unwrap()
}

/// What `lookup` says the outbox took, in order.
async fn taken(outbox: &Outbox, batch: &BatchId, seqs: &[Seq]) -> Vec<Published> {
    let PublishedLookup::Known(found) = outbox.lookup(batch, seqs).await.unwrap() else {
        panic!("the outbox knows what it took");
    };
    let mut found: Vec<Published> = found.into_values().collect();
    found.sort_by_key(|p| p.seq);
    found
}

fn append_raw(outbox: &Outbox, bytes: &[u8]) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(outbox.path())
        .unwrap();
    file.write_all(bytes).unwrap();
}

fn lines(outbox: &Outbox) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(outbox.path()).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn outcomes(receipts: &[Receipt]) -> Vec<(&str, ReceiptOutcome, Option<&str>)> {
    receipts
        .iter()
        .map(|r| (r.provider_id.as_str(), r.outcome, r.reason.as_deref()))
        .collect()
}

fn later(at: DateTime<Utc>, delays: u32) -> DateTime<Utc> {
    at + TimeDelta::from_std(DELAY * delays).unwrap()
}

#[tokio::test]
async fn lines_are_json_with_exactly_the_documented_fields() {
    let (_dir, outbox) = outbox();
    let id = batch("20261125-170455-3f9a");
    let published = send(&outbox, &id, 7, "+447700900123").await;
    assert_eq!(published.provider_id, "local-20261125-170455-3f9a-7");
    assert_eq!(published.at.timestamp_subsec_nanos() % 1_000_000, 0);

    let lines = lines(&outbox);
    let line = lines[0].as_object().unwrap();
    let mut fields: Vec<_> = line.keys().map(String::as_str).collect();
    fields.sort_unstable();
    let documented = [
        "batch",
        "body",
        "encoding",
        "fragments",
        "id",
        "row",
        "sent_at",
        "seq",
        "to",
    ];
    assert_eq!(fields, documented);
    assert_eq!(line["batch"], "20261125-170455-3f9a");
    assert_eq!(
        (line["seq"].as_u64(), line["row"].as_u64()),
        (Some(7), Some(9))
    );
    assert_eq!(line["to"], "+447700900123");
    assert_eq!(line["body"], recipient(7, "+447700900123").body.as_str());
    assert_eq!(
        (line["encoding"].as_str(), line["fragments"].as_u64()),
        (Some("UCS-2"), Some(1))
    );
    assert_eq!(line["id"], published.provider_id.as_str());
    let sent_at = line["sent_at"].as_str().unwrap();
    // 2026-11-25T17:04:55.123Z
    assert_eq!(
        (sent_at.len(), &sent_at[19..20], &sent_at[23..]),
        (24, ".", "Z")
    );
    assert_eq!(DateTime::parse_from_rfc3339(sent_at).unwrap(), published.at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishes_write_whole_lines() {
    let (_dir, outbox) = outbox();
    let outbox = Arc::new(outbox);
    let tasks: Vec<_> = (0..8u32)
        .map(|task| {
            let outbox = outbox.clone();
            tokio::spawn(async move {
                let id = batch(&format!("b{task}"));
                for seq in 0..250 {
                    let mut r = recipient(seq, "+447700900001");
                    r.body = r.body.as_str().repeat(20).into();
                    outbox.publish(&id, &r).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let lines = lines(&outbox);
    assert_eq!(lines.len(), 2_000);
    for task in 0..8 {
        let id = batch(&format!("b{task}"));
        assert_eq!(taken(&outbox, &id, &[0, 249, 250]).await.len(), 2);
    }
}

#[tokio::test]
async fn lookup_finds_exactly_what_was_written() {
    let (dir, outbox) = outbox();
    let (ours, theirs) = (batch("ours"), batch("theirs"));
    let mobile = "+447700900100";
    let mut written = vec![send(&outbox, &ours, 0, mobile).await];
    written.push(send(&outbox, &ours, 1, mobile).await);
    send(&outbox, &ours, 3, mobile).await;
    send(&outbox, &theirs, 2, mobile).await;
    append_raw(&outbox, b"{\"not\": \"a text\"}\n\xff\xfe garbage\n");
    written.push(send(&outbox, &ours, 4, mobile).await);
    // A crash in the middle of the next line.
    let torn =
        br#"{"sent_at":"2026-11-25T17:04:55.123Z","id":"local-ours-5","batch":"ours","seq":5"#;
    append_raw(&outbox, torn);
    assert_eq!(taken(&outbox, &ours, &[0, 1, 2, 4, 5, 6]).await, written);

    // Opened again, the outbox ends the torn line: the next stands alone.
    drop(outbox);
    let outbox = Outbox::open(dir.path()).unwrap();
    written.push(send(&outbox, &ours, 6, mobile).await);
    assert_eq!(taken(&outbox, &ours, &[0, 1, 2, 4, 5, 6]).await, written);
    let mut feed = ReceiptFeed::new(outbox.path(), DELAY);
    assert_eq!(feed.poll(later(Utc::now(), 1)).unwrap().len(), 6);
}

#[tokio::test]
async fn the_refused_number_is_refused_and_nothing_written() {
    let (_dir, outbox) = outbox();
    let id = batch("b");
    for mobile in ["+447700900999", "07700900999"] {
        match outbox.publish(&id, &recipient(0, mobile)).await {
            Err(PublishError::Refused(reason)) => assert_eq!(reason, REFUSED_REASON),
            other => panic!("{other:?}"),
        }
    }
    assert!(lines(&outbox).is_empty());
    assert_eq!(taken(&outbox, &id, &[0]).await, []);
}

#[tokio::test]
async fn reserved_numbers_get_their_documented_receipts() {
    use ReceiptOutcome::{Delivered, PermanentFailure, TemporaryFailure};
    let (_dir, outbox) = outbox();
    let id = batch("b");
    let mut sent = Vec::new();
    for (seq, last) in (0..).zip(989..=998) {
        let mobile = format!("+447700900{last}");
        sent.push(send(&outbox, &id, seq, &mobile).await);
    }
    let first = sent.iter().map(|p| p.at).min().unwrap();
    let last = sent.iter().map(|p| p.at).max().unwrap();
    let mut feed = ReceiptFeed::new(outbox.path(), DELAY);
    assert!(feed.pending());
    assert_eq!(feed.poll(first - TimeDelta::milliseconds(1)).unwrap(), []);
    assert_eq!(feed.next_due(), Some(later(first, 1)));

    let unreachable = Some("Phone is currently unreachable/unavailable");
    let after_one = feed.poll(later(last, 1)).unwrap();
    assert_eq!(
        outcomes(&after_one),
        [
            ("local-b-0", Delivered, None),
            ("local-b-1", PermanentFailure, Some("Unknown handset")),
            (
                "local-b-2",
                PermanentFailure,
                Some("Phone number is not in service")
            ),
            ("local-b-3", PermanentFailure, Some("Invalid phone number")),
            ("local-b-4", PermanentFailure, Some("Phone has blocked SMS")),
            (
                "local-b-5",
                PermanentFailure,
                Some("Phone carrier has blocked this message")
            ),
            ("local-b-6", TemporaryFailure, unreachable),
            ("local-b-7", TemporaryFailure, unreachable),
            ("local-b-8", TemporaryFailure, unreachable),
            ("local-b-9", TemporaryFailure, unreachable),
        ]
    );
    for (receipt, published) in after_one.iter().zip(&sent) {
        assert_eq!(receipt.at, later(published.at, 1));
    }
    let after_two = feed.poll(later(last, 2)).unwrap();
    assert_eq!(
        outcomes(&after_two),
        [
            ("local-b-6", Delivered, None),
            ("local-b-7", Delivered, None),
            ("local-b-8", Delivered, None),
        ]
    );
    assert_eq!(after_two[0].at, later(sent[6].at, 2));
    assert!(!feed.pending());
    assert_eq!(feed.next_due(), None);
    assert_eq!(
        feed.offset(),
        std::fs::metadata(outbox.path()).unwrap().len()
    );
}

#[tokio::test]
async fn the_feed_resumes_from_its_offset_without_losing_receipts() {
    let (_dir, outbox) = outbox();
    let id = batch("b");
    let mut sent = Vec::new();
    for (seq, mobile) in (0..).zip(["+447700900100", "+447700900995", "+447700900101"]) {
        sent.push(send(&outbox, &id, seq, mobile).await);
    }
    let last = sent.iter().map(|p| p.at).max().unwrap();
    let mut feed = ReceiptFeed::new(outbox.path(), DELAY);
    let first = feed.poll(later(last, 1)).unwrap();
    assert_eq!(first.len(), 3);
    // The second line waits for its delivery: resume from its start.
    let offset = feed.offset();
    let first_line = std::fs::read(outbox.path()).unwrap();
    let first_line = first_line.iter().position(|&b| b == b'\n').unwrap() + 1;
    assert_eq!(offset, first_line as u64);

    // A restart: a new feed, and a text sent meanwhile.
    sent.push(send(&outbox, &id, 3, "+447700900102").await);
    let mut feed = ReceiptFeed::new(outbox.path(), DELAY);
    feed.resume_from(offset);
    let end = sent.iter().map(|p| p.at).max().unwrap();
    let again = feed.poll(later(end, 2)).unwrap();
    let mut ids: Vec<_> = outcomes(&again)
        .into_iter()
        .map(|(id, outcome, _)| (id, outcome))
        .collect();
    ids.sort_unstable_by_key(|(id, outcome)| (*id, *outcome == ReceiptOutcome::Delivered));
    assert_eq!(
        ids,
        [
            ("local-b-1", ReceiptOutcome::TemporaryFailure),
            ("local-b-1", ReceiptOutcome::Delivered),
            ("local-b-2", ReceiptOutcome::Delivered),
            ("local-b-3", ReceiptOutcome::Delivered),
        ]
    );
    assert!(!feed.pending());
}

#[tokio::test]
async fn the_feed_waits_for_a_line_to_end() {
    let (_dir, outbox) = outbox();
    append_raw(
        &outbox,
        br#"{"sent_at":"2026-11-25T17:04:55.123Z","id":"local-b-0","#,
    );
    let mut feed = ReceiptFeed::new(outbox.path(), Duration::ZERO);
    assert_eq!(feed.poll(Utc::now()).unwrap(), []);
    assert!(!feed.pending(), "part of a line is not waited for");
    assert_eq!(feed.offset(), 0);
    append_raw(
        &outbox,
        br#""batch":"b","seq":0,"row":2,"to":"+447700900100","encoding":"GSM-7","fragments":1,"body":"Hi"}
"#,
    );
    assert!(feed.pending(), "it grew");
    let receipts = feed.poll(Utc::now()).unwrap();
    assert_eq!(
        outcomes(&receipts),
        [("local-b-0", ReceiptOutcome::Delivered, None)]
    );
    assert_eq!(receipts[0].at.to_rfc3339(), "2026-11-25T17:04:55.123+00:00");
}

#[tokio::test]
async fn a_damaged_outbox_is_skipped_over_never_a_panic() {
    let (dir, outbox) = outbox();
    let id = batch("b");
    send(&outbox, &id, 0, "+447700900100").await;
    append_raw(&outbox, b"\0\0\0\0\n\xff\xfe\n{}\n[1,2]\n\"x\"\n\n");
    append_raw(&outbox, br#"{"sent_at":"yesterday","id":"x","batch":"b","seq":9,"row":1,"to":"","encoding":"","fragments":1,"body":""}"#);
    append_raw(&outbox, b"\n");
    send(&outbox, &id, 1, "+447700900100").await;
    let length = std::fs::metadata(outbox.path()).unwrap().len();

    for offset in [0, 1, 17, length - 1, length, length + 100] {
        let mut feed = ReceiptFeed::new(outbox.path(), Duration::ZERO);
        feed.resume_from(offset);
        let receipts = feed.poll(later(Utc::now(), 1)).unwrap();
        assert!(receipts.len() <= 2, "from {offset}");
        assert!(!feed.pending(), "from {offset}");
    }
    let mut feed = ReceiptFeed::new(outbox.path(), Duration::ZERO);
    assert_eq!(feed.poll(later(Utc::now(), 1)).unwrap().len(), 2);
    assert_eq!(feed.offset(), length);

    // A feed for an outbox not yet written has nothing to say.
    let mut feed = ReceiptFeed::new(dir.path().join("none").join(OUTBOX_FILE), DELAY);
    assert_eq!(feed.poll(Utc::now()).unwrap(), []);
    assert!(!feed.pending());
    assert_eq!((feed.offset(), feed.next_due()), (0, None));
}
