//! `batchmsg report BATCH --out FILE`: the record of what was sent to whom
//! and when, for saving to each patient's record in the clinical system.
//!
//! One row per recipient, in list order, with the columns
//! `row, nhs_number, mobile, status, reason, sent_at, delivered_at, status_at, text`:
//!
//! - `row` is the patient's row in the uploaded list;
//! - `status` is the text's state (`queued`, `sending`, `sent`, `delivered`,
//!   `temporary-failure`, `permanent-failure`, `technical-failure`,
//!   `cancelled`), and `reason` why it failed or was cancelled;
//! - `sent_at` is when the SMS provider took the text, `delivered_at` when it
//!   was delivered (only for `delivered`), and `status_at` when the text got
//!   its present status (sent, a receipt, a failure or a cancellation; empty
//!   while it waits);
//! - `text` is the text exactly as sent.
//!
//! **Times are UK local time** (Europe/London, GMT or BST as the clocks
//! showed), written `YYYY-MM-DD HH:MM:SS`.
//!
//! The file is for people and Excel, like `not-accepted.csv`: UTF-8 with a
//! byte-order mark, CRLF line ends, and no free-text cell (`reason`, `text`)
//! can run as a formula (one starting `=` `+` `-` `@` tab or CR gets a leading
//! `'`). It is written under a temporary name beside FILE and renamed into
//! place once complete, so FILE is never half written.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use batchmsg_core::batch::{BatchId, RecipientRecord};
use batchmsg_core::excel_cells::{UTF8_BOM, formula_safe};
use batchmsg_core::ports::{BatchRepo, RecipientRepo};
use batchmsg_core::sending::SendingError;
use batchmsg_core::waves::UK;
use batchmsg_local::partial_file::write_atomically;
use chrono::{DateTime, Utc};

use crate::data_dir::{DataDirArgs, block_on};
use crate::status::{no_batches, open_existing};

pub const COLUMNS: [&str; 9] = [
    "row",
    "nhs_number",
    "mobile",
    "status",
    "reason",
    "sent_at",
    "delivered_at",
    "status_at",
    "text",
];

#[derive(clap::Args)]
pub struct Args {
    /// The batch to report on (batchmsg status lists them).
    #[arg(value_parser = crate::hints::batch_id)]
    batch: BatchId,
    /// The CSV file to write: one row per patient, times in UK local time.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    data: DataDirArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let id = args.batch;
    let Some(db) = open_existing(&args.data.data_dir)? else {
        return Err(no_batches(&args.data.data_dir, &id));
    };
    let records = block_on(async {
        if db.batch(&id).await?.is_none() {
            return Err(SendingError::NoSuchBatch(id.clone()).into());
        }
        anyhow::Ok(db.records(&id).await?)
    })??;
    if args.out.file_name().is_none() {
        bail!("--out {} does not name a file", args.out.display());
    }
    write_atomically(&args.out, |file| write_report(file, &records))
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    tracing::info!(batch = %id, rows = records.len(), "wrote a batch report");
    println!("Wrote {} rows to {}", records.len(), args.out.display());
    Ok(())
}

/// The report, header first, into `out`; hands `out` back.
pub fn write_report<W: Write>(mut out: W, records: &[RecipientRecord]) -> anyhow::Result<W> {
    out.write_all(UTF8_BOM)?;
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    csv.write_record(COLUMNS)?;
    for record in records {
        let r = &record.recipient;
        csv.write_record([
            r.row.to_string().as_str(),
            &r.nhs_number.to_string(),
            r.mobile.e164().as_str(),
            record.status.as_str(),
            &formula_safe(record.reason.as_deref().unwrap_or("")),
            &uk_time(record.sent_at),
            &uk_time(record.delivered_at()),
            &uk_time(record.status_at()),
            &formula_safe(r.body.as_str()),
        ])?;
    }
    csv.into_inner().map_err(|e| anyhow!(e.into_error()))
}

/// `YYYY-MM-DD HH:MM:SS` in UK local time, or nothing.
fn uk_time(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| {
        at.with_timezone(&UK)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use batchmsg_core::batch::Recipient;
    use batchmsg_core::delivery::RecipientStatus;
    use chrono::TimeZone;

    fn record(
        seq: u32,
        status: RecipientStatus,
        reason: Option<&str>,
        sent_at: Option<DateTime<Utc>>,
        receipt_at: Option<DateTime<Utc>>,
    ) -> RecipientRecord {
        RecipientRecord {
            recipient: Recipient::new(
                seq,
                u64::from(seq) + 2,
                "9990000018".parse().unwrap(),
                "+447700900123".parse().unwrap(),
                format!("Dear Ann, your appointment {seq}"),
            ),
            status,
            reason: reason.map(str::to_owned),
            provider_id: sent_at.map(|_| format!("p-{seq}")),
            sent_at,
            receipt_at,
        }
    }

    fn utc(mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn one_row_per_recipient_with_uk_times_for_excel() {
        let summer = utc(6, 1, 8, 0, 1);
        let winter = utc(11, 25, 17, 5, 10);
        let mut formula = record(4, RecipientStatus::Sent, None, Some(winter), None);
        formula.recipient.body = "=HYPERLINK(\"x\")".into();
        let records = [
            record(
                0,
                RecipientStatus::Delivered,
                None,
                Some(summer),
                Some(summer + chrono::TimeDelta::milliseconds(2500)),
            ),
            record(
                1,
                RecipientStatus::PermanentFailure,
                Some("-Unknown subscriber"),
                Some(winter),
                Some(winter + chrono::TimeDelta::minutes(1)),
            ),
            record(2, RecipientStatus::Queued, None, None, None),
            record(
                3,
                RecipientStatus::Cancelled,
                Some("Cancelled before it was sent"),
                None,
                Some(winter),
            ),
            formula,
        ];
        let bytes = write_report(Vec::new(), &records).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let text = text.strip_prefix('\u{feff}').expect("a byte-order mark");
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines,
            [
                "row,nhs_number,mobile,status,reason,sent_at,delivered_at,status_at,text",
                "2,9990000018,+447700900123,delivered,,2026-06-01 09:00:01,2026-06-01 09:00:03,2026-06-01 09:00:03,\"Dear Ann, your appointment 0\"",
                "3,9990000018,+447700900123,permanent-failure,'-Unknown subscriber,2026-11-25 17:05:10,,2026-11-25 17:06:10,\"Dear Ann, your appointment 1\"",
                "4,9990000018,+447700900123,queued,,,,,\"Dear Ann, your appointment 2\"",
                "5,9990000018,+447700900123,cancelled,Cancelled before it was sent,,,2026-11-25 17:05:10,\"Dear Ann, your appointment 3\"",
                "6,9990000018,+447700900123,sent,,2026-11-25 17:05:10,,2026-11-25 17:05:10,\"'=HYPERLINK(\"\"x\"\")\"",
                "",
            ]
        );
    }

    #[test]
    fn the_file_appears_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report.csv");
        std::fs::write(&out, "earlier").unwrap();
        let failed = write_atomically(&out, |mut w| {
            w.write_all(b"half")?;
            Err(anyhow!("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "earlier");
        write_atomically(&out, |w| write_report(w, &[])).unwrap();
        assert_eq!(
            std::fs::read(&out).unwrap(),
            b"\xef\xbb\xbfrow,nhs_number,mobile,status,reason,sent_at,delivered_at,status_at,text\r\n"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.csv"], "no partial file is left");
        assert!(
            write_atomically(&dir.path().join("missing/r.csv"), Ok::<_, anyhow::Error>).is_err()
        );
    }
}
