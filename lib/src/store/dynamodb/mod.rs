//! The DynamoDB adapter: one table, generic key attributes, every write
//! guarded by its own condition. See docs/data-model.md.
//!
//! Each rule has one home: `schema` names every key attribute and spells
//! every key value, `item` maps each aggregate to and from its items,
//! `expression` writes every expression, `transaction` runs every
//! multi-item write and `update_item` every single-item one; `users`,
//! `properties` and `rooms` implement the store traits with them.

mod alerts;
mod clusters;
mod expression;
mod feed;
#[cfg(feature = "local")]
mod follow;
mod item;
mod kept;
mod nearest;
mod photos;
mod properties;
mod query;
mod reindex;
mod rooms;
mod schema;
mod search;
mod sessions;
mod stream;
mod transaction;
mod users;
mod webhooks;

pub use feed::FEED_SETTLE;
#[cfg(feature = "local")]
pub use follow::StreamFollower;
pub use reindex::ReindexReport;
pub use schema::{CHANGES_PREFIX, Index, PARTITION_KEY, SORT_KEY, TIME_TO_LIVE, create_table};
pub use stream::{feed_event, listing_change, photos_removed_by};

use super::StoreError;
use crate::aws::Limits;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::time::Duration;

type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// How old a change of the feed must be to be read (`feed`).
    feed_settle: Duration,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into(), feed_settle: FEED_SETTLE }
    }

    /// The same store, reading changes of the feed once they are
    /// `settle` old: for tests, on a DynamoDB whose transactions all
    /// commit within it (the default, [`FEED_SETTLE`], holds for AWS).
    pub fn with_feed_settle(self, settle: Duration) -> Self {
        Self { feed_settle: settle, ..self }
    }

    /// A client of the SDK configuration `config` (see [`crate::aws`]),
    /// bounded by [`LIMITS`].
    pub fn from_sdk_config(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        let config = client_config(aws_sdk_dynamodb::config::Builder::from(config), &LIMITS);
        Self::new(Client::from_conf(config.build()), table)
    }

    /// Opens and warms the connection to DynamoDB, so that the first request
    /// does not pay for DNS, TCP and TLS set-up: during a Lambda function's
    /// init, which runs with more CPU than a throttled request. One Query of
    /// a property collection that does not exist, which every function's
    /// role allows and which reads nothing. A failure is only logged: the
    /// first request then sets the connection up itself.
    pub async fn warm_up(&self) {
        let started = std::time::Instant::now();
        match self.collection(crate::domain::PropertyId::generate()).await {
            Ok(_) => tracing::debug!(elapsed = ?started.elapsed(), "DynamoDB connection warmed"),
            Err(error) => tracing::warn!(%error, "warming the DynamoDB connection failed"),
        }
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

    /// The item at `key`, read consistently: every single-item read of
    /// the adapter.
    async fn read_item(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(output.item)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }
}

/// How long the store waits for DynamoDB (see [`Limits`]). DynamoDB answers
/// in milliseconds, our largest writes and Query pages in well under a
/// second: an attempt still running after 1.5 s is stuck, and a new one on
/// a new connection does better than more waiting. A call has room for
/// about two such attempts, and for three that fail fast (throttling, a
/// 500). A transaction, with the retries of its cancellations
/// (`transaction.rs`), ends within the same [`Limits::call`]. A store that
/// never answers makes the first call of a request fail, and the request
/// a 503, after 3 s: within half of each API function's timeout (10 s and
/// 20 s in `template.yaml`), which a test checks.
pub const LIMITS: Limits = Limits {
    connect: Duration::from_secs(1),
    attempt: Duration::from_millis(1500),
    call: Duration::from_secs(3),
    max_attempts: 3,
};

/// The longest first backoff between attempts (jittered, doubling after
/// each). DynamoDB's transient failures are short; the SDK's default of a
/// second could spend a third of a call asleep.
const INITIAL_BACKOFF: Duration = Duration::from_millis(50);

/// `builder` bounded by `limits` ([`Limits::sdk_settings`]), used by
/// [`DynamoStore::from_sdk_config`] and by the tests' clients.
pub fn client_config(builder: aws_sdk_dynamodb::config::Builder, limits: &Limits) -> aws_sdk_dynamodb::config::Builder {
    let (timeouts, retries) = limits.sdk_settings(INITIAL_BACKOFF);
    builder.timeout_config(timeouts).retry_config(retries)
}

fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn number(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Maps an SDK failure to a store error: throttling and transport trouble
/// are worth a retry (503), anything else is a fault of ours (500).
/// Transport trouble is a call out of time (the per-call limit, or the
/// per-attempt one on the last attempt: both are a `TimeoutError`), a
/// request not sent (a connection refused or not opened in time: a
/// `DispatchFailure`) and a response cut off (a `ResponseError`).
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
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
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
