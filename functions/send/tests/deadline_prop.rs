//! No invocation outlives its timeout, at any rate and concurrency the
//! formula allows (issue 12, case 6): a property test over
//! `timing::limits`/`batch_size` and the handler's own stopping rule
//! (`Timing::stop_at`), on a model of the steps the handler and
//! `send_texts` take with one text at a time. Each step takes any time up
//! to its bound (the client's timeout, the adapter's retries, the rate
//! wait); the invocation starts at its deadline less the function timeout.

use std::time::Duration;

use batchmsg_aws::dynamo::write_bound;
use batchmsg_core::sending::SendUntil;
use batchmsg_send::Timing;
use batchmsg_send::timing::{
    CallTimes, JOB_TEXTS, MAX_TIMEOUT, batch_size_with, interval, limits_with,
};
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

/// How a text ends.
#[derive(Clone, Copy, Debug)]
enum End {
    Sent,
    Refused,
    Throttled,
}

/// One message: its batch (0..batches), whether that batch is cancelled,
/// and how each of its texts ends.
#[derive(Clone, Debug)]
struct Job {
    batch: usize,
    cancelled: bool,
    ends: Vec<End>,
}

fn end() -> impl Strategy<Value = End> {
    prop_oneof![8 => Just(End::Sent), 1 => Just(End::Refused), 1 => Just(End::Throttled)]
}

fn job(batches: usize) -> impl Strategy<Value = Job> {
    (
        0..batches,
        proptest::bool::weighted(0.1),
        proptest::collection::vec(end(), 1..=JOB_TEXTS as usize),
    )
        .prop_map(|(batch, cancelled, ends)| Job {
            batch,
            cancelled,
            ends,
        })
}

/// Each step's share of its bound, in turn: mostly the whole of it.
struct Slowness {
    shares: Vec<f64>,
    next: usize,
}

impl Slowness {
    fn take(&mut self, bound: Duration) -> TimeDelta {
        let share = self.shares[self.next % self.shares.len()];
        self.next += 1;
        TimeDelta::from_std(bound.mul_f64(share)).unwrap()
    }
}

/// Runs the event through the handler's steps; when the invocation ends,
/// and how many texts it started.
fn run(
    timing: &Timing,
    start: DateTime<Utc>,
    deadline: DateTime<Utc>,
    jobs: &[Job],
    slow: &mut Slowness,
) -> (DateTime<Utc>, usize) {
    let calls = timing.calls;
    let mut batches: Vec<usize> = jobs.iter().map(|j| j.batch).collect();
    batches.sort_unstable();
    batches.dedup();
    let until = timing.stop_at(deadline, batches.len());
    let mut now = start;
    let mut back: Vec<usize> = Vec::new();
    let mut started = 0;
    for job in jobs {
        // The handler's check, then `send_texts` reads the batch.
        if !until.may_start(now) {
            back.push(job.batch);
            continue;
        }
        now += slow.take(calls.dynamo);
        if job.cancelled {
            now += slow.take(write_bound(calls.dynamo, job.ends.len(), false));
            continue;
        }
        for end in &job.ends {
            if !until.may_start(now) {
                back.push(job.batch);
                break;
            }
            now += slow.take(calls.dynamo); // claim
            now += slow.take(timing.interval); // the rate wait
            if !until.may_start(now) {
                now += slow.take(calls.dynamo); // requeue
                back.push(job.batch);
                break;
            }
            started += 1;
            now += slow.take(calls.publish);
            match end {
                End::Sent => now += slow.take(write_bound(calls.dynamo, 1, true)),
                End::Refused => now += slow.take(calls.dynamo),
                End::Throttled => {
                    now += slow.take(calls.dynamo); // requeue
                    now += slow.take(calls.hand_back()); // its own message
                    break;
                }
            }
        }
    }
    back.sort_unstable();
    back.dedup();
    for _ in back {
        now += slow.take(calls.hand_back());
    }
    (now, started)
}

fn rate_and_concurrency() -> impl Strategy<Value = (f64, u32)> {
    // From one text every ten minutes for the stack to 1,000 a second.
    ((-3.0f64..3.0).prop_map(|e| 10f64.powf(e)), 1u32..=50)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn no_invocation_outlives_its_timeout(
        (rate, concurrency) in rate_and_concurrency(),
        smaller in 0u32..10,
        jobs in proptest::collection::vec(job(4), 1..=10),
        shares in proptest::collection::vec(
            prop_oneof![3 => Just(1.0), 1 => Just(0.0), 2 => 0.0f64..1.0], 1..64),
    ) {
        let calls = CallTimes::aws();
        let Some(largest) = batch_size_with(calls, rate, concurrency) else {
            // Not allowed: the function refuses to start (`check_fits`).
            return Ok(());
        };
        // The template's batch size, or any smaller one.
        let batch_size = largest.saturating_sub(smaller).max(1);
        let limits = limits_with(calls, rate, concurrency, batch_size).unwrap();
        prop_assert!(limits.timeout <= MAX_TIMEOUT);
        prop_assert!(limits.visibility_timeout >= limits.timeout);
        let jobs = &jobs[..jobs.len().min(batch_size as usize)];
        let timing = Timing {
            interval: interval(rate, concurrency).unwrap(),
            calls,
            throttle_delay: Duration::from_secs(60),
        };
        let deadline = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let start = deadline - TimeDelta::from_std(limits.timeout).unwrap();
        let mut slow = Slowness { shares, next: 0 };
        let (end, _) = run(&timing, start, deadline, jobs, &mut slow);
        prop_assert!(end <= deadline, "ended {:?} after the deadline", end - deadline);
        // And every invocation starts something when calls are quick.
        let mut quick = Slowness { shares: vec![0.0], next: 0 };
        let (_, started) = run(&timing, start, deadline, jobs, &mut quick);
        let cancelled_only = jobs.iter().all(|j| j.cancelled);
        prop_assert!(started > 0 || cancelled_only, "nothing started");
    }
}
