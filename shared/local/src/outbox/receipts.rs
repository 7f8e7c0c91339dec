//! Delivery receipts for the texts in the outbox, each due some receipt
//! delays after the text's `sent_at` (see the reserved numbers in the
//! [module doc](super)).

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::Duration;

use batchmsg_core::batch::Seq;
use batchmsg_core::ports::Receipt;
use chrono::{DateTime, TimeDelta, Utc};

use super::{OUTBOX_FILE, parse_line, simulated_receipts};

/// The most read from the outbox in one poll; the rest waits for the next.
const READ_AT_MOST: u64 = 16 << 20;

/// Reads the outbox from a byte offset and hands out each text's receipts
/// once they are due, earliest first.
///
/// Lines need not be in `sent_at` order. [`ReceiptFeed::offset`] is the
/// start of the first line whose receipts have not all been handed out:
/// keep it, and [`ReceiptFeed::resume_from`] it after a restart. Receipts
/// handed out before the restart may come again; recording them again
/// changes nothing.
#[derive(Debug)]
pub struct ReceiptFeed {
    path: PathBuf,
    delay: TimeDelta,
    file: Option<File>,
    /// The end of the last whole line read.
    read_to: u64,
    /// The end of what was read: past `read_to` if a line was still being
    /// written (or torn).
    seen_to: u64,
    /// How many receipts have been scheduled: orders receipts due together.
    scheduled: u64,
    due: BinaryHeap<Reverse<DueReceipt>>,
    /// The start of each line read with receipts still to hand out: how many.
    unfinished: BTreeMap<u64, usize>,
    /// Receipts tried [`MOST_TRIES`] times whose texts may yet be recorded
    /// sent: tried again now and then, without keeping the process waiting
    /// for them, and never passed by [`ReceiptFeed::offset`].
    parked: Vec<DueReceipt>,
    /// The receipts handed out by the last poll: their line, text and tries.
    handed_out: HashMap<String, HandedOut>,
}

/// A receipt the last poll handed out.
#[derive(Debug)]
struct HandedOut {
    line: u64,
    text: OutboxText,
    tries: u32,
}

/// The text a receipt is for: its batch and seq, as its line says.
#[derive(Clone, Debug)]
pub struct OutboxText {
    pub batch: String,
    pub seq: Seq,
}

/// A receipt waiting for its time. Ordered by time, then as scheduled.
#[derive(Debug)]
struct DueReceipt {
    receipt: Receipt,
    /// When to hand it out: `receipt.at`, or later when it is tried again.
    due: DateTime<Utc>,
    /// Times handed out already.
    tries: u32,
    order: u64,
    line: u64,
    text: OutboxText,
}

impl DueReceipt {
    fn key(&self) -> (DateTime<Utc>, u64) {
        (self.due, self.order)
    }
}

/// How often a receipt for a text not yet recorded as sent is tried again
/// before it is dropped (its text may never be recorded: a batch removed)
/// or, if its text may yet be recorded, parked.
const MOST_TRIES: u32 = 20;

/// How long a parked receipt waits between tries.
const PARKED_RETRY: TimeDelta = TimeDelta::seconds(10);

impl PartialEq for DueReceipt {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for DueReceipt {}
impl PartialOrd for DueReceipt {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for DueReceipt {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

impl ReceiptFeed {
    /// Receipts for the outbox at `path`, from its start, each
    /// `receipt_delay` after the text (or after the one before).
    pub fn new(path: impl Into<PathBuf>, receipt_delay: Duration) -> Self {
        Self {
            path: path.into(),
            delay: TimeDelta::from_std(receipt_delay).unwrap_or(TimeDelta::MAX),
            file: None,
            read_to: 0,
            seen_to: 0,
            scheduled: 0,
            due: BinaryHeap::new(),
            unfinished: BTreeMap::new(),
            parked: Vec::new(),
            handed_out: HashMap::new(),
        }
    }

    /// Forgets what was read and reads on from `offset` (one given by
    /// [`ReceiptFeed::offset`]).
    pub fn resume_from(&mut self, offset: u64) {
        self.read_to = offset;
        self.seen_to = offset;
        self.due.clear();
        self.unfinished.clear();
        self.parked.clear();
    }

    /// Where to resume after a restart: the start of the first line whose
    /// receipts have not all been handed out.
    pub fn offset(&self) -> u64 {
        self.unfinished
            .keys()
            .next()
            .copied()
            .unwrap_or(self.read_to)
    }

    /// When the next receipt read so far is due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.due.peek().map(|Reverse(due)| due.due)
    }

    /// Whether receipts are waiting, or the outbox has grown since it was
    /// last read. (Part of a line that has not grown since is not waited
    /// for: a writer killed mid-line never ends it. Nor are parked receipts:
    /// their texts wait for another process, or for `batchmsg run`.)
    pub fn pending(&self) -> bool {
        !self.due.is_empty() || std::fs::metadata(&self.path).is_ok_and(|m| m.len() > self.seen_to)
    }

