//! Properties. A property and its rooms share a partition (an item
//! collection), so one Query reads them all. The property item keeps a map
//! of its rooms' areas, from which `room_count` and `total_area_m2` are
//! derived; `rooms.rs` changes it with every room write.
//!
//! Reads: a property with its rooms (one Query of its collection) and a
//! page of a listing (one Query of an index, newest first). Writes: each
//! is one write whose condition checks ownership (and the version) itself.

use super::expression::{Expression, Update, all};
use super::item::{LAST_WRITE, PropertyItem, RoomItem, attribute, written_by};
use super::kept::Slot;
use super::schema::{self, Index, PARTITION_KEY, SORT_KEY};
use super::transaction::{delete_action, exists_check_action, put_new_action};
use super::{DynamoStore, Item, number, sdk_error, string};
use crate::domain::{Property, PropertyChanges, PropertyId, PropertyType, Room, UserId};
use crate::store::{Edit, KeptAnswer, Listing, Page, PageRequest, PropertyStore, StoreError, StoreResult, UserStore};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

/// The property item's part of every write by its owner: a new version,
/// its time, and the write recorded.
pub(super) fn touch_property(update: &mut Update, expression: &mut Expression, edit: &Edit) -> StoreResult<()> {
    update.set.push(expression.equals(PropertyItem::UPDATED_AT, attribute(&edit.now)?));
    update.set.push(expression.equals(LAST_WRITE, string(edit.write.to_string())));
    update.add.push(expression.increment(PropertyItem::VERSION, number(1)));
    Ok(())
}

/// The condition that `edit` may change the property: the caller owns it,
/// it is still at one of the versions the edit names (if any), and this
/// very write has not changed it already (sent again after its answer was
/// lost).
pub(super) fn editable_by(expression: &mut Expression, edit: &Edit) -> String {
    let mut conditions = vec![expression.equals(PropertyItem::OWNER_ID, string(edit.caller.to_string()))];
    if let Some(versions) = edit.expected_versions {
        conditions.push(expression.one_of(PropertyItem::VERSION, versions.as_slice().iter().map(|&v| number(v))));
    }
    conditions.push(expression.absent_or_not(LAST_WRITE, string(edit.write.to_string())));
    all(conditions)
}

/// What the property item as it was when a write by `edit` was refused
/// (`item`) says about that refusal.
pub(super) enum Verdict {
    /// This very write changed the item already: it was sent again after
    /// its answer was lost, and succeeded the first time.
    Applied,
    /// The edit may not change the property.
    Refused(StoreError),
    /// The edit may change the property: the refusal was about something
    /// else (the room, the room limit).
    Editable,
}

pub(super) fn verdict(item: Option<&Item>, edit: &Edit) -> Verdict {
    let Some(item) = item.filter(|item| PropertyItem::owner_of(item).is_some()) else {
        return Verdict::Refused(StoreError::PropertyNotFound);
    };
    if PropertyItem::owner_of(item) != Some(edit.caller.to_string().as_str()) {
        Verdict::Refused(StoreError::NotOwner)
    } else if written_by(item, edit.write) {
        Verdict::Applied
    } else if PropertyItem::version_of(item).is_none_or(|version| edit.mismatches(version)) {
        Verdict::Refused(StoreError::VersionMismatch)
    } else {
        Verdict::Editable
    }
}

impl DynamoStore {
    /// A refusal (`error`) as the caller of `edit` should hear it: if their
    /// account is gone, `AccountGone` (401) whatever the property, as on
    /// every route that needs a caller. Checked only on a refusal.
    pub(super) async fn refusal(&self, error: StoreError, edit: &Edit) -> StoreError {
        if !matches!(error, StoreError::PropertyNotFound | StoreError::NotOwner) {
            return error;
        }
        match self.account_exists(edit.caller).await {
            Ok(true) => error,
            Ok(false) => StoreError::AccountGone,
            Err(failure) => failure,
        }
    }
}

/// The filter that keeps properties of one type.
fn of_type(expression: &mut Expression, kind: PropertyType) -> String {
    expression.equals(PropertyItem::PROPERTY_TYPE, string(kind.code()))
}

impl PropertyStore for DynamoStore {
    async fn create_property(
        &self,
        property: &Property,
        rooms: &[Room],
        answer: Option<&KeptAnswer>,
    ) -> StoreResult<()> {
        let mut items = vec![
            // The owner must still exist: a deleted user's token creates nothing.
            exists_check_action(&self.table, schema::user_key(property.owner_id)),
            put_new_action(&self.table, PropertyItem::from_domain(property, rooms).to_item()?),
        ];
        for room in rooms {
            items.push(put_new_action(&self.table, RoomItem::from_domain(room).to_item()?));
        }
        let slot = Slot::append(&self.table, &mut items, answer)?;
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if let Some(answer) = slot.refused_by(&failure) => Err(self.key_used(answer).await),
            Err(failure) if failure.condition_failed_at(0) => Err(StoreError::AccountGone),
            // Its fresh id names the write: sent again, it was applied already.
            Err(failure) if failure.condition_failed_at(1) => Ok(()),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn get_property(&self, id: PropertyId) -> StoreResult<Option<(Property, Vec<Room>)>> {
        let mut property = None;
        let mut rooms = Vec::new();
        for item in self.collection(id).await? {
            if schema::is_property_item(&item) {
                property = Some(PropertyItem::from_item(item)?.into_domain()?);
            } else {
                rooms.push(RoomItem::from_item(item)?.into_domain()?);
            }
        }
        // Room ids are time-ordered, and so is the sort key: oldest first.
        Ok(property.map(|property| (property, rooms)))
    }

    async fn list_properties(&self, listing: &Listing, page: PageRequest) -> StoreResult<Page> {
        let (index, partition) = schema::listing_partition(listing);
        let mut expression = Expression::default();
        let key_condition = expression.equals(index.partition_key(), string(&partition));
        let filter = match listing {
            Listing::CityAndType(_, kind) => Some(of_type(&mut expression, *kind)),
            _ => None,
        };
        let start = page.after.map(|after| schema::listing_start_key(index, &partition, after));
        // One item more than asked tells whether another page follows.
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index.name())
            .key_condition_expression(key_condition)
            .set_filter_expression(filter)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .scan_index_forward(false)
            .limit(i32::try_from(page.limit + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        let last_read = output.last_evaluated_key().and_then(schema::listing_position);
        let matches = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| PropertyItem::from_item(item)?.into_domain())
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::assemble(matches, page.limit, last_read))
    }

