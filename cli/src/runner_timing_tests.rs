//! Issue 12, cases 4 and 5: the embedded runner's timing, on a clock the
//! tests control. Tokio's clock is paused, and the runner's clock reads a
//! fixed UK time plus tokio's elapsed time plus any jump a test makes, so
//! rates, waves and windows are seen exactly as a person would, with no
//! waiting on real time.

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use batchmsg_core::batch::{Batch, BatchId, Recipient};
use batchmsg_core::delivery::BatchStatus;
use batchmsg_core::nhs_number::NhsNumber;
use batchmsg_core::ports::{BatchRepo, Clock, RecipientRepo, SharedClock};
use batchmsg_core::sending::{RateUnit, schedule_batch};
use batchmsg_core::waves::{
    LateBecause, Schedule, TimingNote, UK, parse_interval, parse_uk_time, parse_window, plan_waves,
};
use batchmsg_local::{Database, SendingLock};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use tokio::time::Instant;

use crate::runner::{self, Local};

/// Now is `base`, plus tokio's (paused) time since the start, plus jumps.
struct TestClock {
    base: DateTime<Utc>,
    start: Instant,
    jumped: Mutex<TimeDelta>,
}

/// The runner's handle on a [`TestClock`].
struct Reads(Arc<TestClock>);

impl Clock for Reads {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

impl TestClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = TimeDelta::from_std(self.start.elapsed()).unwrap();
        self.base + elapsed + *self.jumped.lock().unwrap()
    }
}

fn clock_at(base: DateTime<Utc>) -> Arc<TestClock> {
    Arc::new(TestClock {
        base,
        start: Instant::now(),
        jumped: Mutex::new(TimeDelta::zero()),
    })
}

/// A UK time in December 2026 (GMT). Tuesday is the 1st.
fn uk(d: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    UK.with_ymd_and_hms(2026, 12, d, h, m, s)
        .unwrap()
        .with_timezone(&Utc)
}

/// How a test batch is sent.
struct Sent<'a> {
    id: &'a str,
    bodies: Vec<String>,
    schedule: Schedule,
    window: Option<&'a str>,
    rate: Option<(u32, RateUnit)>,
    /// When the plan was made.
    planned_at: DateTime<Utc>,
}

fn texts(n: usize, body: &str) -> Vec<String> {
    vec![body.to_owned(); n]
}

fn stagger(per_wave: u64, every: &str, start: &str) -> Schedule {
    Schedule::Stagger {
        per_wave: per_wave.try_into().unwrap(),
        every: parse_interval(every).unwrap(),
        start: Some(parse_uk_time(start).unwrap()),
    }
}

/// Stores the batch, its recipients, rate and window, and its schedules,
/// as `send` does before it starts sending.
async fn seed(db: &Database, sent: &Sent<'_>) -> BatchId {
    let id: BatchId = sent.id.parse().unwrap();
    let n = sent.bodies.len() as u64;
    db.create_batch(&Batch {
        id: id.clone(),
        status: BatchStatus::Validated,
        created_at: sent.planned_at,
        list_name: "list.csv".to_owned(),
        message: "timing".to_owned(),
        rows: n,
        accepted: n,
        not_accepted: 0,
    })
    .await
    .unwrap();
    let recipients: Vec<Recipient> = sent
        .bodies
        .iter()
        .enumerate()
        .map(|(seq, body)| {
            let nhs = (0..10)
                .find_map(|k| NhsNumber::from_first_nine(999_000_000 + seq as u64 * 10 + k))
                .unwrap();
            let mobile = format!("+447700900{seq:03}").parse().unwrap();
            Recipient::new(seq as u32, seq as u64 + 2, nhs, mobile, body.as_str())
        })
        .collect();
    db.insert_recipients(&id, &recipients).await.unwrap();
    if let Some((per_second, unit)) = sent.rate {
        db.save_send_rate(&id, NonZeroU32::new(per_second), unit)
            .unwrap();
    }
    let window = sent.window.map(|spec| parse_window(spec).unwrap());
    if let Some(spec) = sent.window {
        db.save_send_window(&id, spec).unwrap();
    }
    let plan = plan_waves(n, &sent.schedule, window.as_ref(), sent.planned_at).unwrap();
    schedule_batch(db, db, db, &id, &plan).await.unwrap();
    id
}

