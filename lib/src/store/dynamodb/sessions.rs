//! Sessions: one item per refresh-token family, in its user's partition
//! (so one Query finds them all), and one item per window of each attempt
//! counter. Both carry the table's TTL attribute and disappear by
//! themselves once expired; readers ignore expired sessions before that.

use super::expression::{Expression, Update};
use super::item::{AttemptsItem, SessionItem, UserItem};
use super::query::SortKeys;
use super::schema;
use super::transaction::{TransactFailure, delete_action, put_new_action, update_action};
use super::{DynamoStore, Item, number, sdk_error, string};
use crate::domain::{Admission, AttemptCounter, MAX_SESSIONS_PER_USER, Session, Timestamp, UserId};
use crate::store::{SessionStore, StoreError, StoreResult};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

/// The most items one transaction may write.
const MAX_TRANSACTION_ITEMS: usize = 100;

impl DynamoStore {
    /// Every session of `user`, read consistently with one Query of their
    /// partition.
    async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<Session>> {
        let sessions = SortKeys::StartingWith(schema::session_sort_prefix().to_owned());
        let items = self.partition(schema::user_partition(user), sessions).await?;
        items.into_iter().map(|item| Ok(SessionItem::from_item(item)?.into_domain())).collect()
    }

    /// Deletes every session of `user`: one Query of their partition, then
    /// transactions of up to 100 deletes (a user holds at most
    /// `MAX_SESSIONS_PER_USER`, so one in practice).
    pub(super) async fn delete_sessions_of(&self, user: UserId) -> StoreResult<()> {
        let sessions = self.sessions_of(user).await?;
        self.delete_all(sessions.iter().map(|session| schema::session_key(session.user, session.family)).collect())
            .await
    }

    /// Deletes the items of `keys`, in transactions of up to 100 items.
    pub(super) async fn delete_all(&self, keys: Vec<Item>) -> StoreResult<()> {
        for chunk in keys.chunks(MAX_TRANSACTION_ITEMS) {
            let deletes = chunk.iter().map(|key| delete_action(&self.table, key.clone(), None)).collect();
            self.transact(deletes).await.map_err(TransactFailure::into_error)?;
        }
        Ok(())
    }
}

impl SessionStore for DynamoStore {
    async fn start_session(&self, session: &Session, credentials_version: u64) -> StoreResult<()> {
        // The oldest families beyond the cap end in the same write. Two
        // sign-ins at once may each keep one more: the next one trims again.
        let mut held = self.sessions_of(session.user).await?;
        held.sort_by_key(|held| held.family);
        let ending = held.len().saturating_sub(MAX_SESSIONS_PER_USER - 1);
        let mut expression = Expression::default();
        let current = UserItem::credentials_condition(&mut expression, credentials_version);
        let mut items = vec![
            super::transaction::check_action(&self.table, schema::user_key(session.user), &current, &expression),
            put_new_action(&self.table, SessionItem::from_domain(session).to_item()?),
        ];
        items.extend(
            held[..ending]
                .iter()
                .map(|old| delete_action(&self.table, schema::session_key(old.user, old.family), None)),
        );
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(0) => match self.read_user_item(session.user).await? {
                Some(user) if !user.is_closing() => Err(StoreError::PasswordChanged),
                _ => Err(StoreError::AccountGone),
            },
            // A fresh family id names the write: sent again, it was applied.
            Err(failure) if failure.condition_failed_at(1) => Ok(()),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn get_session(&self, user: UserId, family: uuid::Uuid) -> StoreResult<Option<Session>> {
        let item = self.read_item(schema::session_key(user, family)).await?;
        item.map(|item| Ok(SessionItem::from_item(item)?.into_domain())).transpose()
    }

    async fn replace_session(&self, before: &Session, after: &Session) -> StoreResult<bool> {
        let mut expression = Expression::default();
        let mut update = Update::default();
        update.set.push(expression.equals(SessionItem::LIVE_TOKEN, string(&after.live_token)));
        update.set.push(expression.equals(SessionItem::GENERATION, number(after.generation)));
        update.set.push(expression.equals(SessionItem::ROTATED_AT, number(after.rotated_at)));
        update.set.push(expression.equals(SessionItem::EXPIRES_AT, number(after.expires_at)));
        let condition = expression.equals(SessionItem::LIVE_TOKEN, string(&before.live_token));
        let key = schema::session_key(before.user, before.family);
        let error = match self.update_item(key, &update, condition, &expression).send().await {
            Ok(_) => return Ok(true),
            Err(error) => error,
        };
        match error.as_service_error() {
            // This very replacement, sent again after its answer was lost.
            Some(UpdateItemError::ConditionalCheckFailedException(failed)) => Ok(failed
                .item()
                .and_then(|old| old.get(SessionItem::LIVE_TOKEN))
                .and_then(|live| live.as_s().ok())
                .is_some_and(|live| *live == after.live_token)),
            _ => Err(sdk_error(error)),
        }
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

    async fn count_attempt(&self, counters: &[AttemptCounter], now: Timestamp) -> StoreResult<Admission> {
        let now = now.unix_seconds();
        let items = counters.iter().map(|counter| {
            let window = counter.limit.window(now);
            let mut expression = Expression::default();
            let mut update = Update::default();
            update.add.push(expression.increment(AttemptsItem::COUNT, number(1)));
            update.set.push(expression.equals(AttemptsItem::EXPIRES_AT, number(window + counter.limit.window_seconds)));
            let condition = format!(
                "({} OR {})",
                expression.absent(AttemptsItem::COUNT),
                expression.less_than(AttemptsItem::COUNT, number(counter.limit.attempts))
            );
            let key = schema::attempts_key(&counter.scope, window);
            update_action(&self.table, key, &update, Some(&condition), &expression)
        });
        match self.transact(items.collect()).await {
            Ok(()) => Ok(Admission::Admitted),
            Err(failure) => match counters.iter().enumerate().find(|(index, _)| failure.condition_failed_at(*index)) {
                Some((_, full)) => Ok(Admission::Refused { retry_after: full.limit.retry_after(now) }),
                None => Err(failure.into_error()),
            },
        }
    }

    async fn settle_attempt(&self, counters: &[AttemptCounter; 2], counted_at: Timestamp) -> StoreResult<()> {
        let [cleared, refunded] = counters;
        let at = counted_at.unix_seconds();
        let mut expression = Expression::default();
        let mut update = Update::default();
        update.add.push(expression.increment(AttemptsItem::COUNT, number(-1)));
        let condition = expression.greater_than(AttemptsItem::COUNT, number(0));
        let items = vec![
            delete_action(&self.table, schema::attempts_key(&cleared.scope, cleared.limit.window(at)), None),
            update_action(
                &self.table,
                schema::attempts_key(&refunded.scope, refunded.limit.window(at)),
                &update,
                Some(&condition),
                &expression,
            ),
        ];
        match self.transact(items).await {
            // The refunded window is gone (its TTL passed): nothing to give back.
            Ok(()) | Err(TransactFailure::Cancelled(_)) => Ok(()),
            Err(failure) => Err(failure.into_error()),
        }
    }
}
