//! Users: one item per user, plus one email-claim item per address that
//! makes uniqueness a transaction condition instead of a read-then-write.

use super::expression::Expression;
use super::transaction::{TransactFailure, delete_action, key, put_action};
use super::{DynamoStore, Item, from_item, sdk_error, string, to_item};
use crate::domain::{BirthDate, Email, PasswordHash, PersonName, ProfileChanges, Timestamp, User, UserId};
use crate::store::{Credentials, StoreError, StoreResult, UserStore};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use serde::{Deserialize, Serialize};

const PROFILE: &str = "PROFILE";
const EMAIL: &str = "EMAIL";

pub(super) fn user_pk(id: UserId) -> String {
    format!("USER#{id}")
}

fn email_pk(email: &Email) -> String {
    format!("EMAIL#{}", email.normalized())
}

/// `pk = USER#<id>, sk = PROFILE`
#[derive(Serialize, Deserialize)]
struct UserItem {
    pk: String,
    sk: String,
    id: UserId,
    email: Email,
    first_name: PersonName,
    last_name: PersonName,
    birth_date: BirthDate,
    password_hash: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl UserItem {
    fn new(user: &User, password_hash: &PasswordHash) -> Self {
        Self {
            pk: user_pk(user.id),
            sk: PROFILE.into(),
            id: user.id,
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            birth_date: user.birth_date,
            password_hash: password_hash.as_phc().to_owned(),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }

    fn into_user(self) -> User {
        User {
            id: self.id,
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            birth_date: self.birth_date,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// `pk = EMAIL#<lower-cased email>, sk = EMAIL`: exists while the address is taken.
#[derive(Serialize, Deserialize)]
struct EmailClaimItem {
    pk: String,
    sk: String,
    user_id: UserId,
}

impl DynamoStore {
    async fn get_user_item(&self, id: UserId) -> StoreResult<Option<UserItem>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", string(user_pk(id)))
            .key("sk", string(PROFILE))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        output.item.map(from_item).transpose()
    }
}

/// `Some(old item, if it exists and was asked for)` when an update failed on
/// its condition, `None` when it failed for any other reason.
fn failed_condition<R>(error: &SdkError<UpdateItemError, R>) -> Option<Option<&Item>> {
    match error.as_service_error()? {
        UpdateItemError::ConditionalCheckFailedException(failed) => Some(failed.item()),
        _ => None,
    }
}

impl UserStore for DynamoStore {
    async fn create_user(&self, user: &User, password_hash: &PasswordHash) -> StoreResult<()> {
        let claim = EmailClaimItem { pk: email_pk(&user.email), sk: EMAIL.into(), user_id: user.id };
        let items = vec![
            put_action(&self.table, to_item(&UserItem::new(user, password_hash))?, "attribute_not_exists(pk)"),
            put_action(&self.table, to_item(&claim)?, "attribute_not_exists(pk)"),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(1) => Err(StoreError::EmailTaken),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        Ok(self.get_user_item(id).await?.map(UserItem::into_user))
    }

    async fn find_credentials(&self, email: &Email) -> StoreResult<Option<Credentials>> {
        let claim = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", string(email_pk(email)))
            .key("sk", string(EMAIL))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(claim) = claim.item.map(from_item::<EmailClaimItem>).transpose()? else {
            return Ok(None);
        };
        Ok(self
            .get_user_item(claim.user_id)
            .await?
            .map(|item| Credentials { user_id: item.id, password_hash: PasswordHash::from_phc(item.password_hash) }))
    }

    async fn get_password_hash(&self, id: UserId) -> StoreResult<Option<PasswordHash>> {
        Ok(self.get_user_item(id).await?.map(|item| PasswordHash::from_phc(item.password_hash)))
    }

    async fn update_profile(&self, id: UserId, changes: &ProfileChanges, now: Timestamp) -> StoreResult<User> {
        let mut assignments = vec!["updated_at = :updated_at"];
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", string(user_pk(id)))
            .key("sk", string(PROFILE))
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":updated_at", to_attribute(&now)?)
            .return_values(ReturnValue::AllNew);
        if let Some(name) = &changes.first_name {
            assignments.push("first_name = :first_name");
            request = request.expression_attribute_values(":first_name", string(name.as_str()));
        }
        if let Some(name) = &changes.last_name {
            assignments.push("last_name = :last_name");
            request = request.expression_attribute_values(":last_name", string(name.as_str()));
        }
        if let Some(date) = changes.birth_date {
            assignments.push("birth_date = :birth_date");
            request = request.expression_attribute_values(":birth_date", string(date.to_string()));
        }
        let output =
            request.update_expression(format!("SET {}", assignments.join(", "))).send().await.map_err(|error| {
                match failed_condition(&error) {
                    Some(_) => StoreError::AccountGone,
                    None => sdk_error(error),
                }
            })?;
        let item = output.attributes.ok_or_else(|| StoreError::Internal("update returned no item".into()))?;
        Ok(from_item::<UserItem>(item)?.into_user())
    }

    async fn replace_password_hash(
        &self,
        id: UserId,
        current: &PasswordHash,
        new: &PasswordHash,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", string(user_pk(id)))
            .key("sk", string(PROFILE))
            .update_expression("SET password_hash = :new, updated_at = :updated_at")
            .condition_expression("password_hash = :current")
            .expression_attribute_values(":new", string(new.as_phc()))
            .expression_attribute_values(":current", string(current.as_phc()))
            .expression_attribute_values(":updated_at", to_attribute(&now)?)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await
            .map_err(|error| match failed_condition(&error) {
                Some(Some(_)) => StoreError::PasswordChanged,
                Some(None) => StoreError::AccountGone,
                None => sdk_error(error),
            })?;
        Ok(())
    }

    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        // The email is needed to release its claim; it never changes, so
        // reading it first cannot race with anything.
        let user = self.get_user_item(id).await?.ok_or(StoreError::AccountGone)?;
        // Properties first: if this fails half-way the account still
        // exists and the client can retry.
        self.delete_properties_of(id).await?;
        let exists = ("attribute_exists(pk)", &Expression::default());
        let items = vec![
            delete_action(&self.table, key(user_pk(id), PROFILE.into()), Some(exists)),
            delete_action(&self.table, key(email_pk(&user.email), EMAIL.into()), Some(exists)),
        ];
        match self.transact(items).await {
            Ok(()) => {}
            Err(TransactFailure::Cancelled(_)) => return Err(StoreError::AccountGone),
            Err(failure) => return Err(failure.into_error()),
        }
        // A property created while the first purge ran (its transaction
        // checked the owner before the account was gone) goes too.
        self.delete_properties_of(id).await
    }
}

fn to_attribute<T: Serialize>(value: &T) -> StoreResult<aws_sdk_dynamodb::types::AttributeValue> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Internal(format!("encoding a value: {e}")))
}