    /// Reads the new lines, then hands out the receipts due at `now`, in the
    /// order they fall due.
    pub fn poll(&mut self, now: DateTime<Utc>) -> io::Result<Vec<Receipt>> {
        self.read_new_lines()?;
        self.handed_out.clear();
        let (again, parked): (Vec<_>, Vec<_>) = std::mem::take(&mut self.parked)
            .into_iter()
            .partition(|p| p.due <= now);
        self.parked = parked;
        self.due.extend(again.into_iter().map(Reverse));
        let mut receipts = Vec::new();
        while self.due.peek().is_some_and(|Reverse(due)| due.due <= now) {
            let Some(Reverse(due)) = self.due.pop() else {
                break;
            };
            if let Some(left) = self.unfinished.get_mut(&due.line) {
                *left -= 1;
                if *left == 0 {
                    self.unfinished.remove(&due.line);
                }
            }
            self.handed_out.insert(
                due.receipt.provider_id.clone(),
                HandedOut {
                    line: due.line,
                    text: due.text,
                    tries: due.tries + 1,
                },
            );
            receipts.push(due.receipt);
        }
        Ok(receipts)
    }

    /// Hands these receipts (from the last poll) out again at `at`: they
    /// came before their texts were recorded as sent. After [`MOST_TRIES`],
    /// a receipt whose text `may_take_receipt` (it is `sending`: its sender,
    /// or the recovery after that sender stopped, has yet to record it) is
    /// parked, never dropped: dropped, it would be lost for good once the
    /// saved offset passed its line. The others are dropped: how many.
    pub fn retry_at<E>(
        &mut self,
        receipts: Vec<Receipt>,
        at: DateTime<Utc>,
        mut may_take_receipt: impl FnMut(&OutboxText) -> Result<bool, E>,
    ) -> Result<usize, E> {
        let mut dropped = 0;
        for receipt in receipts {
            let Some(handed_out) = self.handed_out.get(&receipt.provider_id) else {
                continue;
            };
            let (line, tries) = (handed_out.line, handed_out.tries);
            let text = handed_out.text.clone();
            let parked = tries >= MOST_TRIES;
            if parked && !may_take_receipt(&text)? {
                dropped += 1;
                continue;
            }
            *self.unfinished.entry(line).or_default() += 1;
            let due = DueReceipt {
                receipt,
                due: if parked { at + PARKED_RETRY } else { at },
                tries,
                order: self.scheduled,
                line,
                text,
            };
            self.scheduled += 1;
            if parked {
                self.parked.push(due);
            } else {
                self.due.push(Reverse(due));
            }
        }
        Ok(dropped)
    }

    /// Schedules the receipts of each whole line after `read_to`.
    fn read_new_lines(&mut self) -> io::Result<()> {
        let file = match &mut self.file {
            Some(file) => file,
            None => match File::open(&self.path) {
                Ok(file) => self.file.insert(file),
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(error) => return Err(error),
            },
        };
        file.seek(SeekFrom::Start(self.read_to))?;
        let mut bytes = Vec::new();
        file.take(READ_AT_MOST).read_to_end(&mut bytes)?;
        self.seen_to = self.read_to + bytes.len() as u64;
        let whole = match bytes.iter().rposition(|&b| b == b'\n') {
            Some(last) => last + 1,
            // No newline in all that: not a line of ours. Skip it.
            None if bytes.len() as u64 == READ_AT_MOST => {
                tracing::warn!(
                    offset = self.read_to,
                    file = OUTBOX_FILE,
                    "skipped damaged bytes"
                );
                self.read_to += READ_AT_MOST;
                return Ok(());
            }
            // Nothing, or a line still being written.
            None => return Ok(()),
        };
        let start = self.read_to;
        let mut offset = start;
        for line in bytes[..whole].split_inclusive(|&b| b == b'\n') {
            self.schedule(line, offset);
            offset += line.len() as u64;
        }
        self.read_to = start + whole as u64;
        Ok(())
    }

    fn schedule(&mut self, line: &[u8], offset: u64) {
        let Some((text, sent_at)) = parse_line(line, offset) else {
            return;
        };
        let simulated = simulated_receipts(&text.to);
        for &(delays, outcome, reason) in simulated {
            let after = self.delay.checked_mul(delays).unwrap_or(TimeDelta::MAX);
            let at = sent_at
                .checked_add_signed(after)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            self.due.push(Reverse(DueReceipt {
                receipt: Receipt {
                    provider_id: text.id.clone().into_owned(),
                    outcome,
                    reason: reason.map(str::to_owned),
                    at,
                },
                due: at,
                tries: 0,
                order: self.scheduled,
                line: offset,
                text: OutboxText {
                    batch: text.batch.clone().into_owned(),
                    seq: text.seq,
                },
            }));
            self.scheduled += 1;
        }
        if !simulated.is_empty() {
            self.unfinished.insert(offset, simulated.len());
        }
    }
}
