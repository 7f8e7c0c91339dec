//! The test harness itself: moto answers, and a reset clears it.

use batchmsg_moto::Moto;

#[tokio::test]
async fn moto_answers_and_a_reset_clears_it() {
    let moto = Moto::connect().await;
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk);
    sqs.create_queue()
        .queue_name("left-over")
        .send()
        .await
        .expect("creates a queue");
    drop(moto);
    let moto = Moto::connect().await;
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk);
    let queues = sqs.list_queues().send().await.expect("lists queues");
    assert!(queues.queue_urls().is_empty(), "{queues:?}");
}
