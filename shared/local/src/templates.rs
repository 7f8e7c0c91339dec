//! Named templates in SQLite.

use batchmsg_core::ports::{StoreError, StoredTemplate, TemplateStore};
use rusqlite::{OptionalExtension, params};

use crate::Database;

fn store_error(e: rusqlite::Error) -> StoreError {
    StoreError(Box::new(e))
}

impl TemplateStore for Database {
    async fn save(&self, template: &StoredTemplate, replace: bool) -> Result<bool, StoreError> {
        let sql = if replace {
            "INSERT INTO templates (name, text) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name, text = excluded.text"
        } else {
            "INSERT INTO templates (name, text) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING"
        };
        let changed = self
            .connection()
            .execute(sql, params![template.name, template.text])
            .map_err(store_error)?;
        Ok(changed == 1)
    }

    async fn get(&self, name: &str) -> Result<Option<StoredTemplate>, StoreError> {
        self.connection()
            .query_row(
                "SELECT name, text FROM templates WHERE name = ?1",
                [name],
                |row| {
                    Ok(StoredTemplate {
                        name: row.get(0)?,
                        text: row.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(store_error)
    }

    async fn list(&self) -> Result<Vec<StoredTemplate>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare("SELECT name, text FROM templates ORDER BY name")
            .map_err(store_error)?;
        let rows = statement
            .query_map([], |row| {
                Ok(StoredTemplate {
                    name: row.get(0)?,
                    text: row.get(1)?,
                })
            })
            .map_err(store_error)?;
        rows.collect::<Result<_, _>>().map_err(store_error)
    }

    async fn remove(&self, name: &str) -> Result<bool, StoreError> {
        let removed = self
            .connection()
            .execute("DELETE FROM templates WHERE name = ?1", [name])
            .map_err(store_error)?;
        Ok(removed == 1)
    }
}

#[cfg(test)]
mod tests {
    use batchmsg_core::templates::{TemplatesError, add_template, find_template, remove_template};

    use super::*;

    #[tokio::test]
    async fn templates_survive_reopening_and_names_ignore_case() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        {
            let db = Database::open(dir.path()).expect("opens");
            add_template(&db, "Flu recall", "Dear ((name|patient))", false)
                .await
                .expect("saves");
            add_template(&db, "Clinic move", "Your clinic has moved", false)
                .await
                .expect("saves");
        }
        let db = Database::open(dir.path()).expect("opens again");
        let found = find_template(&db, "FLU RECALL").await.expect("finds");
        assert_eq!(found.text, "Dear ((name|patient))");
        let names: Vec<String> = db
            .list()
            .await
            .expect("lists")
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["Clinic move", "Flu recall"]);
        assert!(matches!(
            add_template(&db, "flu recall", "other", false).await,
            Err(TemplatesError::Exists(_))
        ));
        add_template(&db, "flu recall", "other", true)
            .await
            .expect("replaces");
        assert_eq!(
            find_template(&db, "Flu Recall").await.expect("finds").text,
            "other"
        );
        remove_template(&db, "flu RECALL").await.expect("removes");
        assert!(matches!(
            remove_template(&db, "flu recall").await,
            Err(TemplatesError::NotFound(_))
        ));
    }
}
