//! The DynamoDB adapter: one table, generic key attributes, every write
//! guarded by its own condition. See the README's "Data model" section.
//!
//! Each rule has one home: `schema` names every key attribute and spells
//! every key value, `item` maps each aggregate to and from its items,
//! `expression` writes every expression, `transaction` runs every
//! multi-item write and `update_item` every single-item one; `users`,
//! `properties` and `rooms` implement the store traits with them.

mod expression;
mod item;
mod properties;
mod rooms;
mod schema;
mod transaction;
mod users;

pub use schema::{GSI_SORT_KEY, Index, PARTITION_KEY, SORT_KEY, create_table};

use super::StoreError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// A client configured the standard way (`AWS_REGION`,
    /// `AWS_ENDPOINT_URL`, credentials chain), so the same binary talks to
    /// AWS, DynamoDB Local or a moto server.
    pub async fn from_env(table: impl Into<String>) -> Self {
        let config = aws_config::load_from_env().await;
        Self::new(Client::new(&config), table)
    }

    /// The conditional UpdateItem of the item at `key`. It answers the item
    /// as updated and, when the condition fails, the item as it was, so a
    /// refusal can say which part of the condition failed without a read.
    fn update_item(
        &self,
        key: Item,
        update: &expression::Update,
        condition: String,
        expression: &expression::Expression,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(update.render())
            .condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn number(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Maps an SDK failure to a store error: throttling and transport trouble
/// are worth a retry (503), anything else is a fault of ours (500).
fn sdk_error<E, R>(error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    const RETRYABLE: &[&str] = &[
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    ];
    let retryable = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ServiceError(service) => RETRYABLE.contains(&service.err().code().unwrap_or("")),
        _ => false,
    };
    let detail = aws_sdk_dynamodb::error::DisplayErrorContext(&error).to_string();
    if retryable { StoreError::Unavailable(detail) } else { StoreError::Internal(detail) }
}

/// The reason codes of a cancelled transaction, one per item in order, or
/// `None` when the failure was something other than a cancellation.
fn cancellation_reasons<R>(
    error: &SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> Option<Vec<String>> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match error.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
            cancelled.cancellation_reasons().iter().map(|reason| reason.code().unwrap_or("None").to_owned()).collect(),
        ),
        _ => None,
    }
}

fn condition_failed(code: &str) -> bool {
    code == "ConditionalCheckFailed"
}
