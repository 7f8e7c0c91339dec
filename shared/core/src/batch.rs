//! A batch, its recipients and its waves, as the repositories store them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::delivery::{BatchStatus, RecipientStatus, WaveStatus};
use crate::mobile::UkMobile;
use crate::nhs_number::NhsNumber;
use crate::sms::{Encoding, TextLength};

/// A batch's id: letters, digits and `-`, at most 64 characters, so that it
/// is safe in a file name, an S3 key and a DynamoDB key alike.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchId(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a batch id: ids are letters, digits and '-', at most 64 characters")]
pub struct BadBatchId(String);

impl BatchId {
    /// A new id from the time it was made (to the second, UTC) and random
    /// bits, which sorts in the order batches were created:
    /// `20261125-170455-3f9a0c1e5b`. The random part, the low
    /// [`Self::RANDOM_BITS`] bits of `random`, is what keeps apart batches
    /// made in the same second, on one machine or several, so it must come
    /// from a good source (the operating system's), never the clock. Even a
    /// thousand batches made in one second share an id about once in two
    /// million such seconds, and a repository refuses the second anyway.
    pub fn new(at: DateTime<Utc>, random: u64) -> Self {
        let random = random & ((1 << Self::RANDOM_BITS) - 1);
        Self(format!("{}-{random:010x}", at.format("%Y%m%d-%H%M%S")))
    }

    /// How many random bits a new id holds: ten hex digits.
    pub const RANDOM_BITS: u32 = 40;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for BatchId {
    type Err = BadBatchId;
    fn from_str(s: &str) -> Result<Self, BadBatchId> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(BadBatchId(s.chars().take(80).collect()))
        }
    }
}

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A batch as stored. Holds no patient data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    pub id: BatchId,
    pub status: BatchStatus,
    pub created_at: DateTime<Utc>,
    /// The name of the uploaded file, without its folder.
    pub list_name: String,
    /// The message template, normalised.
    pub message: String,
    pub rows: u64,
    pub accepted: u64,
    pub not_accepted: u64,
}

/// A recipient's position among the batch's accepted recipients, from 0, in
/// list order. Waves are ranges of it.
pub type Seq = u32;

/// The text exactly as it will be sent to one patient. It usually holds the
/// patient's name, so its `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<String> for MessageBody {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for MessageBody {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl fmt::Debug for MessageBody {
    /// Redacted: the text names the patient.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageBody(<{} bytes>)", self.0.len())
    }
}

/// One accepted patient and the text they are to get. Every field holding
/// patient data is typed with a redacting `Debug`, so `?recipient` in a log
/// line shows none of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub seq: Seq,
    /// The row in the uploaded list (1 is the header row's number or above).
    pub row: u64,
    pub nhs_number: NhsNumber,
    /// Stored and sent in E.164 form, `+447…` ([`UkMobile::e164`]).
    pub mobile: UkMobile,
    pub body: MessageBody,
    pub encoding: Encoding,
    pub fragments: u32,
}

impl Recipient {
    /// A recipient whose body is measured here: its encoding and fragments
    /// are the ones [`TextLength::of`] gives.
    pub fn new(
        seq: Seq,
        row: u64,
        nhs_number: NhsNumber,
        mobile: UkMobile,
        body: impl Into<MessageBody>,
    ) -> Self {
        let body = body.into();
        let measured = TextLength::of(body.as_str());
        Self {
            seq,
            row,
            nhs_number,
            mobile,
            body,
            encoding: measured.encoding,
            fragments: measured.fragments as u32,
        }
    }
}

/// A recipient with where their text has got to: the record `report` writes.
/// Its `Debug` is the recipient's (redacted); the reason and provider id hold
/// no patient data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientRecord {
    pub recipient: Recipient,
    pub status: RecipientStatus,
    /// Why it failed or was cancelled; the provider's words for a receipt.
    pub reason: Option<String>,
    pub provider_id: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// When the last receipt (delivered or failed) arrived.
    pub receipt_at: Option<DateTime<Utc>>,
}

impl RecipientRecord {
    /// When the text was delivered: only for `delivered`.
    pub fn delivered_at(&self) -> Option<DateTime<Utc>> {
        match self.status {
            RecipientStatus::Delivered => self.receipt_at,
            _ => None,
        }
    }

    /// When the text got its present status: when the provider took it for
    /// `sent`, when the receipt, failure or cancel was recorded for the
    /// rest, and none while it waits.
    pub fn status_at(&self) -> Option<DateTime<Utc>> {
        match self.status {
            RecipientStatus::Queued | RecipientStatus::Sending => None,
            RecipientStatus::Sent => self.sent_at,
            _ => self.receipt_at,
        }
    }
}

/// A wave as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wave {
    /// 1 for the first.
    pub number: u32,
    /// Recipients `first .. first + size` (by [`Seq`]).
    pub first: Seq,
    pub size: u32,
    pub due: DateTime<Utc>,
    pub status: WaveStatus,
}

impl Wave {
    pub fn seqs(&self) -> std::ops::Range<Seq> {
        self.first..self.first + self.size
    }
}

/// How many recipients are in each status, and the reasons for failures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub by_status: Vec<(RecipientStatus, u64)>,
    /// For failed and cancelled recipients: status, reason and how many.
    pub reasons: Vec<(RecipientStatus, String, u64)>,
}

impl StatusCounts {
    pub fn get(&self, status: RecipientStatus) -> u64 {
        self.by_status
            .iter()
            .filter(|(s, _)| *s == status)
            .map(|(_, n)| n)
            .sum()
    }

    /// Still to be sent: queued or being sent.
    pub fn waiting(&self) -> u64 {
        self.get(RecipientStatus::Queued) + self.get(RecipientStatus::Sending)
    }

    /// Failed: the three kinds of failure together (see
    /// [`RecipientStatus::is_failure`]).
    pub fn failed(&self) -> u64 {
        self.by_status
            .iter()
            .filter(|(s, _)| s.is_failure())
            .map(|(_, n)| n)
            .sum()
    }

    pub fn total(&self) -> u64 {
        self.by_status.iter().map(|(_, n)| n).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_sort_by_creation_and_parse_back() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 17, 4, 55).unwrap();
        let id = BatchId::new(at, 0x3f_9a0c_1e5b);
        assert_eq!(id.as_str(), "20261125-170455-3f9a0c1e5b");
        assert_eq!(BatchId::new(at, 7).as_str(), "20261125-170455-0000000007");
        assert_eq!(
            BatchId::new(at, u64::MAX).as_str(),
            "20261125-170455-ffffffffff"
        );
        let later = Utc.with_ymd_and_hms(2026, 11, 25, 17, 4, 56).unwrap();
        assert!(BatchId::new(at, u64::MAX) < BatchId::new(later, 0));
        assert_eq!(id.as_str().parse::<BatchId>(), Ok(id));
    }

    #[test]
    fn ids_that_could_escape_a_path_or_key_are_refused() {
        for bad in ["", "../x", "a/b", "a b", "a#b", &"x".repeat(65)] {
            assert!(bad.parse::<BatchId>().is_err(), "{bad:?}");
        }
    }
}
