//! The table itself: one description, for creating it in tests and for
//! checking the SAM template against.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus,
};
use batchmsg_core::ports::PortError;

use super::keys::{GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, PK, SK};
use super::{DynamoError, request_error};

/// A partition and a sort key, both strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyDefinition {
    pub partition: &'static str,
    pub sort: &'static str,
}

/// A global secondary index projecting every attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexDefinition {
    pub name: &'static str,
    pub keys: KeyDefinition,
}

/// The table the repositories need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableDefinition {
    pub keys: KeyDefinition,
    pub indexes: &'static [IndexDefinition],
    /// `PAY_PER_REQUEST`.
    pub billing_mode: &'static str,
}

const INDEXES: &[IndexDefinition] = &[
    IndexDefinition {
        name: GSI1,
        keys: KeyDefinition {
            partition: GSI1PK,
            sort: GSI1SK,
        },
    },
    IndexDefinition {
        name: GSI2,
        keys: KeyDefinition {
            partition: GSI2PK,
            sort: GSI2SK,
        },
    },
];

/// `PK`/`SK` (strings), on demand, `GSI1` on `GSI1PK`/`GSI1SK` (every batch,
/// newest first in one Query) and the sparse `GSI2` on `GSI2PK`/`GSI2SK`
/// (the open batches only, for the sweep), each with every attribute
/// projected.
/// Encryption (KMS), point-in-time recovery and deletion protection are the
/// template's business.
pub fn table_definition() -> TableDefinition {
    TableDefinition {
        keys: KeyDefinition {
            partition: PK,
            sort: SK,
        },
        indexes: INDEXES,
        billing_mode: "PAY_PER_REQUEST",
    }
}

fn key_schema(keys: KeyDefinition) -> Result<Vec<KeySchemaElement>, DynamoError> {
    Ok(vec![
        KeySchemaElement::builder()
            .attribute_name(keys.partition)
            .key_type(KeyType::Hash)
            .build()?,
        KeySchemaElement::builder()
            .attribute_name(keys.sort)
            .key_type(KeyType::Range)
            .build()?,
    ])
}

fn string_attribute(name: &str) -> Result<AttributeDefinition, DynamoError> {
    Ok(AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()?)
}

/// Creates the table `name` as [`table_definition`] describes, and waits
/// until it is active.
pub async fn create_table(client: &Client, name: &str) -> Result<(), PortError> {
    let definition = table_definition();
    let mut attributes = vec![
        string_attribute(definition.keys.partition)?,
        string_attribute(definition.keys.sort)?,
    ];
    let mut indexes = Vec::new();
    for index in definition.indexes {
        attributes.push(string_attribute(index.keys.partition)?);
        attributes.push(string_attribute(index.keys.sort)?);
        indexes.push(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .set_key_schema(Some(key_schema(index.keys)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(DynamoError::from)?,
        );
    }
    client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(definition.keys)?))
        .set_global_secondary_indexes(Some(indexes))
        .billing_mode(BillingMode::from(definition.billing_mode))
        .send()
        .await
        .map_err(|e| request_error("CreateTable", name, e))?;
    for _ in 0..240 {
        let table = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| request_error("DescribeTable", name, e))?;
        let status = table.table().and_then(|t| t.table_status());
        let indexes_active = table
            .table()
            .map(|t| t.global_secondary_indexes())
            .unwrap_or_default()
            .iter()
            .all(|i| i.index_status().is_none_or(|s| s.as_str() == "ACTIVE"));
        if status == Some(&TableStatus::Active) && indexes_active {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(DynamoError::Request {
        operation: "CreateTable",
        table: name.to_owned(),
        detail: "the table was not active within 2 minutes".to_owned(),
    }
    .into())
}
