//! How long an invocation of the send function can take, and the settings
//! the template derives from it: the function's timeout, the event source's
//! batch size and the queue's visibility timeout.
//!
//! An invocation must never outlive its deadline: a text claimed when
//! Lambda stops the function is left `sending`, and the sweep can only call
//! it "may or may not have been sent". So [`send_texts`] asks before each
//! text whether it may start ([`StopAt`]), and stops `margin` before the
//! deadline, where the margin is the longest the work already started can
//! still take, every call at its timeout ([`CallTimes::margin`]). Texts not
//! started go back to the queue.
//!
//! [`send_texts`]: batchmsg_core::sending::send_texts

use std::time::Duration;

use batchmsg_aws::{dynamo, sns, sqs};
use batchmsg_core::rate::WINDOW;
use batchmsg_core::sending::SendUntil;
use chrono::{DateTime, TimeDelta, Utc};

/// Lambda's longest function timeout.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(900);

/// The most messages the event source hands one invocation (SQS's limit
/// without a batching window).
pub const MAX_BATCH_SIZE: u32 = 10;

/// Texts in one job (one message).
pub const JOB_TEXTS: u32 = sqs::JOB_SEQS as u32;

/// What a text takes beyond its rate wait when nothing is slow (claim,
/// Publish, `sent`: three requests of tens of milliseconds each), for
/// sizing the timeout so that a whole batch usually finishes. Not a bound:
/// the margin is.
pub const TYPICAL_TEXT: Duration = Duration::from_millis(250);

/// The queue's visibility timeout over the function's: AWS's advice for an
/// SQS event source (a message must not come back while Lambda is still
/// retrying its invocation).
pub const VISIBILITY_FACTOR: u32 = 6;

/// The longest each call the handler makes can take: the clients'
/// operation timeouts (retries included), and what the adapters do around
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallTimes {
    /// One DynamoDB request.
    pub dynamo: Duration,
    /// One text's `publish` (SNS's throttling retries included).
    pub publish: Duration,
    /// One SQS request.
    pub sqs: Duration,
}

impl CallTimes {
    /// The adapters' own timeouts, as `from_env` configures them.
    pub fn aws() -> Self {
        Self {
            dynamo: dynamo::OPERATION_TIMEOUT,
            publish: sns::publish_bound(),
            sqs: sqs::OPERATION_TIMEOUT,
        }
    }

    /// Handing back one batch's texts: one job's enqueue.
    pub fn hand_back(&self) -> Duration {
        sqs::enqueue_bound(self.sqs)
    }

    /// One text, from the check before its claim to the end of its
    /// recording: the claim (one update), the rate wait (`interval`), the
    /// Publish, `sent` (one text and its message-id item), and for a
    /// throttled text its job handed back.
    pub fn text(&self, interval: Duration) -> Duration {
        dynamo::write_bound(self.dynamo, 1, false)
            + interval
            + self.publish
            + dynamo::write_bound(self.dynamo, 1, true)
            + self.hand_back()
    }

    /// The start of a job, from the check before it: reading the batch, and
    /// for a cancelled batch cancelling the job's recipients.
    pub fn job_start(&self) -> Duration {
        self.dynamo + dynamo::write_bound(self.dynamo, JOB_TEXTS as usize, false)
    }

    /// How long before the deadline the handler stops starting work, for an
    /// event whose jobs belong to `batches` batches: the longest step it may
    /// have started, then handing back each batch's unstarted texts.
    pub fn margin(&self, interval: Duration, batches: usize) -> Duration {
        self.text(interval).max(self.job_start()) + self.hand_back() * batches as u32
    }
}

/// The time between two texts of one instance: its share of the rate,
/// with the limiter's 1 % margin (as `EvenlySpacedLimiter` spaces them).
pub fn interval(rate: f64, concurrency: u32) -> Option<Duration> {
    if !(rate.is_finite() && rate > 0.0) || concurrency == 0 {
        return None;
    }
    Duration::try_from_secs_f64(WINDOW.as_secs_f64() * f64::from(concurrency) / rate).ok()
}

/// The template's settings for the send function and its queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The function's timeout (whole seconds).
    pub timeout: Duration,
    /// The queue's visibility timeout (whole seconds).
    pub visibility_timeout: Duration,
}

/// The settings for `batch_size` messages an invocation at `rate` texts a
/// second for the stack shared by `concurrency` instances: a timeout with
/// room for the margin and the whole batch at the instance's share (capped
/// at Lambda's 900 s: a batch that does not fit hands the rest back), and
/// a visibility timeout [`VISIBILITY_FACTOR`] times it. `None` when the
/// share is too slow for even one text within 900 s: such a rate is not
/// allowed.
pub fn limits(rate: f64, concurrency: u32, batch_size: u32) -> Option<Limits> {
    limits_with(CallTimes::aws(), rate, concurrency, batch_size)
}

