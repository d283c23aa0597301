//! Sessions: one item per refresh-token family, in its user's partition
//! (so one Query finds them all), and one item per address that failed to
//! sign in. Both carry the table's TTL attribute and disappear by
//! themselves once expired; readers ignore expired ones before that.

use super::expression::{Expression, Update, all};
use super::item::{FailedSignInsItem, SessionItem};
use super::schema::{self, PARTITION_KEY, SORT_KEY};
use super::{DynamoStore, number, sdk_error, string};
use crate::domain::{Email, FailedSignIns, Session, Timestamp, UserId};
use crate::store::{Rotation, SessionStore, StoreError, StoreResult};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

impl DynamoStore {
    /// Deletes every session of `user`: one Query of their partition, then
    /// one delete per family.
    pub(super) async fn delete_sessions_of(&self, user: UserId) -> StoreResult<()> {
        let mut expression = Expression::default();
        let key_condition = all([
            expression.equals(PARTITION_KEY, string(schema::user_partition(user))),
            expression.begins_with(SORT_KEY, string(schema::session_sort_prefix())),
        ]);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(key_condition)
            .projection_expression(format!("{}, {}", expression.name(PARTITION_KEY), expression.name(SORT_KEY)))
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .consistent_read(true);
        for key in self.query_all(query).await? {
            self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await.map_err(sdk_error)?;
        }
        Ok(())
    }
}

impl SessionStore for DynamoStore {
    async fn start_session(&self, session: &Session) -> StoreResult<()> {
        // The user's deletion removes their sessions after their properties;
        // a session started meanwhile would outlive the account unless the
        // account is checked in the same write.
        let items = vec![
            super::transaction::exists_check_action(&self.table, schema::user_key(session.user)),
            super::transaction::put_new_action(&self.table, SessionItem::from_domain(session).to_item()?),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(0) => Err(StoreError::AccountGone),
            // A fresh family id names the write: sent again, it was applied.
            Err(failure) if failure.condition_failed_at(1) => Ok(()),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn rotate_session(&self, presented: &str, next: &Session) -> StoreResult<Rotation> {
        let now = Timestamp::now().unix_seconds();
        let mut expression = Expression::default();
        let mut update = Update::default();
        update.set.push(expression.equals(SessionItem::LIVE_TOKEN, string(&next.live_token)));
        update.set.push(expression.equals(SessionItem::EXPIRES_AT, number(next.expires_at)));
        let condition = all([
            expression.equals(SessionItem::LIVE_TOKEN, string(presented)),
            expression.greater_than(SessionItem::EXPIRES_AT, number(now)),
        ]);
        let key = schema::session_key(next.user, next.family);
        let error = match self.update_item(key.clone(), &update, condition, &expression).send().await {
            Ok(_) => return Ok(Rotation::Rotated),
            Err(error) => error,
        };
        let old = match error.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(failed)) => failed.item().cloned(),
            _ => return Err(sdk_error(error)),
        };
        let Some(old) = old.map(SessionItem::from_item).transpose()?.map(SessionItem::into_domain) else {
            return Ok(Rotation::Unknown);
        };
        if old.live_token == next.live_token {
            // This very rotation, sent again after its answer was lost.
            return Ok(Rotation::Rotated);
        }
        if old.expired(Timestamp::now()) {
            return Ok(Rotation::Unknown);
        }
        self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await.map_err(sdk_error)?;
        Ok(Rotation::Reused)
    }

    async fn end_session(&self, user: UserId, family: uuid::Uuid) -> StoreResult<()> {
        let key = schema::session_key(user, family);
        self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn end_all_sessions(&self, user: UserId) -> StoreResult<()> {
        self.read_user(user).await?.ok_or(StoreError::AccountGone)?;
        self.delete_sessions_of(user).await
    }

    async fn failed_sign_ins(&self, email: &Email, now: Timestamp) -> StoreResult<Option<FailedSignIns>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(schema::sign_in_failures_key(email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let failures = output.item.map(FailedSignInsItem::from_item).transpose()?.map(FailedSignInsItem::into_domain);
        Ok(failures.filter(|failures| failures.remembered(now.unix_seconds())))
    }

    async fn record_failed_sign_in(&self, email: &Email, now: Timestamp) -> StoreResult<()> {
        let now = now.unix_seconds();
        // One more failure, if the earlier ones are still remembered...
        let mut expression = Expression::default();
        let mut update = Update::default();
        update.add.push(expression.increment(FailedSignInsItem::COUNT, number(1)));
        update.set.push(expression.equals(FailedSignInsItem::LAST_AT, number(now)));
        update.set.push(expression.equals(FailedSignInsItem::EXPIRES_AT, number(now + FailedSignIns::MEMORY_SECONDS)));
        let condition =
            expression.greater_than(FailedSignInsItem::LAST_AT, number(now - FailedSignIns::MEMORY_SECONDS));
        let key = schema::sign_in_failures_key(email);
        let error = match self.update_item(key, &update, condition, &expression).send().await {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        if !matches!(error.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) {
            return Err(sdk_error(error));
        }
        // ...else the first one. Two first failures at once may count as
        // one: the lock comes one failure later, never sooner.
        let item = FailedSignInsItem::first(now).to_item(email)?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn forget_failed_sign_ins(&self, email: &Email) -> StoreResult<()> {
        let key = schema::sign_in_failures_key(email);
        self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await.map_err(sdk_error)?;
        Ok(())
    }
}
