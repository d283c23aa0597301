//! Answers kept under an `Idempotency-Key`: each is one more put in the
//! transaction of the creation it answers, conditioned on the key being
//! free (no answer there, or an expired one).

use super::expression::Expression;
use super::item::KeptAnswerItem;
use super::transaction::{TransactFailure, put_action};
use super::{DynamoStore, number, schema};
use crate::domain::Timestamp;
use crate::store::{KeptAnswer, StoreError, StoreResult};
use aws_sdk_dynamodb::types::TransactWriteItem;

/// Where a creation's transaction puts the answer it keeps, if it keeps one.
pub(super) struct Slot<'a>(Option<(usize, &'a KeptAnswer)>);

impl<'a> Slot<'a> {
    /// Appends the put of `answer` (if any) to a creation's `items`.
    pub fn append(
        table: &str,
        items: &mut Vec<TransactWriteItem>,
        answer: Option<&'a KeptAnswer>,
    ) -> StoreResult<Self> {
        let Some(answer) = answer else { return Ok(Self(None)) };
        let mut expression = Expression::default();
        let now = number(Timestamp::now().unix_seconds());
        let condition = expression.item_absent_or_expired(KeptAnswerItem::EXPIRES_AT, now);
        let item = KeptAnswerItem::from_domain(answer).to_item()?;
        items.push(put_action(table, item, &condition, &expression));
        Ok(Self(Some((items.len() - 1, answer))))
    }

    /// The answer whose key was found in use, when that is why the
    /// transaction failed.
    pub fn refused_by(&self, failure: &TransactFailure) -> Option<&'a KeptAnswer> {
        self.0.filter(|(index, _)| failure.condition_failed_at(*index)).map(|(_, answer)| answer)
    }
}

impl DynamoStore {
    /// The error of a creation whose `answer` found its key in use:
    /// `KeyUsed` with the answer kept there.
    pub(super) async fn key_used(&self, answer: &KeptAnswer) -> StoreError {
        let earlier = match self.read_item(schema::kept_answer_key(&answer.scope, &answer.key)).await {
            Ok(item) => item.map(|item| KeptAnswerItem::from_item(item).map(KeptAnswerItem::into_domain)),
            Err(error) => return error,
        };
        match earlier {
            Some(Ok(earlier)) if !earlier.expired(Timestamp::now()) => StoreError::KeyUsed(Box::new(earlier)),
            Some(Err(error)) => error,
            // It expired between the write and this read: the key is free.
            _ => StoreError::Unavailable("an Idempotency-Key expired during the request".into()),
        }
    }
}
