//! The chaos runs on the in-memory fake as the store: the harness itself,
//! and the use cases, before any adapter is involved.

use crate::test_support::chaos::{Mode, check_seeds, seeds};
use crate::test_support::fake::Fake;

#[tokio::test]
async fn chaos_runs_on_the_fake_keep_the_promise_on_aws_rules() {
    let summaries = check_seeds(Mode::Aws, &seeds(300), || async { Fake::new() }).await;
    assert!(
        summaries.iter().any(|s| s.kills > 0),
        "no run killed a process"
    );
    assert!(summaries.iter().any(|s| s.texts > 0));
}

#[tokio::test]
async fn chaos_runs_on_the_fake_keep_the_promise_on_local_rules() {
    let summaries = check_seeds(Mode::Local, &seeds(300), || async { Fake::new() }).await;
    assert!(
        summaries.iter().any(|s| s.kills > 0),
        "no run killed a process"
    );
}
