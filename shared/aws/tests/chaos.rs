//! The chaos runs (core's `test_support::chaos`) with DynamoDB on moto as
//! the store: each seed on a fresh table, under AWS's rules (the provider
//! cannot say what it took; the sweep settles what is left). Fewer seeds
//! than on SQLite, as each request goes over HTTP; more: `bench/chaos.sh`.

use std::sync::atomic::{AtomicU32, Ordering};

use batchmsg_aws::dynamo::{DynamoRepos, create_table};
use batchmsg_core::test_support::chaos::{Mode, check_seeds, seeds};
use batchmsg_moto::Moto;

#[tokio::test]
async fn chaos_on_dynamodb_under_aws_rules() {
    let moto = Moto::connect().await;
    let stack = moto.stack().await;
    let made = AtomicU32::new(0);
    let summaries = check_seeds(Mode::Aws, &seeds(25), || async {
        let table = format!("chaos-{}", made.fetch_add(1, Ordering::Relaxed));
        create_table(&stack.dynamo, &table)
            .await
            .expect("creates a table");
        DynamoRepos::new(stack.dynamo.clone(), table)
    })
    .await;
    if summaries.len() > 1 {
        assert!(
            summaries.iter().any(|s| s.kills > 0),
            "no process was killed"
        );
        assert!(summaries.iter().any(|s| s.texts > 0), "nothing was sent");
    }
}
