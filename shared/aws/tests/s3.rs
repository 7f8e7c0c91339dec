//! The object store against moto's S3, and SNS's opted-out numbers.

use std::io::{Read, Write};

use batchmsg_aws::config::s3_client;
use batchmsg_aws::s3::S3ObjectStore;
use batchmsg_aws::sns::SnsOptOuts;
use batchmsg_core::mobile::UkMobile;
use batchmsg_core::ports::{ObjectStore, OptedOutNumbers};
use batchmsg_moto::Moto;

const BUCKET: &str = "batchmsg-lists";

async fn store(moto: &Moto) -> (aws_sdk_s3::Client, S3ObjectStore) {
    let client = s3_client(&moto.sdk);
    client
        .create_bucket()
        .bucket(BUCKET)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await
        .expect("creates the bucket");
    (client.clone(), S3ObjectStore::new(client, BUCKET))
}

/// 3 MB that differ byte to byte, so a chunk out of place shows.
fn large() -> Vec<u8> {
    (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_reads_back_whole_through_the_streaming_reader() {
    let moto = Moto::connect().await;
    let (client, store) = store(&moto).await;
    let bytes = large();
    let put = client
        .put_object()
        .bucket(BUCKET)
        .key("uploads/org/b1.csv")
        .body(bytes.clone().into())
        .send()
        .await
        .unwrap();
    // As S3 events give it: without quotes.
    let tag = put.e_tag().unwrap().trim_matches('"').to_owned();

    let mut reader = store
        .open("uploads/org/b1.csv", Some(&tag))
        .await
        .unwrap()
        .unwrap();
    let read = tokio::task::spawn_blocking(move || {
        let mut read = Vec::new();
        reader.read_to_end(&mut read).map(|_| read)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(read.len(), bytes.len());
    assert!(read == bytes, "the bytes differ");

    assert!(
        store
            .open("uploads/org/none.csv", None)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .open("uploads/org/b1.csv", None)
            .await
            .unwrap()
            .is_some()
    );
    // Another upload has replaced the one the event named.
    let replaced = store
        .open(
            "uploads/org/b1.csv",
            Some("0123456789abcdef0123456789abcdef"),
        )
        .await
        .unwrap();
    assert!(replaced.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_staged_report_is_stored_with_its_content_type() {
    let moto = Moto::connect().await;
    let (client, store) = store(&moto).await;
    let bytes = large();
    let mut staged = store.stage().unwrap();
    staged.write_all(&bytes).unwrap();
    store
        .put(
            "reports/org/b1/not-accepted.csv",
            staged,
            "text/csv; charset=utf-8",
        )
        .await
        .unwrap();

    let object = client
        .get_object()
        .bucket(BUCKET)
        .key("reports/org/b1/not-accepted.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(object.content_type(), Some("text/csv; charset=utf-8"));
    let stored = object.body.collect().await.unwrap().into_bytes();
    assert!(stored == bytes, "the bytes differ");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_bucket_is_an_error_that_names_the_key() {
    let moto = Moto::connect().await;
    let store = S3ObjectStore::new(s3_client(&moto.sdk), "no-such-bucket");
    let error = store.open("uploads/org/b1.csv", None).await.err().unwrap();
    let text = format!("{}", std::error::Error::source(&error).unwrap());
    assert!(
        text.contains("GetObject failed for uploads/org/b1.csv"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn snss_opted_out_numbers_are_the_list_validation_uses() {
    let moto = Moto::connect().await;
    let list = SnsOptOuts::new(&moto.sdk).opted_out().await.unwrap();
    // moto's fixed list: eight UK numbers, two of them 07632 pager numbers
    // that no list row can hold as a mobile.
    assert_eq!(list.len(), 6);
    for number in ["07700 900149", "07700900550", "+447420500600"] {
        assert!(
            list.contains_mobile(UkMobile::parse(number).unwrap()),
            "{number}"
        );
    }
    assert!(!list.contains_mobile(UkMobile::parse("07700 900148").unwrap()));
}
