//! The table's key schema: the one place that names key attributes and
//! indexes. `template.yaml` and `terraform/` declare exactly these (a test
//! checks it), and the tests and `local --create-table` create tables with it.

use super::StoreError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};

pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";
/// Every index sorts on the same attribute: the property id, time-ordered.
pub const GSI_SORT_KEY: &str = "gsisk";

/// The global secondary indexes, each keyed by its own partition attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    City,
    Owner,
    Feed,
    Type,
}

impl Index {
    pub const ALL: [Index; 4] = [Index::City, Index::Owner, Index::Feed, Index::Type];

    pub fn name(self) -> &'static str {
        match self {
            Index::City => "city-index",
            Index::Owner => "owner-index",
            Index::Feed => "feed-index",
            Index::Type => "type-index",
        }
    }

    pub fn partition_key(self) -> &'static str {
        match self {
            Index::City => "gsi1pk",
            Index::Owner => "gsi2pk",
            Index::Feed => "gsi3pk",
            Index::Type => "gsi4pk",
        }
    }
}

/// Creates the table (on-demand, as in production) and waits until it is usable.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let key = |name: &str, key_type| {
        KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().expect("complete key")
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("complete attribute")
    };
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(PARTITION_KEY, KeyType::Hash))
        .key_schema(key(SORT_KEY, KeyType::Range))
        .attribute_definitions(attribute(PARTITION_KEY))
        .attribute_definitions(attribute(SORT_KEY))
        .attribute_definitions(attribute(GSI_SORT_KEY));
    for index in Index::ALL {
        request = request.attribute_definitions(attribute(index.partition_key())).global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name())
                .key_schema(key(index.partition_key(), KeyType::Hash))
                .key_schema(key(GSI_SORT_KEY, KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .expect("complete index"),
        );
    }
    request.send().await.map_err(super::sdk_error)?;
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(std::time::Duration::from_secs(60))
        .await
        .map_err(|e| StoreError::Unavailable(format!("waiting for table {table}: {e}")))?;
    Ok(())
}
