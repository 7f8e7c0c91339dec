//! The object store on S3: uploads are streamed as they are read, reports
//! are written to a temporary file and then uploaded, so neither is ever
//! held in memory whole.

use std::io::{BufWriter, Read, Seek, Write};

use aws_sdk_s3::primitives::ByteStream;
use batchmsg_core::ports::{ObjectStore, PortError, PortResult};
use bytes::Bytes;
use tokio::sync::mpsc;

use crate::sdk_error::describe;

/// Chunks of the body in flight between the download and the reader.
const CHUNKS_AHEAD: usize = 8;

#[derive(Debug, thiserror::Error)]
#[error("S3 {doing} failed for {key}: {what}")]
pub struct S3Error {
    doing: &'static str,
    key: String,
    what: String,
}

pub struct S3ObjectStore {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3ObjectStore {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

impl ObjectStore for S3ObjectStore {
    type Staged = BufWriter<tempfile::NamedTempFile>;

    /// One GetObject (`If-Match` the tag, an ETag, when given); the body is
    /// read by a task on the runtime and handed to the (blocking) reader a
    /// chunk at a time.
    async fn open(&self, key: &str, tag: Option<&str>) -> PortResult<Option<Box<dyn Read + Send>>> {
        let if_match = tag.map(|t| format!("\"{}\"", t.trim_matches('"')));
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_if_match(if_match)
            .send()
            .await;
        let mut body = match result {
            Ok(output) => output.body,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            // 412: the object at the key is another upload now.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 412) => {
                return Ok(None);
            }
            Err(e) => return Err(error("GetObject", key, describe(&e, true))),
        };
        let (chunks, received) = mpsc::channel(CHUNKS_AHEAD);
        tokio::spawn(async move {
            loop {
                let next = match body.try_next().await {
                    Ok(Some(bytes)) => Ok(bytes),
                    Ok(None) => return,
                    Err(e) => Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        e.to_string(),
                    )),
                };
                let failed = next.is_err();
                if chunks.send(next).await.is_err() || failed {
                    return;
                }
            }
        });
        Ok(Some(Box::new(BodyReader {
            received,
            current: Bytes::new(),
        })))
    }

    fn stage(&self) -> PortResult<Self::Staged> {
        Ok(BufWriter::new(
            tempfile::NamedTempFile::new().map_err(PortError::new)?,
        ))
    }

    /// One PutObject, streamed from the staged file.
    async fn put(
        &self,
        key: &str,
        staged: Self::Staged,
        content_type: &'static str,
    ) -> PortResult<()> {
        let mut file = staged
            .into_inner()
            .map_err(|e| PortError::new(e.into_error()))?;
        file.flush().map_err(PortError::new)?;
        let length = file
            .as_file_mut()
            .stream_position()
            .map_err(PortError::new)?;
        // From the path, not the open file, so that the SDK can read it again
        // to retry a PutObject S3 answered with a 500.
        let body = ByteStream::read_from()
            .path(file.path())
            .length(aws_sdk_s3::primitives::Length::Exact(length))
            .build()
            .await
            .map_err(PortError::new)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(length as i64)
            .body(body)
            .send()
            .await
            .map_err(|e| error("PutObject", key, describe(&e, true)))?;
        Ok(())
    }
}

fn error(doing: &'static str, key: &str, what: String) -> PortError {
    PortError::new(S3Error {
        doing,
        key: key.to_owned(),
        what,
    })
}

/// The object's body as `Read`, for validation's thread. It must not be read
/// on the runtime's own threads, which it would block.
struct BodyReader {
    received: mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.received.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}
