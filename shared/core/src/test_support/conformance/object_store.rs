//! The `ObjectStore` contract, with an [`ObjectProbe`] for the tags and
//! content types it stores.

use std::future::Future;
use std::io::{Read, Write};

use super::ObjectProbe;
use crate::ports::ObjectStore;

/// Runs every case, each on a fresh store from `fresh`.
pub async fn object_store<O, P, F, Fut>(fresh: F, probe: &P)
where
    O: ObjectStore + Sync,
    P: ObjectProbe<O>,
    F: Fn() -> Fut,
    Fut: Future<Output = O>,
{
    stored_and_read_back(&fresh().await, probe).await;
    a_stale_tag_opens_nothing(&fresh().await, probe).await;
    a_large_object_round_trips(&fresh().await).await;
}

async fn put(store: &impl ObjectStore, key: &str, bytes: &[u8], content_type: &'static str) {
    let mut staged = store.stage().unwrap();
    staged.write_all(bytes).unwrap();
    store.put(key, staged, content_type).await.unwrap();
}

/// The object under `key` (with `tag`), read on a blocking thread: a
/// reader may fetch as it is read.
async fn read(store: &impl ObjectStore, key: &str, tag: Option<&str>) -> Option<Vec<u8>> {
    let mut reader = store.open(key, tag).await.unwrap()?;
    let bytes = tokio::task::spawn_blocking(move || {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map(|_| bytes)
    })
    .await
    .unwrap()
    .unwrap();
    Some(bytes)
}

async fn stored_and_read_back<O: ObjectStore, P: ObjectProbe<O>>(store: &O, probe: &P) {
    let key = "reports/org/batch/not-accepted.csv";
    assert_eq!(read(store, key, None).await, None);
    assert_eq!(read(store, key, Some("any")).await, None);
    put(store, key, b"Row,Reason\r\n3,No mobile\r\n", "text/csv").await;
    assert_eq!(
        read(store, key, None).await.as_deref(),
        Some(&b"Row,Reason\r\n3,No mobile\r\n"[..])
    );
    let kept = probe.keeps_content_types().then_some("text/csv");
    assert_eq!(probe.content_type(store, key).await.as_deref(), kept);
    put(store, "empty.txt", b"", "text/plain; charset=utf-8").await;
    assert_eq!(read(store, "empty.txt", None).await, Some(Vec::new()));
    assert_eq!(
        read(store, "reports/org/batch", None).await,
        None,
        "a prefix is no object"
    );
}

async fn a_stale_tag_opens_nothing<O: ObjectStore, P: ObjectProbe<O>>(store: &O, probe: &P) {
    let key = "uploads/org/batch.csv";
    put(store, key, b"first", "text/csv").await;
    let first = probe.tag(store, key).await.expect("a tag");
    assert_eq!(
        read(store, key, Some(&first)).await.as_deref(),
        Some(&b"first"[..])
    );
    put(store, key, b"second", "text/csv").await;
    let second = probe.tag(store, key).await.expect("a tag");
    assert_ne!(first, second);
    assert_eq!(
        read(store, key, Some(&first)).await,
        None,
        "replaced by another upload"
    );
    assert_eq!(
        read(store, key, Some(&second)).await.as_deref(),
        Some(&b"second"[..])
    );
    assert_eq!(
        read(store, key, None).await.as_deref(),
        Some(&b"second"[..])
    );
}

async fn a_large_object_round_trips(store: &impl ObjectStore) {
    let large: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    put(store, "large.bin", &large, "application/octet-stream").await;
    assert!(read(store, "large.bin", None).await == Some(large));
}