    async fn update_property(&self, id: PropertyId, changes: &PropertyChanges, edit: Edit) -> StoreResult<Property> {
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
        touch_property(&mut update, &mut expression, &edit)?;
        let condition = all([expression.item_exists(), editable_by(&mut expression, &edit)]);
        let result = self.update_item(schema::property_key(id), &update, condition, &expression).send().await;
        match result {
            Ok(output) => {
                let item = output.attributes.ok_or_else(|| StoreError::Internal("update returned no item".into()))?;
                PropertyItem::from_item(item)?.into_domain()
            }
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => match verdict(failed.item(), &edit) {
                    // The item as this write left it: the answer it lost.
                    Verdict::Applied => {
                        PropertyItem::from_item(failed.item().cloned().unwrap_or_default())?.into_domain()
                    }
                    Verdict::Refused(error) => Err(self.refusal(error, &edit).await),
                    Verdict::Editable => Err(StoreError::Internal("an update failed a condition that holds".into())),
                },
                _ => Err(sdk_error(error)),
            },
        }
    }

    async fn delete_property(&self, id: PropertyId, edit: Edit) -> StoreResult<()> {
        // The rooms must be listed to be deleted; the version condition
        // makes sure none was added or removed in between (else: retry).
        for _ in 0..5 {
            let items = self.collection(id).await?;
            let Some(property) = items.into_iter().find(schema::is_property_item) else {
                return Err(self.refusal(StoreError::PropertyNotFound, &edit).await);
            };
            if let Verdict::Refused(error) = verdict(Some(&property), &edit) {
                return Err(self.refusal(error, &edit).await);
            }
            let property = PropertyItem::from_item(property)?;
            // The version read, unless the edit names one: then a change
            // in between is the client's conflict, not a reason to retry.
            let mut expression = Expression::default();
            let condition = editable_by(&mut expression, &edit.of_version(Some(property.version())));
            let mut actions =
                vec![delete_action(&self.table, schema::property_key(id), Some((&condition, &expression)))];
            for room in property.room_ids() {
                actions.push(delete_action(&self.table, schema::room_key(id, room), None));
            }
            match self.transact(actions).await {
                Ok(()) => return Ok(()),
                Err(failure) if failure.condition_failed_at(0) => continue,
                Err(failure) => return Err(failure.into_error()),
            }
        }
        Err(StoreError::Unavailable(format!("property {id} kept changing while being deleted")))
    }
}

impl DynamoStore {
    /// Every item `query` matches, page after page.
    pub(super) async fn query_all(&self, query: QueryFluentBuilder) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = query.clone().set_exclusive_start_key(start).send().await.map_err(sdk_error)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every item of `partition` whose sort key starts with `sort_prefix`
    /// (every item, with `""`), read consistently.
    pub(super) async fn partition(&self, partition: String, sort_prefix: &str) -> StoreResult<Vec<Item>> {
        let mut expression = Expression::default();
        let mut key_condition = vec![expression.equals(PARTITION_KEY, string(partition))];
        if !sort_prefix.is_empty() {
            key_condition.push(expression.begins_with(SORT_KEY, string(sort_prefix)));
        }
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(all(key_condition))
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .consistent_read(true);
        self.query_all(query).await
    }

    /// Every item of a property's collection, property first.
    pub(super) async fn collection(&self, id: PropertyId) -> StoreResult<Vec<Item>> {
        self.partition(schema::property_partition(id), "").await
    }

    /// Deletes every property of `owner`: part of deleting the account.
    pub(super) async fn delete_properties_of(&self, owner: UserId) -> StoreResult<()> {
        let index = Index::Owner;
        let mut expression = Expression::default();
        let key_condition = expression.equals(index.partition_key(), string(schema::owner_partition(owner)));
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index.name())
            .key_condition_expression(key_condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values());
        for item in self.query_all(query).await? {
            let id = item.get(PropertyItem::ID).and_then(|value| value.as_s().ok());
            let id = id.and_then(|id| PropertyId::parse(id));
            let id = id.ok_or_else(|| StoreError::Internal("owner index item without an id".into()))?;
            match self.delete_property(id, Edit::by(owner)).await {
                Ok(()) | Err(StoreError::PropertyNotFound) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }
}
