//! Any interleaving of releases, sends (repeated, stale, throttled, stopped
//! part way), cancels, recoveries and receipts publishes each text at most
//! once, and leaves every recipient in a state that agrees with what the
//! provider took.

use chrono::TimeDelta;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use super::batch_id;
use super::fake::{Fake, Lookup};
use crate::batch::Seq;
use crate::delivery::{BatchStatus, RecipientStatus};
use crate::ports::{Clock, Receipt, ReceiptOutcome};
use crate::sending::{RateUnit, STUCK_AFTER};

/// Seqs jobs may name: some beyond the batch, which has at most 12.
const SEQS: Seq = 14;

#[derive(Clone, Debug)]
enum Op {
    Release(u32),
    /// A delivery of jobs as the queue might make it: repeated, stale, any order.
    Send {
        seqs: Vec<Seq>,
        /// Throttle this publish of the call.
        throttle: Option<usize>,
        /// The sender stops after publishing, before recording.
        crash: bool,
    },
    /// A sender takes the next jobs from the queue.
    SendQueued {
        take: usize,
        throttle: Option<usize>,
        crash: bool,
    },
    Cancel,
    Recover {
        known: bool,
        minutes: i64,
    },
    Receipt {
        seq: Seq,
        outcome: ReceiptOutcome,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let outcome = prop_oneof![
        Just(ReceiptOutcome::Delivered),
        Just(ReceiptOutcome::TemporaryFailure),
        Just(ReceiptOutcome::PermanentFailure),
    ];
    prop_oneof![
        4 => (1u32..=4).prop_map(Op::Release),
        4 => (
            vec(0..SEQS, 0..6),
            proptest::option::weighted(0.3, 0usize..4),
            proptest::bool::weighted(0.2),
        )
            .prop_map(|(seqs, throttle, crash)| Op::Send { seqs, throttle, crash }),
        6 => (
            1usize..8,
            proptest::option::weighted(0.3, 0usize..4),
            proptest::bool::weighted(0.2),
        )
            .prop_map(|(take, throttle, crash)| Op::SendQueued { take, throttle, crash }),
        1 => Just(Op::Cancel),
        3 => (any::<bool>(), 0i64..20).prop_map(|(known, minutes)| Op::Recover { known, minutes }),
        3 => (0..SEQS, outcome).prop_map(|(seq, outcome)| Op::Receipt { seq, outcome }),
    ]
}

/// Sends `seqs` as a sender would, putting back what the provider throttled
/// (or, if the sender stopped, the whole delivery, as the queue redelivers
/// a job that was not acknowledged).
async fn send(fake: &Fake, seqs: &[Seq], throttle: Option<usize>, crash: bool) {
    if let Some(n) = throttle {
        fake.throttle_in(n);
    }
    fake.state().fail_mark_sent = u32::from(crash);
    let result = fake.send_in(seqs, RateUnit::Texts).await;
    {
        let mut st = fake.state();
        // The script is for this call only.
        st.throttle_calls.clear();
        st.fail_mark_sent = 0;
        let back = match &result {
            Ok(outcome) => outcome.throttled.clone(),
            Err(_) => seqs.to_vec(),
        };
        st.jobs.extend(back.into_iter().map(|s| (batch_id(), s)));
    }
    if !crash {
        result.unwrap();
    }
}

fn maybe_sent(reason: Option<&str>) -> bool {
    reason.is_some_and(|r| r.contains("may or may not have been sent"))
}

/// At most one text each, and every status agrees with what the provider took.
fn check(fake: &Fake) {
    use RecipientStatus as S;
    let st = fake.state();
    for record in st.recipients[&batch_id()].values().map(|s| &s.record) {
        let seq = record.recipient.seq;
        let mut published = st.published.iter().filter(|(_, p)| p.seq == seq);
        let provider_id = published.next().map(|(_, p)| p.provider_id.clone());
        let texts = usize::from(provider_id.is_some()) + published.count();
        assert!(texts <= 1, "seq {seq} was sent {texts} times");
        match record.status {
            S::Queued | S::Cancelled => {
                assert_eq!(texts, 0, "seq {seq} is {} but was sent", record.status);
            }
            S::Sending => {}
            S::Sent | S::Delivered | S::TemporaryFailure | S::PermanentFailure => {
                assert_eq!(texts, 1, "seq {seq} is {} but was not sent", record.status);
                assert_eq!(record.provider_id, provider_id, "seq {seq}");
            }
            S::TechnicalFailure => {
                let reason = record.reason.as_deref();
                if texts == 1 {
                    assert!(maybe_sent(reason), "seq {seq} was sent: {reason:?}");
                } else {
                    assert!(reason.is_some(), "seq {seq} failed with no reason");
                }
            }
        }
    }
}

async fn run(
    sizes: Vec<u32>,
    refuse: Vec<Seq>,
    unavailable: Vec<(Seq, bool)>,
    ops: Vec<Op>,
    final_known: bool,
) {
    let fake = Fake::with_batch(BatchStatus::Scheduled, &sizes);
    {
        let mut st = fake.state();
        st.refuse = refuse
            .into_iter()
            .map(|s| (s, "Blocked".to_owned()))
            .collect();
        st.unavailable = unavailable.into_iter().collect();
    }
    for op in ops {
        match op {
            Op::Release(wave) => {
                let _ = fake.release(wave).await;
            }
            Op::Send {
                seqs,
                throttle,
                crash,
            } => send(&fake, &seqs, throttle, crash).await,
            Op::SendQueued {
                take,
                throttle,
                crash,
            } => {
                let jobs = fake.take_some_jobs(take);
                send(&fake, &jobs, throttle, crash).await;
            }
            Op::Cancel => {
                let _ = fake.cancel().await;
            }
            Op::Recover { known, minutes } => {
                fake.advance(TimeDelta::minutes(minutes));
                fake.state().lookup = if known {
                    Lookup::Known
                } else {
                    Lookup::Unknowable
                };
                fake.recover().await;
            }
            Op::Receipt { seq, outcome } => {
                let provider_id = fake.provider_id(seq).unwrap_or_else(|| "msg-none".into());
                let receipt = Receipt {
                    provider_id,
                    outcome,
                    reason: None,
                    at: fake.now(),
                };
                fake.receipts(&[receipt]).await;
            }
        }
        check(&fake);
    }

    // Settle: recover what was left sending, release every wave, drain the queue.
    fake.advance(STUCK_AFTER + TimeDelta::minutes(1));
    fake.state().lookup = if final_known {
        Lookup::Known
    } else {
        Lookup::Unknowable
    };
    fake.recover().await;
    for wave in 1..=sizes.len() as u32 {
        fake.release(wave).await.unwrap();
    }
    for _ in 0..100 {
        let jobs = fake.take_jobs();
        if jobs.is_empty() {
            break;
        }
        send(&fake, &jobs, None, false).await;
    }
    assert!(fake.take_jobs().is_empty(), "the queue drains");
    check(&fake);

    let cancelled = fake.batch_status() == BatchStatus::Cancelled;
    for (seq, status) in fake.statuses().into_iter().enumerate() {
        assert!(
            !status.is_waiting(),
            "seq {seq} is still {status} after the queue drained"
        );
        if !cancelled {
            assert_ne!(status, RecipientStatus::Cancelled, "seq {seq}");
        }
    }
    if cancelled {
        assert!(!fake.finish().await);
    } else {
        assert!(fake.finish().await, "a batch with nothing left completes");
        assert_eq!(fake.batch_status(), BatchStatus::Completed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_interleaving_sends_each_text_at_most_once(
        sizes in vec(1u32..=4, 1..=3),
        refuse in vec(0..SEQS, 0..2),
        unavailable in btree_map(0..SEQS, any::<bool>(), 0..3),
        ops in vec(op(), 0..30),
        final_known in any::<bool>(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(run(sizes, refuse, unavailable.into_iter().collect(), ops, final_known));
    }
}
