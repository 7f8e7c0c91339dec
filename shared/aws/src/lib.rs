//! The AWS adapters: each core port on the official SDK, configured from the
//! environment (see `config`). No business rule lives here.

pub mod config;
pub mod dynamo;
pub mod s3;
pub mod scheduler;
pub mod sns;
pub mod sqs;
