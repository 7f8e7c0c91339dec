//! The conformance suites against the in-memory fake.

use crate::test_support::conformance;
use crate::test_support::fake::{Fake, FakeProbe};

#[tokio::test]
async fn the_fake_batch_repo_conforms() {
    conformance::batch_repo(|| async { Fake::new() }).await;
}

#[tokio::test]
async fn the_fake_recipient_repo_conforms() {
    conformance::recipient_repo(|| async { Fake::new() }).await;
}

#[tokio::test]
async fn the_fake_wave_repo_conforms() {
    conformance::wave_repo(|| async { Fake::new() }).await;
}

#[tokio::test]
async fn the_fake_send_queue_conforms() {
    conformance::send_queue(|| async { Fake::new() }, &FakeProbe).await;
}

#[tokio::test]
async fn the_fake_wave_scheduler_conforms() {
    conformance::wave_scheduler(|| async { Fake::new() }, &FakeProbe).await;
}

#[tokio::test]
async fn the_fake_template_store_conforms() {
    conformance::template_store(|| async { Fake::new() }).await;
}

#[tokio::test]
async fn the_fake_object_store_conforms() {
    conformance::object_store(|| async { Fake::new() }, &FakeProbe).await;
}
