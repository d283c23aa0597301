//! A property's own writes: publishing it with its first rooms, changing
//! it, and deleting it with its rooms (alone, or all of an owner's). Each
//! is one write whose condition checks ownership (and the version) itself.

use super::read::collection;
use super::{owned_by, touch_property};
use crate::domain::{Property, PropertyChanges, PropertyId, Room, Timestamp, UserId};
use crate::store::dynamodb::expression::{Expression, Update, all};
use crate::store::dynamodb::item::{PropertyItem, RoomItem};
use crate::store::dynamodb::schema::{self, Index};
use crate::store::dynamodb::transaction::{delete_action, exists_check_action, put_new_action};
use crate::store::dynamodb::{DynamoStore, number, sdk_error, string};
use crate::store::{StoreError, StoreResult};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};

pub(super) async fn create_property(store: &DynamoStore, property: &Property, rooms: &[Room]) -> StoreResult<()> {
    let mut items = vec![
        // The owner must still exist: a deleted user's token creates nothing.
        exists_check_action(&store.table, schema::user_key(property.owner_id)),
        put_new_action(&store.table, PropertyItem::from_domain(property, rooms).to_item()?),
    ];
    for room in rooms {
        items.push(put_new_action(&store.table, RoomItem::from_domain(room).to_item()?));
    }
    match store.transact(items).await {
        Ok(()) => Ok(()),
        Err(failure) if failure.condition_failed_at(0) => Err(StoreError::AccountGone),
        Err(failure) => Err(failure.into_error()),
    }
}

pub(super) async fn update_property(
    store: &DynamoStore,
    id: PropertyId,
    caller: UserId,
    changes: &PropertyChanges,
    expected_version: Option<u64>,
    now: Timestamp,
) -> StoreResult<Property> {
    let mut expression = Expression::default();
    let mut update = Update::default();
    if let Some(name) = &changes.name {
        update.set.push(expression.equals(PropertyItem::NAME, string(name.as_str())));
    }
    if let Some(description) = &changes.description {
        update.set.push(expression.equals(PropertyItem::DESCRIPTION, string(description.as_str())));
    }
    if let Some(kind) = changes.property_type {
        update.set.push(expression.equals(PropertyItem::PROPERTY_TYPE, string(kind.code())));
        update.set.push(expression.equals(Index::Type.partition_key(), string(schema::type_partition(kind))));
    }
    if let Some(city) = &changes.city {
        // The city and its index key change together: the property
        // moves to the new city's listing in the same write.
        update.set.push(expression.equals(PropertyItem::CITY, string(city.name())));
        update.set.push(expression.equals(Index::City.partition_key(), string(schema::city_partition(city.key()))));
    }
    touch_property(&mut update, &mut expression, now)?;
    let mut conditions = vec![expression.item_exists(), owned_by(&mut expression, caller)];
    if let Some(version) = expected_version {
        conditions.push(expression.equals(PropertyItem::VERSION, number(version)));
    }
    let result = store
        .client
        .update_item()
        .table_name(&store.table)
        .set_key(Some(schema::property_key(id)))
        .update_expression(update.render())
        .condition_expression(all(conditions))
        .set_expression_attribute_names(expression.names())
        .set_expression_attribute_values(expression.values())
        .return_values(ReturnValue::AllNew)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match result {
        Ok(output) => {
            let item = output.attributes.ok_or_else(|| StoreError::Internal("update returned no item".into()))?;
            PropertyItem::from_item(item)?.into_domain()
        }
        Err(error) => match error.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                Err(match failed.item().and_then(PropertyItem::owner_of) {
                    None => StoreError::PropertyNotFound,
                    Some(owner) if *owner != caller.to_string() => StoreError::NotOwner,
                    Some(_) => StoreError::VersionMismatch,
                })
            }
            _ => Err(sdk_error(error)),
        },
    }
}

pub(super) async fn delete_property(store: &DynamoStore, id: PropertyId, caller: UserId) -> StoreResult<()> {
    // The rooms must be listed to be deleted; the version condition
    // makes sure none was added or removed in between (else: retry).
    for _ in 0..5 {
        let items = collection(store, id).await?;
        let Some(property) = items.into_iter().find(schema::is_property_item) else {
            return Err(StoreError::PropertyNotFound);
        };
        let property = PropertyItem::from_item(property)?;
        if property.owner_id() != caller {
            return Err(StoreError::NotOwner);
        }
        let mut expression = Expression::default();
        let condition = all([
            owned_by(&mut expression, caller),
            expression.equals(PropertyItem::VERSION, number(property.version())),
        ]);
        let mut actions = vec![delete_action(&store.table, schema::property_key(id), Some((&condition, &expression)))];
        for room in property.room_ids() {
            actions.push(delete_action(&store.table, schema::room_key(id, room), None));
        }
        match store.transact(actions).await {
            Ok(()) => return Ok(()),
            Err(failure) if failure.condition_failed_at(0) => continue,
            Err(failure) => return Err(failure.into_error()),
        }
    }
    Err(StoreError::Unavailable(format!("property {id} kept changing while being deleted")))
}

impl DynamoStore {
    /// Deletes every property of `owner`: part of deleting the account.
    pub(in crate::store::dynamodb) async fn delete_properties_of(&self, owner: UserId) -> StoreResult<()> {
        let index = Index::Owner;
        let mut expression = Expression::default();
        let key_condition = expression.equals(index.partition_key(), string(schema::owner_partition(owner)));
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index.name())
                .key_condition_expression(&key_condition)
                .set_expression_attribute_names(expression.names())
                .set_expression_attribute_values(expression.values())
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            for item in output.items.unwrap_or_default() {
                let id = item.get(PropertyItem::ID).and_then(|value| value.as_s().ok());
                let id = id.and_then(|id| PropertyId::parse(id));
                let id = id.ok_or_else(|| StoreError::Internal("owner index item without an id".into()))?;
                match delete_property(self, id, owner).await {
                    Ok(()) | Err(StoreError::PropertyNotFound) => {}
                    Err(other) => return Err(other),
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(());
            }
        }
    }
}
