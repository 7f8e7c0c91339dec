//! Ports: the small traits the use cases need from the outside world, each
//! implemented by an adapter for AWS and one for the embedded default.
//!
//! Methods return `Send` futures: the AWS adapters are async, and Lambda's
//! HTTP runtime needs `Send` handler futures. Adapters implement them with
//! `async fn`.

mod templates;

pub use templates::{StoreError, StoredTemplate, TemplateStore};
