//! A simulated SMS provider: each text it takes is one JSON line appended to
//! `outbox.jsonl` in the data folder, and [`ReceiptFeed`] turns those lines
//! into delivery receipts a little later.
//!
//! A line holds `sent_at` (RFC 3339, UTC, milliseconds), `id` (the provider's
//! id, `local-{batch}-{seq}`), `batch`, `seq`, `row`, `to`, `encoding`
//! (`GSM-7` or `UCS-2`), `fragments` and `body`. It is written with one
//! `write(2)` of the whole line, so a `kill -9` leaves whole lines; a reader
//! skips a damaged line, and opening the outbox ends a torn last line so that
//! the next one stands alone. Lines are synced to disk once a group of texts
//! ([`SmsSender::make_durable`]), before the group is recorded `sent`: after a
//! power loss, every text recorded `sent` is still in the outbox.
//!
//! # Reserved numbers
//!
//! These numbers are in Ofcom's drama range (07700 900000 to 900999), which
//! is never given to a real phone. Every other number is delivered one
//! receipt delay after it was sent.
//!
//! | Number (national)  | What happens                                                      |
//! |--------------------|-------------------------------------------------------------------|
//! | 07700 900990       | permanent failure: "Unknown handset"                              |
//! | 07700 900991       | permanent failure: "Phone number is not in service"               |
//! | 07700 900992       | permanent failure: "Invalid phone number"                         |
//! | 07700 900993       | permanent failure: "Phone has blocked SMS"                        |
//! | 07700 900994       | permanent failure: "Phone carrier has blocked this message"       |
//! | 07700 900995 – 997 | temporary failure ("Phone is currently unreachable/unavailable"), then delivered a receipt delay later |
//! | 07700 900998       | temporary failure only                                            |
//! | 07700 900999       | refused when sent ([`PublishError::Refused`]): nothing is written  |
//!
//! The lines hold phone numbers and messages: nothing here logs a line or a
//! parse error (serde's errors can quote the value).

mod purge;
mod receipts;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use batchmsg_core::batch::{BatchId, Recipient, Seq};
use batchmsg_core::ports::{
    Clock, PortError, PortResult, PublishError, Published, PublishedLookup, ReceiptOutcome,
    SharedClock, SmsSender,
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

pub use purge::blank_batches;
pub use receipts::{OutboxText, ReceiptFeed};

/// The outbox's file in the data folder.
pub const OUTBOX_FILE: &str = "outbox.jsonl";

/// Why the outbox refuses 07700 900999.
pub const REFUSED_REASON: &str = "Invalid parameter: PhoneNumber Reason: not valid to publish to";

const UNREACHABLE: &str = "Phone is currently unreachable/unavailable";

/// One receipt the simulated provider sends: after how many receipt delays,
/// what it says, and why.
type SimulatedReceipt = (i32, ReceiptOutcome, Option<&'static str>);

/// The last three digits of a number in 07700 900000–900999, in E.164 or
/// national form.
fn drama_number(mobile: &str) -> Option<u16> {
    let last = mobile
        .strip_prefix("+447700900")
        .or_else(|| mobile.strip_prefix("07700900"))?;
    let digits = last.len() == 3 && last.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| last.parse().ok()).flatten()
}

fn refused(mobile: &str) -> bool {
    drama_number(mobile) == Some(999)
}

/// The receipts a text to `mobile` gets, in order (see the module doc).
fn simulated_receipts(mobile: &str) -> &'static [SimulatedReceipt] {
    use ReceiptOutcome::{Delivered, PermanentFailure, TemporaryFailure};
    match drama_number(mobile) {
        Some(990) => &[(1, PermanentFailure, Some("Unknown handset"))],
        Some(991) => &[(1, PermanentFailure, Some("Phone number is not in service"))],
        Some(992) => &[(1, PermanentFailure, Some("Invalid phone number"))],
        Some(993) => &[(1, PermanentFailure, Some("Phone has blocked SMS"))],
        Some(994) => &[(
            1,
            PermanentFailure,
            Some("Phone carrier has blocked this message"),
        )],
        Some(995..=997) => &[
            (1, TemporaryFailure, Some(UNREACHABLE)),
            (2, Delivered, None),
        ],
        Some(998) => &[(1, TemporaryFailure, Some(UNREACHABLE))],
        _ => &[(1, Delivered, None)],
    }
}

/// A line of the outbox. No `Debug`: it holds a phone number and a message.
#[derive(Serialize, Deserialize)]
struct OutboxLine<'a> {
    #[serde(borrow)]
    sent_at: Cow<'a, str>,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    batch: Cow<'a, str>,
    seq: Seq,
    row: u64,
    #[serde(borrow)]
    to: Cow<'a, str>,
    #[serde(borrow)]
    encoding: Cow<'a, str>,
    fragments: u32,
    #[serde(borrow)]
    body: Cow<'a, str>,
}

/// Parses the line at byte `offset` (its newline included or not); `None`,
/// with a warning naming only the offset, if it is damaged.
fn parse_line(bytes: &[u8], offset: u64) -> Option<(OutboxLine<'_>, DateTime<Utc>)> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None; // a purged batch's line (see `purge`)
    }
    let parsed = serde_json::from_slice::<OutboxLine>(bytes)
        .ok()
        .and_then(|line| {
            let sent_at = DateTime::parse_from_rfc3339(&line.sent_at).ok()?;
            Some((line, sent_at.with_timezone(&Utc)))
        });
    if parsed.is_none() {
        tracing::warn!(
            offset,
            file = OUTBOX_FILE,
            "skipped a damaged line of the outbox"
        );
    }
    parsed
}

