//! Saving and finding named templates: the use cases behind
//! `batchmsg template add|list|show|remove`, and `--template NAME`.

use crate::message::{Template, TemplateError};
use crate::ports::{StoreError, StoredTemplate, TemplateStore};

const MAX_NAME_CHARS: usize = 60;

#[derive(Debug, thiserror::Error)]
pub enum TemplatesError {
    #[error(
        "A template name has 1 to {MAX_NAME_CHARS} letters, digits, spaces, hyphens or underscores"
    )]
    BadName,
    #[error("The template cannot be used: {0}")]
    BadText(#[from] TemplateError),
    #[error("There is already a template called {0:?}: remove it first, or save with replace")]
    Exists(String),
    #[error("There is no template called {0:?}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn check_name(name: &str) -> Result<&str, TemplatesError> {
    let name = name.trim();
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_');
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || !name.chars().all(allowed) {
        return Err(TemplatesError::BadName);
    }
    Ok(name)
}

/// Saves `text` as `name` once it parses as a message; the text is stored as
/// written (trailing whitespace aside) and tidied each time it is used.
pub async fn add_template(
    store: &impl TemplateStore,
    name: &str,
    text: &str,
    replace: bool,
) -> Result<StoredTemplate, TemplatesError> {
    let name = check_name(name)?;
    let text = text.trim_end();
    Template::parse(text)?;
    let template = StoredTemplate {
        name: name.to_owned(),
        text: text.to_owned(),
    };
    if !store.save(&template, replace).await? {
        return Err(TemplatesError::Exists(template.name));
    }
    Ok(template)
}

pub async fn find_template(
    store: &impl TemplateStore,
    name: &str,
) -> Result<StoredTemplate, TemplatesError> {
    store
        .get(name.trim())
        .await?
        .ok_or_else(|| TemplatesError::NotFound(name.trim().to_owned()))
}

pub async fn remove_template(store: &impl TemplateStore, name: &str) -> Result<(), TemplatesError> {
    if store.remove(name.trim()).await? {
        Ok(())
    } else {
        Err(TemplatesError::NotFound(name.trim().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fake::Fake;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        // The in-memory store never waits, so one poll finishes every call.
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("the in-memory store does not wait"),
        }
    }

    #[test]
    fn saves_finds_and_removes_by_name() {
        let store = Fake::new();
        block_on(add_template(
            &store,
            " Flu recall ",
            "Dear ((name|patient)), book now.\n",
            false,
        ))
        .expect("saves");
        let found = block_on(find_template(&store, "flu recall")).expect("finds");
        assert_eq!(found.name, "Flu recall");
        assert_eq!(found.text, "Dear ((name|patient)), book now.");
        block_on(remove_template(&store, "FLU RECALL")).expect("removes");
        assert!(matches!(
            block_on(find_template(&store, "Flu recall")),
            Err(TemplatesError::NotFound(_))
        ));
    }

    #[test]
    fn an_existing_name_is_kept_unless_replaced() {
        let store = Fake::new();
        block_on(add_template(&store, "a", "one", false)).expect("saves");
        assert!(matches!(
            block_on(add_template(&store, "A", "two", false)),
            Err(TemplatesError::Exists(_))
        ));
        block_on(add_template(&store, "A", "two", true)).expect("replaces");
        assert_eq!(
            block_on(find_template(&store, "a")).expect("finds").text,
            "two"
        );
    }

    #[test]
    fn bad_names_and_texts_are_refused_before_saving() {
        let store = Fake::new();
        for name in ["", "   ", "a/b", &"x".repeat(61)] {
            assert!(
                matches!(
                    block_on(add_template(&store, name, "hi", false)),
                    Err(TemplatesError::BadName)
                ),
                "{name:?}"
            );
        }
        assert!(matches!(
            block_on(add_template(&store, "t", "  ", false)),
            Err(TemplatesError::BadText(_))
        ));
        assert!(matches!(
            block_on(add_template(&store, "t", "Hi (())", false)),
            Err(TemplatesError::BadText(_))
        ));
        assert!(block_on(store.list()).expect("lists").is_empty());
    }
}