/// Opens the runner on `dir` as `run` does, with the folder's limit.
fn open(dir: &Path, folder_limit: Option<u32>, clock: &Arc<TestClock>) -> Arc<Local> {
    Local::open_with(
        dir.to_owned(),
        folder_limit.and_then(NonZeroU32::new),
        SharedClock::new(Reads(clock.clone())),
        Duration::from_secs(60),
    )
    .unwrap()
}

async fn drive(local: &Arc<Local>, batches: &[&BatchId]) {
    let batches = batches.iter().map(|&b| b.clone()).collect();
    runner::drive(local.clone(), batches, None, LateBecause::NotRunning)
        .await
        .unwrap();
}

/// Each text of `batch` that went: (seq, when, fragments), in order sent.
fn sent_texts(dir: &Path, batch: &BatchId) -> Vec<(u32, DateTime<Utc>, u32)> {
    let db = rusqlite::Connection::open(dir.join(batchmsg_local::DATABASE_FILE)).unwrap();
    let mut statement = db
        .prepare(
            "SELECT seq, sent_at, fragments FROM recipients
             WHERE batch = ?1 AND sent_at IS NOT NULL ORDER BY sent_at, seq",
        )
        .unwrap();
    statement
        .query_map([batch.as_str()], |row| {
            let at: i64 = row.get(1)?;
            Ok((
                row.get(0)?,
                DateTime::from_timestamp_millis(at).unwrap(),
                row.get(2)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The most texts (or fragments) sent within any one second.
fn busiest_second(sent: &[(u32, DateTime<Utc>, u32)], unit: RateUnit) -> u32 {
    seconds(sent)
        .map(|second| second.iter().map(|(_, _, f)| unit.units(*f)).sum())
        .max()
        .unwrap_or(0)
}

/// The texts sent in each second that starts with a text.
fn seconds(
    sent: &[(u32, DateTime<Utc>, u32)],
) -> impl Iterator<Item = &[(u32, DateTime<Utc>, u32)]> {
    (0..sent.len()).map(|first| {
        let end = sent[first..]
            .iter()
            .take_while(|(_, at, _)| *at < sent[first].1 + TimeDelta::seconds(1))
            .count();
        &sent[first..first + end]
    })
}

fn notes(dir: &Path, batch: &BatchId) -> Vec<TimingNote> {
    Database::open(dir).unwrap().timing_notes(batch).unwrap()
}

// Case 4 ------------------------------------------------------------------

#[tokio::test(start_paused = true)]
async fn each_batch_keeps_its_own_rate_not_the_slowest_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let now = uk(1, 10, 0, 0);
    let send = |id, n, rate| Sent {
        id,
        bodies: texts(n, "Your clinic has moved"),
        schedule: Schedule::Now,
        window: None,
        rate: Some((rate, RateUnit::Texts)),
        planned_at: now,
    };
    let slow = seed(&db, &send("20261201-100000-0001", 4, 1)).await;
    let fast = seed(&db, &send("20261201-100000-0002", 20, 5)).await;
    // A batch another process is sending, at 1 a second: skipped as busy.
    let busy = seed(&db, &send("20261201-100000-0003", 4, 1)).await;
    let _other_process = SendingLock::try_acquire(dir.path(), &busy).unwrap();
    drop(db);

    let clock = clock_at(now);
    let local = open(dir.path(), None, &clock);
    drive(&local, &[&slow, &fast, &busy]).await;

    let fast_sent = sent_texts(dir.path(), &fast);
    let slow_sent = sent_texts(dir.path(), &slow);
    assert_eq!((fast_sent.len(), slow_sent.len()), (20, 4));
    assert!(sent_texts(dir.path(), &busy).is_empty());
    assert_eq!(busiest_second(&slow_sent, RateUnit::Texts), 1);
    assert_eq!(busiest_second(&fast_sent, RateUnit::Texts), 5);
    // 20 texts at 5 a second take four seconds, not twenty.
    let took = fast_sent[19].1 - fast_sent[0].1;
    assert!(took < TimeDelta::seconds(5), "{took}");
}

#[tokio::test(start_paused = true)]
async fn the_folders_limit_caps_every_batch_together() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let now = uk(1, 10, 0, 0);
    let send = |id, rate| Sent {
        id,
        bodies: texts(12, "Your clinic has moved"),
        schedule: Schedule::Now,
        window: None,
        rate: Some((rate, RateUnit::Texts)),
        planned_at: now,
    };
    let slow = seed(&db, &send("20261201-100000-0001", 1)).await;
    let fast = seed(&db, &send("20261201-100000-0002", 10)).await;
    drop(db);

    let clock = clock_at(now);
    let local = open(dir.path(), Some(4), &clock);
    drive(&local, &[&slow, &fast]).await;

    let slow_sent = sent_texts(dir.path(), &slow);
    let mut all = sent_texts(dir.path(), &fast);
    // The slow batch stays at its own rate under a higher folder limit.
    assert_eq!(busiest_second(&slow_sent, RateUnit::Texts), 1);
    all.extend(slow_sent);
    all.sort_by_key(|(_, at, _)| *at);
    assert_eq!(all.len(), 24);
    assert_eq!(busiest_second(&all, RateUnit::Texts), 4);
}

// Case 5 ------------------------------------------------------------------

/// The time each wave's first text went, wave by wave.
fn wave_starts(sent: &[(u32, DateTime<Utc>, u32)], per_wave: u32) -> Vec<DateTime<Utc>> {
    let mut starts: Vec<(u32, DateTime<Utc>)> = Vec::new();
    for &(seq, at, _) in sent {
        let wave = seq / per_wave;
        match starts.iter_mut().find(|(w, _)| *w == wave) {
            Some((_, first)) => *first = (*first).min(at),
            None => starts.push((wave, at)),
        }
    }
    starts.sort();
    starts.into_iter().map(|(_, at)| at).collect()
}

/// Within a few seconds of `expected`, for each.
fn assert_near(actual: &[DateTime<Utc>], expected: &[DateTime<Utc>]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            (*a - *e).abs() < TimeDelta::seconds(5),
            "{actual:?} != {expected:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn overdue_waves_keep_their_stagger_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    // Waves of 2 every 10 minutes from 09:00; batchmsg stopped at 08:59
    // and is started again at 09:35, when four waves are overdue.
    let id = seed(
        &db,
        &Sent {
            id: "20261201-085900-0001",
            bodies: texts(10, "Your clinic has moved"),
            schedule: stagger(2, "10m", "2026-12-01 09:00"),
            window: None,
            rate: None,
            planned_at: uk(1, 8, 59, 0),
        },
    )
    .await;
    drop(db);

    let clock = clock_at(uk(1, 9, 35, 0));
    drive(&open(dir.path(), None, &clock), &[&id]).await;

    let starts = wave_starts(&sent_texts(dir.path(), &id), 2);
    let expected: Vec<_> = [35, 45, 55, 65, 75]
        .into_iter()
        .map(|m| uk(1, 9, 0, 0) + TimeDelta::minutes(m))
        .collect();
    assert_near(&starts, &expected);
    assert_eq!(
        notes(dir.path(), &id),
        [TimingNote::Late {
            wave: 1,
            due: uk(1, 9, 0, 0),
            went: uk(1, 9, 35, 0),
            because: LateBecause::NotRunning,
        }]
    );
    let shown = crate::status::render_timing(&notes(dir.path(), &id));
    assert!(
        shown.starts_with("\nTiming (UK time):\n  Wave 1 was due at 09:00 on Tuesday 1 December 2026 but went at 09:35"),
        "{shown}"
    );
}

#[tokio::test(start_paused = true)]
async fn waves_keep_their_stagger_after_the_computer_sleeps() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let id = seed(
        &db,
        &Sent {
            id: "20261201-085900-0001",
            bodies: texts(6, "Your clinic has moved"),
            schedule: stagger(2, "10m", "2026-12-01 09:00"),
            window: None,
            rate: None,
            planned_at: uk(1, 8, 59, 0),
        },
    )
    .await;
    drop(db);

    let clock = clock_at(uk(1, 8, 59, 30));
    let local = open(dir.path(), None, &clock);
    let running = tokio::spawn({
        let local = local.clone();
        let id = id.clone();
        async move { drive(&local, &[&id]).await }
    });
    // Wave 1 goes at 09:00; at 09:02 the computer sleeps for 25 minutes.
    tokio::time::sleep(Duration::from_secs(150)).await;
    *clock.jumped.lock().unwrap() = TimeDelta::minutes(25);
    running.await.unwrap();

    let starts = wave_starts(&sent_texts(dir.path(), &id), 2);
    assert_eq!(starts.len(), 3);
    assert_near(&starts[..1], &[uk(1, 9, 0, 0)]);
    // Waves 2 and 3 were both overdue on waking: they go ten minutes apart.
    assert!(starts[1] > uk(1, 9, 25, 0), "{starts:?}");
    assert_near(&starts[2..], &[starts[1] + TimeDelta::minutes(10)]);
    assert!(matches!(
        notes(dir.path(), &id)[..],
        [TimingNote::Late {
            wave: 2,
            because: LateBecause::HeldUp,
            ..
        }]
    ));
}

#[tokio::test(start_paused = true)]
async fn a_wave_overdue_after_the_window_closed_waits_for_it_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    // Due Tuesday 17:55 within weekdays 08:00-18:00; batchmsg is started
    // again at 19:36.
    let id = seed(
        &db,
        &Sent {
            id: "20261201-170000-0001",
            bodies: texts(3, "Your clinic has moved"),
            schedule: Schedule::At(parse_uk_time("2026-12-01 17:55").unwrap()),
            window: Some("weekdays 08:00-18:00"),
            rate: None,
            planned_at: uk(1, 17, 0, 0),
        },
    )
    .await;
    drop(db);

    let clock = clock_at(uk(1, 19, 36, 0));
    drive(&open(dir.path(), None, &clock), &[&id]).await;

    let sent = sent_texts(dir.path(), &id);
    assert_eq!(sent.len(), 3);
    assert_near(&wave_starts(&sent, 3), &[uk(2, 8, 0, 0)]);
    assert_eq!(
        notes(dir.path(), &id),
        [TimingNote::Late {
            wave: 1,
            due: uk(1, 17, 55, 0),
            went: uk(2, 8, 0, 0),
            because: LateBecause::NotRunning,
        }]
    );
}

#[tokio::test(start_paused = true)]
async fn a_wave_that_cannot_finish_pauses_at_the_close_and_resumes_at_the_opening() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    // 150 texts at 1 a second from Friday 17:58: two minutes are not enough.
    let id = seed(
        &db,
        &Sent {
            id: "20261204-175800-0001",
            bodies: texts(150, "Your clinic has moved"),
            schedule: Schedule::At(parse_uk_time("2026-12-04 17:58").unwrap()),
            window: Some("weekdays 08:00-18:00"),
            rate: Some((1, RateUnit::Texts)),
            planned_at: uk(4, 17, 0, 0),
        },
    )
    .await;
    drop(db);

    let clock = clock_at(uk(4, 17, 57, 0));
    drive(&open(dir.path(), None, &clock), &[&id]).await;

    let sent = sent_texts(dir.path(), &id);
    assert_eq!(sent.len(), 150);
    let before_close = sent
        .iter()
        .filter(|(_, at, _)| *at < uk(4, 18, 0, 0))
        .count();
    let after_opening = sent
        .iter()
        .filter(|(_, at, _)| *at >= uk(7, 8, 0, 0))
        .count();
    assert!(before_close >= 100, "{before_close} before the close");
    assert_eq!(before_close + after_opening, 150, "texts went while closed");
    // The first text after the pause goes at the opening, Monday 08:00.
    assert_near(&[sent[before_close].1], &[uk(7, 8, 0, 0)]);
    match &notes(dir.path(), &id)[..] {
        [TimingNote::Paused { at, resumes, texts }] => {
            assert_eq!(*texts, after_opening as u64);
            assert_eq!(*resumes, uk(7, 8, 0, 0));
            assert_near(&[*at], &[uk(4, 18, 0, 0)]);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn fragments_never_overfill_a_second_even_under_a_folder_limit() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    // Texts of 3 fragments and of 1, at 2 fragments a second; `run --rate 5`.
    let long = "x".repeat(400);
    let bodies = (0..12)
        .map(|i| {
            if i % 3 == 0 {
                "Hello".to_owned()
            } else {
                long.clone()
            }
        })
        .collect();
    let id = seed(
        &db,
        &Sent {
            id: "20261201-100000-0001",
            bodies,
            schedule: Schedule::Now,
            window: None,
            rate: Some((2, RateUnit::Fragments)),
            planned_at: uk(1, 10, 0, 0),
        },
    )
    .await;
    drop(db);

    let clock = clock_at(uk(1, 10, 0, 0));
    drive(&open(dir.path(), Some(5), &clock), &[&id]).await;

    let sent = sent_texts(dir.path(), &id);
    assert_eq!(sent.len(), 12);
    assert!(sent.iter().any(|(_, _, f)| *f == 3));
    // No second holds more than 2 fragments, but for a 3-fragment text alone.
    for second in seconds(&sent) {
        let fragments: u32 = second.iter().map(|(_, _, f)| f).sum();
        assert!(fragments <= 2 || second.len() == 1, "{second:?}");
    }
}
