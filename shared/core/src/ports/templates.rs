use std::future::Future;

/// A message saved under a name, to be reused across batches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTemplate {
    pub name: String,
    pub text: String,
}

/// A storage failure; the adapter's own error is kept as the source.
#[derive(Debug, thiserror::Error)]
#[error("the template store failed: {0}")]
pub struct StoreError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// Named templates. Names are compared without regard to case.
pub trait TemplateStore {
    /// Saves `template`; with `replace` false, an existing template of that
    /// name is left alone and `false` returned.
    fn save(
        &self,
        template: &StoredTemplate,
        replace: bool,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn get(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<StoredTemplate>, StoreError>> + Send;

    /// Every template, by name.
    fn list(&self) -> impl Future<Output = Result<Vec<StoredTemplate>, StoreError>> + Send;

    /// Whether there was a template of that name to remove.
    fn remove(&self, name: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
