//! The `TemplateStore` contract: names compared without regard to (ASCII)
//! case.

use std::future::Future;

use crate::ports::{StoredTemplate, TemplateStore};

fn template(name: &str, text: &str) -> StoredTemplate {
    StoredTemplate {
        name: name.to_owned(),
        text: text.to_owned(),
    }
}

/// Runs every case, each on a fresh store from `fresh`.
pub async fn template_store<T, F, Fut>(fresh: F)
where
    T: TemplateStore + Sync,
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    saved_found_and_removed_whatever_the_case(&fresh().await).await;
    listed_by_name(&fresh().await).await;
}

async fn saved_found_and_removed_whatever_the_case(store: &impl TemplateStore) {
    assert_eq!(store.get("Flu recall").await.unwrap(), None);
    assert!(!store.remove("Flu recall").await.unwrap());
    let first = template("Flu recall", "Dear ((name|patient)), book now.");
    assert!(store.save(&first, false).await.unwrap());
    assert_eq!(store.get("FLU RECALL").await.unwrap(), Some(first.clone()));
    assert!(
        !store
            .save(&template("flu Recall", "Other"), false)
            .await
            .unwrap(),
        "a name taken, in any case, is not replaced unless asked"
    );
    assert_eq!(store.get("flu recall").await.unwrap(), Some(first));
    let second = template("flu Recall", "Other");
    assert!(store.save(&second, true).await.unwrap());
    assert_eq!(
        store.get("Flu recall").await.unwrap(),
        Some(second.clone()),
        "replaced, name as last saved"
    );
    assert_eq!(store.list().await.unwrap(), [second]);
    assert!(store.remove("FLU RECALL").await.unwrap());
    assert!(!store.remove("flu recall").await.unwrap());
    assert_eq!(store.get("flu recall").await.unwrap(), None);
    assert!(store.list().await.unwrap().is_empty());
}

async fn listed_by_name(store: &impl TemplateStore) {
    assert!(store.list().await.unwrap().is_empty());
    for name in ["clinic move", "Booster", "annual review", "Flu"] {
        store
            .save(&template(name, &format!("About {name}")), false)
            .await
            .unwrap();
    }
    let names: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(
        names,
        ["annual review", "Booster", "clinic move", "Flu"],
        "in name order without regard to case"
    );
}
