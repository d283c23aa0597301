//! Users: one item per user, plus one email-claim item per address that
//! makes uniqueness a transaction condition instead of a read-then-write.

use super::expression::{Expression, Update, all};
use super::item::{EmailClaimItem, LAST_WRITE, UserItem, attribute, written_by};
use super::kept::Slot;
use super::query::SortKeys;
use super::transaction::{TransactFailure, delete_action, exists_check_action, put_new_action};
use super::{DynamoStore, Item, number, schema, sdk_error, string};
use crate::domain::{Email, PasswordHash, ProfileChanges, Timestamp, User, UserId};
use crate::store::{Credentials, KeptAnswer, StoreError, StoreResult, UserStore, WriteId};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;

impl DynamoStore {
    /// The user item, read consistently.
    pub(super) async fn read_user_item(&self, id: UserId) -> StoreResult<Option<UserItem>> {
        self.read_item(schema::user_key(id)).await?.map(UserItem::from_item).transpose()
    }

    /// The user and their password hash, read consistently.
    pub(super) async fn read_user(&self, id: UserId) -> StoreResult<Option<(User, PasswordHash)>> {
        self.read_user_item(id).await?.map(UserItem::into_domain).transpose()
    }

    /// Deletes the answers kept in `scope`: one Query of its partition, then
    /// the deletes.
    async fn delete_kept_answers(&self, scope: &str) -> StoreResult<()> {
        let answers = self.partition(schema::kept_answers_partition(scope), SortKeys::All).await?;
        self.delete_all(answers.iter().map(schema::key_of).collect()).await
    }
}

/// `Some(old item, if it exists and was asked for)` when an update failed on
/// its condition, `None` when it failed for any other reason.
pub(super) fn failed_condition<R>(error: &SdkError<UpdateItemError, R>) -> Option<Option<&Item>> {
    match error.as_service_error()? {
        UpdateItemError::ConditionalCheckFailedException(failed) => Some(failed.item()),
        _ => None,
    }
}

impl UserStore for DynamoStore {
    async fn create_user(
        &self,
        user: &User,
        password_hash: &PasswordHash,
        answer: Option<&KeptAnswer>,
    ) -> StoreResult<()> {
        let mut items = vec![
            put_new_action(&self.table, UserItem::from_domain(user, password_hash).to_item()?),
            put_new_action(&self.table, EmailClaimItem::from_domain(user.id).to_item(&user.email)?),
        ];
        let slot = Slot::append(&self.table, &mut items, answer)?;
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if let Some(answer) = slot.refused_by(&failure) => Err(self.key_used(answer).await),
            // Its fresh id names the write: sent again, it was applied already.
            Err(failure) if failure.condition_failed_at(0) => Ok(()),
            Err(failure) if failure.condition_failed_at(1) => Err(StoreError::EmailTaken),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        Ok(self.read_user(id).await?.map(|(user, _)| user))
    }

    async fn find_credentials(&self, email: &Email) -> StoreResult<Option<Credentials>> {
        let claim = self.read_item(schema::email_claim_key(email)).await?;
        let Some(claim) = claim.map(EmailClaimItem::from_item).transpose()? else {
            // The same second read as for a registered address, so that the
            // time of a sign-in does not tell whether the address is taken.
            self.read_user(UserId::generate()).await?;
            return Ok(None);
        };
        Ok(self.read_user_item(claim.into_domain()).await?.and_then(|user| user.credentials()))
    }