/// [`limits`] for calls that take at most `calls`.
pub fn limits_with(
    calls: CallTimes,
    rate: f64,
    concurrency: u32,
    batch_size: u32,
) -> Option<Limits> {
    let interval = interval(rate, concurrency)?;
    if batch_size == 0 || batch_size > MAX_BATCH_SIZE {
        return None;
    }
    let margin = calls.margin(interval, batch_size as usize);
    let one_text = interval + TYPICAL_TEXT;
    if margin + one_text > MAX_TIMEOUT {
        return None;
    }
    let work = one_text * JOB_TEXTS * batch_size;
    let timeout = whole_seconds(margin + work).min(MAX_TIMEOUT);
    Some(Limits {
        timeout,
        visibility_timeout: timeout * VISIBILITY_FACTOR,
    })
}

/// The event source's batch size: the most messages (at most
/// [`MAX_BATCH_SIZE`]) whose texts fit in one invocation at the share, or
/// 1 when not even one job fits (each invocation then sends what it can
/// and hands the rest back). `None` for a rate [`limits`] does not allow.
pub fn batch_size(rate: f64, concurrency: u32) -> Option<u32> {
    batch_size_with(CallTimes::aws(), rate, concurrency)
}

/// [`batch_size`] for calls that take at most `calls`.
pub fn batch_size_with(calls: CallTimes, rate: f64, concurrency: u32) -> Option<u32> {
    limits_with(calls, rate, concurrency, 1)?;
    Some(
        (1..=MAX_BATCH_SIZE)
            .rev()
            .find(|&b| {
                limits_with(calls, rate, concurrency, b).is_some_and(|l| l.timeout < MAX_TIMEOUT)
            })
            .unwrap_or(1),
    )
}

fn whole_seconds(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

/// The handler's stopping rule: work may start until `margin` before the
/// invocation's deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopAt(pub DateTime<Utc>);

impl StopAt {
    pub fn new(deadline: DateTime<Utc>, margin: Duration) -> Self {
        let margin = TimeDelta::from_std(margin).unwrap_or(TimeDelta::MAX);
        Self(
            deadline
                .checked_sub_signed(margin)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        )
    }
}

impl SendUntil for StopAt {
    fn may_start(&self, now: DateTime<Utc>) -> bool {
        now < self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aws_bounds_add_up_as_documented() {
        let calls = CallTimes::aws();
        // 5 s requests: claim 5, Publish 3 × 10 + 0.8, `sent` 8 × 5 + 6.35,
        // hand-back 5 × 5 + 1.5.
        assert_eq!(calls.hand_back(), Duration::from_millis(26_500));
        assert_eq!(
            calls.text(Duration::ZERO),
            Duration::from_millis(5_000 + 30_800 + 46_350 + 26_500)
        );
        // Reading the batch, then 25 cancels: 3 rounds and 25 alone.
        assert_eq!(
            calls.job_start(),
            Duration::from_millis(5_000 + 15_350 + 125_000)
        );
        assert_eq!(
            calls.margin(Duration::from_secs(1), 2),
            Duration::from_millis(145_350 + 53_000)
        );
    }

    #[test]
    fn a_busy_stack_takes_ten_messages_and_a_slow_share_fewer() {
        // The bench's stack: 40 texts a second, 4 instances.
        assert_eq!(batch_size(40.0, 4), Some(10));
        let l = limits(40.0, 4, 10).unwrap();
        assert!(l.timeout < MAX_TIMEOUT, "{l:?}");
        assert_eq!(l.visibility_timeout, l.timeout * 6);
        // One text every 2.02 s per instance: 57 s a job.
        assert_eq!(batch_size(2.0, 4), Some(9));
        // One text a minute: a job does not fit; one at a time.
        assert_eq!(batch_size(1.0 / 60.0, 1), Some(1));
        assert_eq!(limits(1.0 / 60.0, 1, 1).unwrap().timeout, MAX_TIMEOUT);
        // One text every 15 minutes: not even one fits.
        assert_eq!(batch_size(1.0 / 900.0, 1), None);
        assert_eq!(limits(40.0, 0, 1), None);
        assert_eq!(limits(40.0, 4, 0), None);
        assert_eq!(limits(40.0, 4, 11), None);
    }

    #[test]
    fn work_stops_a_margin_before_the_deadline() {
        let deadline = DateTime::from_timestamp(1_000, 0).unwrap();
        let stop = StopAt::new(deadline, Duration::from_secs(100));
        assert!(stop.may_start(DateTime::from_timestamp(899, 0).unwrap()));
        assert!(!stop.may_start(DateTime::from_timestamp(900, 0).unwrap()));
        assert!(!StopAt::new(deadline, Duration::MAX).may_start(deadline - TimeDelta::days(1)));
    }
}
