//! Transactions: the building blocks of every multi-item write, and the
//! retry of cancellations that are only a race or throttling
//! ([`Policy::CONFLICT`]).

use super::expression::{Expression, Update};
use super::{DynamoStore, Item, sdk_error};
use crate::store::StoreError;
use crate::store::retry::{self, Attempt, Policy};
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update as UpdateAction};

/// Why a transaction did not commit.
pub(super) enum TransactFailure {
    /// Cancelled: the reason code of each item, in order.
    Cancelled(Vec<String>),
    Failed(StoreError),
}

impl TransactFailure {
    /// Whether the item at `index` failed its condition.
    pub(super) fn condition_failed_at(&self, index: usize) -> bool {
        matches!(self, Self::Cancelled(reasons) if reasons.get(index).is_some_and(|code| super::condition_failed(code)))
    }

    pub(super) fn into_error(self) -> StoreError {
        match self {
            Self::Cancelled(reasons) => StoreError::Internal(format!("transaction cancelled: {reasons:?}")),
            Self::Failed(error) => error,
        }
    }
}

impl DynamoStore {
    /// Runs a transaction, retrying when it was cancelled for a transient
    /// reason: most often a race with another transaction on the same items
    /// (DynamoDB cancels rather than waits), or throttling.
    ///
    /// The retries included, it takes no longer than one call may (the
    /// client's operation timeout, [`Limits::call`](crate::aws::Limits::call)): out of time, it
    /// is unavailable, whichever attempt was running. As with any call out
    /// of time, an attempt cut short may still have committed: the client
    /// retrying on the 503 then meets its own write (a second registration
    /// of the same address is a 409).
    pub(super) async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), TransactFailure> {
        let budget = self.client.config().timeout_config().and_then(|timeouts| timeouts.operation_timeout());
        let Some(budget) = budget else {
            return self.transact_with_retries(items).await;
        };
        match tokio::time::timeout(budget, self.transact_with_retries(items)).await {
            Ok(result) => result,
            Err(_) => Err(TransactFailure::Failed(StoreError::Unavailable(format!(
                "transaction not done within {budget:?}, its retries included"
            )))),
        }
    }

    async fn transact_with_retries(&self, items: Vec<TransactWriteItem>) -> Result<(), TransactFailure> {
        let policy = Policy::CONFLICT;
        let items = &items;
        let outcome = retry::run(policy, |_| async move {
            let Err(error) = self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await
            else {
                return Ok(Attempt::Done(()));
            };
            match super::cancellation_reasons(&error) {
                Some(reasons) if reasons.iter().any(|code| super::condition_failed(code)) => {
                    Err(TransactFailure::Cancelled(reasons))
                }
                Some(reasons) if reasons.iter().any(|code| transient(code)) => Ok(Attempt::Retry(reasons)),
                _ => Err(TransactFailure::Failed(sdk_error(error))),
            }
        })
        .await?;
        outcome.done_or(|reasons| {
            TransactFailure::Failed(StoreError::Unavailable(format!(
                "transaction still cancelled after {} attempts: {reasons:?}",
                policy.attempts
            )))
        })
    }
}

/// Whether a cancellation reason may go away on retry. Everything but the
/// verdicts about the request itself is: conflicts and throttling, and any
/// reason code this code does not know.
fn transient(code: &str) -> bool {
    !matches!(code, "None" | "ConditionalCheckFailed" | "ValidationError" | "ItemCollectionSizeLimitExceeded")
}

/// Puts a new item: the put fails its condition if an item has that key.
pub(super) fn put_new_action(table: &str, item: Item) -> TransactWriteItem {
    let mut expression = Expression::default();
    let condition = expression.item_absent();
    put_action(table, item, &condition, &expression)
}

/// Puts an item if `condition` holds.
pub(super) fn put_action(table: &str, item: Item, condition: &str, expression: &Expression) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .set_expression_attribute_names(expression.names())
        .set_expression_attribute_values(expression.values())
        .build();
    TransactWriteItem::builder().put(put.expect("complete put")).build()
}

/// Puts an item whatever is there: one that the transaction's other
/// conditions guard already (an index entry of the item they condition).
pub(super) fn overwrite_action(table: &str, item: Item) -> TransactWriteItem {
    let put = Put::builder().table_name(table).set_item(Some(item)).build();
    TransactWriteItem::builder().put(put.expect("complete put")).build()
}

/// Writes nothing, but fails its condition unless the item with that key exists.
pub(super) fn exists_check_action(table: &str, key: Item) -> TransactWriteItem {
    let mut expression = Expression::default();
    let exists = expression.item_exists();
    check_action(table, key, &exists, &expression)
}

/// Writes nothing, but fails unless `condition` holds on the item with that key.
pub(super) fn check_action(table: &str, key: Item, condition: &str, expression: &Expression) -> TransactWriteItem {
    let check = ConditionCheck::builder()
        .table_name(table)
        .set_key(Some(key))
        .condition_expression(condition)
        .set_expression_attribute_names(expression.names())
        .set_expression_attribute_values(expression.values())
        .build();
    TransactWriteItem::builder().condition_check(check.expect("complete condition check")).build()
}

/// Updates an item, if `condition` holds when there is one.
pub(super) fn update_action(
    table: &str,
    key: Item,
    update: &Update,
    condition: Option<&str>,
    expression: &Expression,
) -> TransactWriteItem {
    let action = UpdateAction::builder()
        .table_name(table)
        .set_key(Some(key))
        .update_expression(update.render())
        .set_condition_expression(condition.map(str::to_owned))
        .set_expression_attribute_names(expression.names())
        .set_expression_attribute_values(expression.values())
        .build();
    TransactWriteItem::builder().update(action.expect("complete update")).build()
}

pub(super) fn delete_action(table: &str, key: Item, condition: Option<(&str, &Expression)>) -> TransactWriteItem {
    let mut action = Delete::builder().table_name(table).set_key(Some(key));
    if let Some((condition, expression)) = condition {
        action = action
            .condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values());
    }
    TransactWriteItem::builder().delete(action.build().expect("complete delete")).build()
}