    async fn account_exists(&self, id: UserId) -> StoreResult<bool> {
        match self.transact(vec![exists_check_action(&self.table, schema::user_key(id))]).await {
            Ok(()) => Ok(true),
            Err(failure) if failure.condition_failed_at(0) => Ok(false),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn get_credentials(&self, id: UserId) -> StoreResult<Option<Credentials>> {
        Ok(self.read_user_item(id).await?.and_then(|user| user.credentials()))
    }

    async fn update_profile(&self, id: UserId, changes: &ProfileChanges, now: Timestamp) -> StoreResult<User> {
        let mut expression = Expression::default();
        let mut update = Update::default();
        update.set.push(expression.equals(UserItem::UPDATED_AT, attribute(&now)?));
        if let Some(name) = &changes.first_name {
            update.set.push(expression.equals(UserItem::FIRST_NAME, string(name.as_str())));
        }
        if let Some(name) = &changes.last_name {
            update.set.push(expression.equals(UserItem::LAST_NAME, string(name.as_str())));
        }
        if let Some(date) = changes.birth_date {
            update.set.push(expression.equals(UserItem::BIRTH_DATE, string(date.to_string())));
        }
        let condition = expression.item_exists();
        let output =
            self.update_item(schema::user_key(id), &update, condition, &expression).send().await.map_err(|error| {
                match failed_condition(&error) {
                    Some(_) => StoreError::AccountGone,
                    None => sdk_error(error),
                }
            })?;
        let item = output.attributes.ok_or_else(|| StoreError::Internal("update returned no item".into()))?;
        Ok(UserItem::from_item(item)?.into_domain()?.0)
    }

    async fn replace_password_hash(
        &self,
        id: UserId,
        current: &PasswordHash,
        new: &PasswordHash,
        now: Timestamp,
        write: WriteId,
    ) -> StoreResult<()> {
        let mut expression = Expression::default();
        let mut update = Update::default();
        update.set.push(expression.equals(UserItem::PASSWORD_HASH, string(new.as_phc())));
        update.set.push(expression.equals(UserItem::UPDATED_AT, attribute(&now)?));
        update.set.push(expression.equals(LAST_WRITE, string(write.to_string())));
        update.add.push(expression.increment(UserItem::CREDENTIALS_VERSION, number(1)));
        // No item fails this condition too: its attribute is missing.
        let condition = all([
            expression.equals(UserItem::PASSWORD_HASH, string(current.as_phc())),
            expression.absent_or_not(LAST_WRITE, string(write.to_string())),
        ]);
        let error = match self.update_item(schema::user_key(id), &update, condition, &expression).send().await {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        match failed_condition(&error) {
            // This very change, sent again after its answer was lost.
            Some(Some(old)) if written_by(old, write) => Ok(()),
            Some(Some(_)) => Err(StoreError::PasswordChanged),
            Some(None) => Err(StoreError::AccountGone),
            None => Err(sdk_error(error)),
        }
    }

    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        // The email is needed to release its claim; it never changes, so
        // reading it first cannot race with anything.
        let (user, _) = self.read_user(id).await?.ok_or(StoreError::AccountGone)?;
        // Closing first: from here no sign-in starts a session (its
        // condition needs an open account at the version it checked).
        let mut expression = Expression::default();
        let mut update = Update::default();
        update.set.push(expression.equals(UserItem::CLOSING, AttributeValue::Bool(true)));
        update.add.push(expression.increment(UserItem::CREDENTIALS_VERSION, number(1)));
        let condition = expression.item_exists();
        self.update_item(schema::user_key(id), &update, condition, &expression).send().await.map_err(|error| {
            match failed_condition(&error) {
                Some(_) => StoreError::AccountGone,
                None => sdk_error(error),
            }
        })?;
        // Then what the account holds: if this fails half-way the account
        // still exists and the client can retry.
        self.delete_sessions_of(id).await?;
        self.delete_kept_answers(&KeptAnswer::email_scope(&user.email)).await?;
        tokio::try_join!(self.delete_properties_of(id), self.delete_webhooks_of(id), self.delete_alerts_of(id))?;
        let mut expression = Expression::default();
        let exists = expression.item_exists();
        let items = vec![
            delete_action(&self.table, schema::user_key(id), Some((&exists, &expression))),
            delete_action(&self.table, schema::email_claim_key(&user.email), Some((&exists, &expression))),
        ];
        match self.transact(items).await {
            Ok(()) => {}
            Err(TransactFailure::Cancelled(_)) => return Err(StoreError::AccountGone),
            Err(failure) => return Err(failure.into_error()),
        }
        // A property, webhook, favourite or saved search created while the
        // first purge ran (its transaction checked the owner before the
        // account was gone) goes too, and the answers kept for the owner's
        // creations after every creation.
        tokio::try_join!(self.delete_properties_of(id), self.delete_webhooks_of(id), self.delete_alerts_of(id))?;
        self.delete_kept_answers(&KeptAnswer::caller_scope(id)).await
    }
}
