//! `batchmsg status`, `cancel` and `report` through the real binary, on a
//! data folder seeded through the embedded adapters.

mod common;

use std::path::Path;

use batchmsg_core::batch::{Batch, BatchId, Recipient, Wave};
use batchmsg_core::delivery::{BatchStatus, WaveEvent};
use batchmsg_core::nhs_number::NhsNumber;
use batchmsg_core::ports::{
    BatchRepo, Published, Receipt, ReceiptApplied, ReceiptOutcome, RecipientRepo, WaveRepo,
};
use batchmsg_local::Database;
use chrono::{DateTime, TimeZone, Utc};
use common::{UTF8_BOM, batchmsg};

const ID: &str = "20260601-080000-0001";

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, h, m, s).unwrap()
}

fn nhs_number(seq: u32) -> String {
    (0..10)
        .find_map(|k| NhsNumber::from_first_nine(999_000_000 + u64::from(seq) * 10 + k))
        .expect("a check digit")
        .to_string()
}

fn mobile(seq: u32) -> String {
    format!("+447700900{seq:03}")
}

/// A batch of 10 in waves of 4, 4 and 2: wave 1 released, with 2 texts
/// delivered, 1 failed, 1 left sending; waves 2 and 3 pending.
fn seed(data_dir: &Path) -> BatchId {
    let id: BatchId = ID.parse().unwrap();
    let db = Database::open(data_dir).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        db.create_batch(&Batch {
            id: id.clone(),
            status: BatchStatus::Sending,
            created_at: at(8, 0, 0),
            list_name: "clinic.csv".to_owned(),
            message: "Hello ((name))".to_owned(),
            rows: 12,
            accepted: 10,
            not_accepted: 2,
        })
        .await
        .unwrap();
        let recipients: Vec<Recipient> = (0..10)
            .map(|seq| {
                Recipient::new(
                    seq,
                    u64::from(seq) + 2,
                    nhs_number(seq).parse().unwrap(),
                    mobile(seq).parse().unwrap(),
                    if seq == 1 {
                        "=cmd|' /C calc'!A0".to_owned()
                    } else {
                        format!("Hello patient {seq}, see you soon")
                    },
                )
            })
            .collect();
        db.insert_recipients(&id, &recipients).await.unwrap();
        let waves: Vec<Wave> = [(1, 0, 4), (2, 4, 4), (3, 8, 2)]
            .into_iter()
            .map(|(number, first, size)| Wave {
                number,
                first,
                size,
                due: at(8, 0, 0) + chrono::TimeDelta::days(i64::from(number) - 1),
                status: batchmsg_core::delivery::WaveStatus::Pending,
            })
            .collect();
        db.insert_waves(&id, &waves).await.unwrap();
        assert!(
            db.wave_event(&id, 1, WaveEvent::StartRelease)
                .await
                .unwrap()
        );
        assert!(
            db.wave_event(&id, 1, WaveEvent::FinishRelease)
                .await
                .unwrap()
        );
        let claimed = db.claim(&id, &[0, 1, 2, 3], at(8, 0, 1)).await.unwrap();
        assert_eq!(claimed.len(), 4);
        let published: Vec<Published> = (0..3)
            .map(|seq| Published {
                seq,
                provider_id: format!("p-{seq}"),
                at: at(8, 0, 2),
            })
            .collect();
        db.mark_sent(&id, &published).await.unwrap();
        for (seq, outcome, reason) in [
            (0, ReceiptOutcome::Delivered, None),
            (1, ReceiptOutcome::Delivered, None),
            (
                2,
                ReceiptOutcome::PermanentFailure,
                Some("Unknown subscriber"),
            ),
        ] {
            let receipt = Receipt {
                provider_id: format!("p-{seq}"),
                outcome,
                reason: reason.map(str::to_owned),
                at: at(8, 1, 0),
            };
            assert_eq!(
                db.record_receipt(&receipt).await.unwrap(),
                ReceiptApplied::Applied
            );
        }
    });
    id
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(data_dir: &Path, args: &[&str]) -> Out {
    let output = batchmsg()
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap();
    let out = Out {
        ok: output.status.success(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    for seq in 0..10 {
        for secret in [nhs_number(seq), mobile(seq)] {
            assert!(
                !out.stdout.contains(&secret) && !out.stderr.contains(&secret),
                "patient data printed by {args:?}:\n{}\n{}",
                out.stdout,
                out.stderr
            );
        }
    }
    out
}

#[test]
fn an_empty_data_folder_has_no_batches_and_is_left_empty() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(&data, &["status"]);
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("No batches yet in {}\n", data.display())
    );
    for args in [
        &["status", ID][..],
        &["cancel", ID],
        &["report", ID, "--out", "r.csv"],
    ] {
        let out = run(&data, args);
        assert!(!out.ok);
        assert!(
            out.stderr.contains("there are no batches in"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert!(!data.exists(), "no database was created");
}

#[test]
fn status_cancel_and_report_follow_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    seed(&data);

    let list = run(&data, &["status"]);
    assert!(list.ok, "{}", list.stderr);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", list.stdout);
    assert!(lines[0].starts_with("Batch "), "{}", list.stdout);
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        cells,
        [
            ID,
            "sending",
            "1",
            "Jun",
            "2026",
            "09:00",
            "clinic.csv",
            "10",
            "7",
            "0",
            "2",
            "1",
            "0"
        ]
    );

    let one = run(&data, &["status", ID]);
    assert!(one.ok, "{}", one.stderr);
    assert!(
        one.stdout
            .contains("Created       09:00 on Monday 1 June 2026\n"),
        "{}",
        one.stdout
    );
    assert!(one.stdout.contains("not-accepted.csv"), "{}", one.stdout);
    assert!(
        one.stdout.contains("\n1      Mon 1 Jun 09:00  released"),
        "{}",
        one.stdout
    );
    assert!(
        one.stdout.contains("\n3      Wed 3 Jun 09:00  pending"),
        "{}",
        one.stdout
    );
    assert!(
        one.stdout
            .contains("permanent-failure  1  Unknown subscriber"),
        "{}",
        one.stdout
    );

    let cancel = run(&data, &["cancel", ID]);
    assert!(cancel.ok, "{}", cancel.stderr);
    assert_eq!(
        cancel.stdout,
        format!(
            "Cancelled batch {ID}: 2 waves and 6 texts that had not been sent. \
             Texts already sent are not affected. \
             1 text was being sent at that moment and will still go.\n"
        )
    );
    // Repeated, it finishes what a stopped cancel could have left: here, nothing.
    let again = run(&data, &["cancel", ID]);
    assert!(again.ok, "{}", again.stderr);
    assert_eq!(
        again.stdout,
        format!(
            "Batch {ID} was already cancelled. Texts already sent are not affected. \
             1 text was being sent at that moment and will still go.\n"
        )
    );
    let after = run(&data, &["status", ID]);
    assert!(
        after.stdout.contains(&format!("{ID} (cancelled)")),
        "{}",
        after.stdout
    );
    assert!(
        after
            .stdout
            .contains("cancelled          6  Cancelled before it was sent"),
        "{}",
        after.stdout
    );

    let report = dir.path().join("report.csv");
    let out = run(&data, &["report", ID, "--out", report.to_str().unwrap()]);
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("Wrote 10 rows to {}\n", report.display())
    );
    let bytes = std::fs::read(&report).unwrap();
    assert!(bytes.starts_with(UTF8_BOM));
    let text = String::from_utf8(bytes[UTF8_BOM.len()..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines.len(), 12, "header, 10 rows and the end: {text}");
    assert_eq!(
        lines[0],
        "row,nhs_number,mobile,status,reason,sent_at,delivered_at,status_at,text"
    );
    assert_eq!(
        lines[1],
        format!(
            "2,{},+447700900000,delivered,,2026-06-01 09:00:02,2026-06-01 09:01:00,2026-06-01 09:01:00,\"Hello patient 0, see you soon\"",
            nhs_number(0)
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "3,{},+447700900001,delivered,,2026-06-01 09:00:02,2026-06-01 09:01:00,2026-06-01 09:01:00,'=cmd|' /C calc'!A0",
            nhs_number(1)
        )
    );
    assert_eq!(
        lines[3],
        format!(
            "4,{},+447700900002,permanent-failure,Unknown subscriber,2026-06-01 09:00:02,,2026-06-01 09:01:00,\"Hello patient 2, see you soon\"",
            nhs_number(2)
        )
    );
    assert_eq!(
        lines[4],
        format!(
            "5,{},+447700900003,sending,,,,,\"Hello patient 3, see you soon\"",
            nhs_number(3)
        )
    );
    assert!(
        lines[5].starts_with(&format!(
            "6,{},+447700900004,cancelled,Cancelled before it was sent,,,20",
            nhs_number(4)
        )),
        "{}",
        lines[5]
    );
    assert_eq!(lines[11], "");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    let missing = run(
        &data,
        &["report", "no-such-batch", "--out", report.to_str().unwrap()],
    );
    assert!(!missing.ok);
    assert_eq!(
        missing.stderr,
        "error: there is no batch no-such-batch (batchmsg status lists them)\n"
    );
    let bad = run(&data, &["status", "../etc"]);
    assert!(!bad.ok);
    assert!(bad.stderr.contains("is not a batch id"), "{}", bad.stderr);
}
