//! Measures the send function's rate limit as the stack would run it: each
//! instance takes `rate / concurrency` texts a second, and the SQS event
//! source runs at most `concurrency` instances. Sends the same batch with 1,
//! 2 and 4 instances busy against moto and reports, from the moments each
//! Publish was let go (when the limiter returned), the whole run's texts a
//! second and the most texts in any one second: the second must never pass
//! the stack's rate, and the first says what an idle instance's unused share
//! costs.
//!
//! Needs moto: `bash bench/aws-rate.sh` starts it and runs this.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use batchmsg_core::ports::{PortResult, RateLimiter, SystemClock};
use batchmsg_core::rate::EvenlySpacedLimiter;
use batchmsg_core::waves::Schedule;
use batchmsg_pipeline_tests::{Pipeline, send_deadline, send_timing};
use batchmsg_send::Sending;
use batchmsg_synthetic::{ListOptions, write_patient_list};

const RATE: f64 = 40.0;
const CONCURRENCY: u32 = 4;
const ROWS: u64 = 1_100;

/// The limiter, noting when it lets each text go.
struct Noted {
    limiter: EvenlySpacedLimiter,
    at: Arc<Mutex<Vec<Instant>>>,
}

impl RateLimiter for Noted {
    async fn acquire(&self, units: u32) -> PortResult<()> {
        self.limiter.acquire(units).await?;
        self.at.lock().unwrap().push(Instant::now());
        Ok(())
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    println!(
        "stack rate {RATE}/s, MaximumConcurrency {CONCURRENCY}: each instance {}/s",
        RATE / f64::from(CONCURRENCY)
    );
    println!("busy instances  texts  seconds  texts/s  of rate  most in any 1 s");
    for busy in [1usize, 2, 4] {
        let pipeline = Pipeline::new().await;
        let mut list = Vec::new();
        let options = ListOptions {
            rows: ROWS,
            seed: 3,
            with_consent_column: false,
            practice_shapes: false,
        };
        write_patient_list(&mut list, &options).unwrap();
        pipeline.upload(list).await;
        pipeline.validate().await;
        pipeline.schedule(Schedule::Now).await;
        pipeline.fire(1).await;

        let started = Instant::now();
        let let_go = Arc::new(Mutex::new(Vec::new()));
        let instances: Vec<_> = (0..busy)
            .map(|_| {
                let limiter = EvenlySpacedLimiter::new(RATE, CONCURRENCY).unwrap();
                Sending {
                    repos: pipeline.stack.repos.clone(),
                    sender: pipeline.stack.sender.clone(),
                    timing: send_timing(&limiter),
                    limiter: Noted {
                        limiter,
                        at: let_go.clone(),
                    },
                    clock: SystemClock,
                    queue: pipeline.stack.queue.clone(),
                }
            })
            .collect();
        futures::future::join_all(instances.iter().map(|sending| async {
            while let Some(event) = pipeline.receive().await {
                let response = batchmsg_send::handle(sending, event.clone(), send_deadline())
                    .await
                    .unwrap();
                pipeline.settle(&event, &response).await;
            }
        }))
        .await;
        let elapsed = started.elapsed();

        let mut sent: Vec<u128> = let_go
            .lock()
            .unwrap()
            .iter()
            .map(|t| t.duration_since(started).as_micros())
            .collect();
        sent.sort_unstable();
        assert_eq!(
            sent.len(),
            pipeline.texts().len(),
            "one Publish for each text let go"
        );
        let span = (sent[sent.len() - 1] - sent[0]) as f64 / 1e6;
        let rate = (sent.len() - 1) as f64 / span;
        let mut most = 0;
        let mut start = 0;
        for end in 0..sent.len() {
            while sent[end] - sent[start] >= 1_000_000 {
                start += 1;
            }
            most = most.max(end - start + 1);
        }
        println!(
            "{busy:>14}  {:>5}  {:>7.1}  {rate:>7.1}  {:>6.0} %  {most:>16}",
            sent.len(),
            elapsed.as_secs_f64(),
            100.0 * rate / RATE
        );
    }
}
