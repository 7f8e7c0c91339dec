//! The AWS adapters: each core port on the official SDK, configured from the
//! environment (see `config`). No business rule lives here.
//!
//! Each service's adapter is behind a cargo feature of the same name
//! (`dynamodb`, `s3`, `scheduler`, `sns`, `sqs`), which also brings in that
//! service's SDK crate: a Lambda function enables only the services its
//! `main` calls and links only their clients.

pub mod config;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
#[cfg(feature = "s3")]
pub mod s3;
#[cfg(feature = "scheduler")]
pub mod scheduler;
#[cfg(any(
    feature = "s3",
    feature = "scheduler",
    feature = "sns",
    feature = "sqs"
))]
mod sdk_error;
#[cfg(feature = "sns")]
pub mod sns;
#[cfg(feature = "sqs")]
pub mod sqs;
pub mod wave_due;