/// The simulated provider. Shared by every sending task.
#[derive(Debug)]
pub struct Outbox {
    path: PathBuf,
    file: Mutex<File>,
    /// What stamps each text's `sent_at`.
    clock: SharedClock,
    /// The same file, to sync without holding up the writers.
    to_sync: File,
}

impl Outbox {
    /// Opens (or creates) `outbox.jsonl` in `data_dir`. If a crash left half
    /// a line at its end, ends it, so the torn line is skipped on its own.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let path = data_dir.join(OUTBOX_FILE);
        let mut file = crate::owner_only::options()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        // One an earlier version wrote may be readable by others.
        crate::owner_only::restrict(&path)?;
        // A new file's name is synced once, or a power loss can lose it.
        crate::durable::sync_dir(data_dir)?;
        let length = file.metadata()?.len();
        if length > 0 {
            let mut last = [0u8];
            file.seek(SeekFrom::End(-1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                tracing::warn!(
                    offset = length,
                    file = OUTBOX_FILE,
                    "the outbox ended in part of a line; ended it"
                );
                file.write_all(b"\n")?;
            }
        }
        Ok(Self {
            path,
            to_sync: file.try_clone()?,
            file: Mutex::new(file),
            clock: SharedClock::default(),
        })
    }

    /// Stamps texts with `clock`'s time rather than the system's.
    pub fn with_clock(self, clock: SharedClock) -> Self {
        Self { clock, ..self }
    }

    /// `outbox.jsonl`, for a [`ReceiptFeed`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one whole line: a single `write(2)` (append mode puts it at
    /// the end whoever else writes).
    fn append(&self, line: &[u8]) -> io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(line)
    }

    /// Texts sent at `since` or later, each with its time and fragments,
    /// from the end of the outbox: what a rate limit started after a crash
    /// must count as already sent. Reads at most the last 16 MB.
    pub fn sent_since(&self, since: DateTime<Utc>) -> io::Result<Vec<(DateTime<Utc>, u32)>> {
        const TAIL: u64 = 16 << 20;
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(error),
        };
        let length = file.metadata()?.len();
        let start = length.saturating_sub(TAIL);
        file.seek(SeekFrom::Start(start))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        // Unless reading from the start, the first piece may be part of a line.
        let skip = match start {
            0 => 0,
            _ => bytes
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| i + 1),
        };
        let mut recent = Vec::new();
        let mut offset = start + skip as u64;
        for line in bytes[skip..].split_inclusive(|&b| b == b'\n') {
            if let Some((text, at)) = parse_line(line, offset)
                && at >= since
            {
                recent.push((at, text.fragments));
            }
            offset += line.len() as u64;
        }
        Ok(recent)
    }

    /// The texts of `batch` among `wanted` that the outbox holds.
    fn find(&self, batch: &BatchId, wanted: &HashSet<Seq>) -> io::Result<HashMap<Seq, Published>> {
        let mut found = HashMap::new();
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(found),
            Err(error) => return Err(error),
        };
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        let mut offset = 0u64;
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line)?;
            if read == 0 {
                break;
            }
            // A last line without its newline counts if it is whole: the
            // provider took that text, and at most once comes first.
            if let Some((taken, at)) = parse_line(&line, offset)
                && taken.batch == batch.as_str()
                && wanted.contains(&taken.seq)
            {
                found.entry(taken.seq).or_insert_with(|| Published {
                    seq: taken.seq,
                    provider_id: taken.id.into_owned(),
                    at,
                });
            }
            offset += read as u64;
        }
        Ok(found)
    }
}

/// Now, to the millisecond the outbox records.
fn now_in_millis(clock: &SharedClock) -> DateTime<Utc> {
    let now = clock.now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

impl SmsSender for Outbox {
    async fn publish(
        &self,
        batch: &BatchId,
        recipient: &Recipient,
    ) -> Result<Published, PublishError> {
        // Stamped first: the rate limit's grant was a moment ago.
        let at = now_in_millis(&self.clock);
        let to = recipient.mobile.e164();
        if refused(to.as_str()) {
            return Err(PublishError::Refused(REFUSED_REASON.to_owned()));
        }
        let id = format!("local-{batch}-{}", recipient.seq);
        let line = OutboxLine {
            sent_at: at.to_rfc3339_opts(SecondsFormat::Millis, true).into(),
            id: Cow::Borrowed(&id),
            batch: batch.as_str().into(),
            seq: recipient.seq,
            row: recipient.row,
            to: Cow::Borrowed(to.as_str()),
            encoding: recipient.encoding.as_str().into(),
            fragments: recipient.fragments,
            body: Cow::Borrowed(recipient.body.as_str()),
        };
        let unavailable = |error| PublishError::Unavailable(PortError::new(error));
        let mut bytes = serde_json::to_vec(&line).map_err(|e| unavailable(io::Error::other(e)))?;
        bytes.push(b'\n');
        self.append(&bytes).map_err(unavailable)?;
        Ok(Published {
            seq: recipient.seq,
            provider_id: id,
            at,
        })
    }

    /// Reads the whole outbox: the texts of `batch` among `seqs` it holds.
    async fn lookup(&self, batch: &BatchId, seqs: &[Seq]) -> PortResult<PublishedLookup> {
        // Recovery records as `sent` what it finds here: a stopped process's
        // lines must be on disk first, or a power cut could leave a text
        // recorded sent that the provider never kept.
        crate::durable::sync_data(&self.to_sync, &self.path).map_err(PortError::new)?;
        let wanted = seqs.iter().copied().collect();
        let found = self.find(batch, &wanted).map_err(PortError::new)?;
        Ok(PublishedLookup::Known(found))
    }

    /// Syncs the lines appended so far (by any sender sharing the file).
    async fn make_durable(&self) -> PortResult<()> {
        crate::durable::sync_data(&self.to_sync, &self.path).map_err(PortError::new)
    }
}
