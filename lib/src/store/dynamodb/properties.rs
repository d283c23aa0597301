//! Properties and rooms. A property and its rooms share a partition
//! (`PROPERTY#<id>`), so one Query reads them all. The property item keeps
//! a map of its rooms' areas, from which `room_count` and `total_area_m2`
//! are derived, so every room write updates it in the same transaction.

use super::expression::{Expression, Update};
use super::schema::Index;
use super::transaction::{delete_action, key, number, put_action, update_action};
use super::users::user_pk;
use super::{DynamoStore, Item, from_item, sdk_error, string, to_item};
use crate::domain::{
    Area, City, Features, Floor, MAX_ROOMS, Property, PropertyChanges, PropertyDescription, PropertyDetails,
    PropertyId, PropertyName, PropertyType, Room, RoomChanges, RoomDescription, RoomId, RoomKind, RoomName, Timestamp,
    UserId,
};
use crate::store::{Listing, Page, PageRequest, PropertyStore, StoreError, StoreResult};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const PROPERTY_SK: &str = "PROPERTY";
const FEED: &str = "PROPERTIES";

fn property_pk(id: PropertyId) -> String {
    format!("PROPERTY#{id}")
}

fn room_sk(id: RoomId) -> String {
    format!("ROOM#{id}")
}

fn city_partition(key: &str) -> String {
    format!("CITY#{key}")
}

fn owner_partition(owner: UserId) -> String {
    format!("OWNER#{owner}")
}

fn type_partition(kind: PropertyType) -> String {
    format!("TYPE#{}", kind.code())
}

fn corrupt(what: &str, id: impl std::fmt::Display, why: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored {what} {id} is invalid: {why}"))
}

/// `pk = PROPERTY#<id>, sk = PROPERTY`, in the city, owner, feed and type indexes.
#[derive(Serialize, Deserialize)]
struct PropertyItem {
    pk: String,
    sk: String,
    id: PropertyId,
    owner_id: UserId,
    name: String,
    description: String,
    property_type: PropertyType,
    city: String,
    /// Room id → area in hundredths of m²: the source of the derived totals.
    room_areas: HashMap<String, u64>,
    created_at: Timestamp,
    updated_at: Timestamp,
    version: u64,
    gsi1pk: String,
    gsi2pk: String,
    gsi3pk: String,
    gsi4pk: String,
    gsisk: String,
}

impl PropertyItem {
    fn new(property: &Property, rooms: &[Room]) -> Self {
        Self {
            pk: property_pk(property.id),
            sk: PROPERTY_SK.into(),
            id: property.id,
            owner_id: property.owner_id,
            name: property.name.as_str().into(),
            description: property.description.as_str().into(),
            property_type: property.property_type,
            city: property.city.name().into(),
            room_areas: rooms.iter().map(|room| (room.id.to_string(), room.area.hundredths())).collect(),
            created_at: property.created_at,
            updated_at: property.updated_at,
            version: property.version(),
            gsi1pk: city_partition(property.city.key()),
            gsi2pk: owner_partition(property.owner_id),
            gsi3pk: FEED.into(),
            gsi4pk: type_partition(property.property_type),
            gsisk: property.id.to_string(),
        }
    }

    fn into_property(self) -> StoreResult<Property> {
        let bad = |why: crate::domain::Invalid| corrupt("property", self.id, why);
        let details = PropertyDetails {
            name: PropertyName::parse(&self.name).map_err(bad)?,
            description: PropertyDescription::parse(&self.description).map_err(bad)?,
            property_type: self.property_type,
            city: City::parse(&self.city).map_err(bad)?,
        };
        let areas = self.room_areas.values().map(|hundredths| Area::from_hundredths(*hundredths));
        Ok(Property::restore(self.id, self.owner_id, details, (self.created_at, self.updated_at), self.version, areas))
    }
}

/// `pk = PROPERTY#<property id>, sk = ROOM#<room id>`: in no index.
#[derive(Serialize, Deserialize)]
struct RoomItem {
    pk: String,
    sk: String,
    id: RoomId,
    property_id: PropertyId,
    name: String,
    kind: RoomKind,
    area_hundredths: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    floor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    features: Vec<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl RoomItem {
    fn new(room: &Room) -> Self {
        Self {
            pk: property_pk(room.property_id),
            sk: room_sk(room.id),
            id: room.id,
            property_id: room.property_id,
            name: room.name.as_str().into(),
            kind: room.kind,
            area_hundredths: room.area.hundredths(),
            floor: room.floor.map(|floor| floor.level().into()),
            description: room.description.as_ref().map(|text| text.as_str().into()),
            features: room.features.as_slice().to_vec(),
            created_at: room.created_at,
            updated_at: room.updated_at,
        }
    }

    fn into_room(self) -> StoreResult<Room> {
        let bad = |why: crate::domain::Invalid| corrupt("room", self.id, why);
        Ok(Room {
            id: self.id,
            property_id: self.property_id,
            name: RoomName::parse(&self.name).map_err(bad)?,
            kind: self.kind,
            area: Area::from_hundredths(self.area_hundredths),
            floor: self.floor.map(Floor::parse).transpose().map_err(bad)?,
            description: self.description.as_deref().map(RoomDescription::parse).transpose().map_err(bad)?,
            features: Features::parse(&self.features).map_err(bad)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl DynamoStore {
    /// Runs the transaction of a room change (the room item, then the
    /// property item). If either condition failed: the property is missing,
    /// not the caller's, or (else) the room is missing.
    async fn write_room(&self, items: Vec<TransactWriteItem>, property: PropertyId, caller: UserId) -> StoreResult<()> {
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(0) || failure.condition_failed_at(1) => {
                Err(self.refusal(property, caller).await?.unwrap_or(StoreError::RoomNotFound))
            }
            Err(failure) => Err(failure.into_error()),
        }
    }

    /// Why the caller cannot write to a property, read after a write was
    /// refused (the write itself checked ownership atomically; this only
    /// names the reason). `None` means the caller owns it.
    async fn refusal(&self, id: PropertyId, caller: UserId) -> StoreResult<Option<StoreError>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(property_pk(id), PROPERTY_SK.into())))
            .projection_expression("owner_id")
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let owner = output.item.as_ref().and_then(|item| item.get("owner_id")).and_then(|value| value.as_s().ok());
        Ok(match owner {
            None => Some(StoreError::PropertyNotFound),
            Some(owner) if *owner != caller.to_string() => Some(StoreError::NotOwner),
            Some(_) => None,
        })
    }

    /// Every item of a property's collection, property first.
    async fn collection(&self, id: PropertyId) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", string(property_pk(id)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Deletes every property of `owner`: part of deleting the account.
    pub(super) async fn delete_properties_of(&self, owner: UserId) -> StoreResult<()> {
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(Index::Owner.name())
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", Index::Owner.partition_key())
                .expression_attribute_values(":pk", string(owner_partition(owner)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(sdk_error)?;
            for item in output.items.unwrap_or_default() {
                let id = item.get("id").and_then(|value| value.as_s().ok()).and_then(|id| PropertyId::parse(id));
                let id = id.ok_or_else(|| StoreError::Internal("owner index item without an id".into()))?;
                match self.delete_property(id, owner).await {
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

/// The property item's part of every room write: a new version, and the
/// caller's ownership as the condition.
fn touch_property(update: &mut Update, expression: &mut Expression, now: Timestamp) -> StoreResult<()> {
    let now = serde_dynamo::to_attribute_value(now).map_err(|e| StoreError::Internal(e.to_string()))?;
    update.set.push(expression.equals("updated_at", now));
    update.add.push(format!("{} {}", expression.name("version"), expression.value(number(1))));
    Ok(())
}

fn owned_by(expression: &mut Expression, caller: UserId) -> String {
    expression.equals("owner_id", string(caller.to_string()))
}

impl PropertyStore for DynamoStore {
    async fn create_property(&self, property: &Property, rooms: &[Room]) -> StoreResult<()> {
        let owner_exists = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(user_pk(property.owner_id), "PROFILE".into())))
            .condition_expression("attribute_exists(pk)")
            .build()
            .expect("complete condition check");
        let mut items = vec![
            TransactWriteItem::builder().condition_check(owner_exists).build(),
            put_action(&self.table, to_item(&PropertyItem::new(property, rooms))?, "attribute_not_exists(pk)"),
        ];
        for room in rooms {
            items.push(put_action(&self.table, to_item(&RoomItem::new(room))?, "attribute_not_exists(pk)"));
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(0) => Err(StoreError::AccountGone),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn get_property(&self, id: PropertyId) -> StoreResult<Option<(Property, Vec<Room>)>> {
        let mut property = None;
        let mut rooms = Vec::new();
        for item in self.collection(id).await? {
            let is_property = item.get("sk").and_then(|sk| sk.as_s().ok()).is_some_and(|sk| sk == PROPERTY_SK);
            if is_property {
                property = Some(from_item::<PropertyItem>(item)?.into_property()?);
            } else {
                rooms.push(from_item::<RoomItem>(item)?.into_room()?);
            }
        }
        // Room ids are time-ordered, and so is the sort key: oldest first.
        Ok(property.map(|property| (property, rooms)))
    }

    async fn list_properties(&self, listing: &Listing, page: PageRequest) -> StoreResult<Page> {
        let (index, partition) = match listing {
            Listing::All => (Index::Feed, FEED.to_owned()),
            Listing::City(key) | Listing::CityAndType(key, _) => (Index::City, city_partition(key)),
            Listing::Type(kind) => (Index::Type, type_partition(*kind)),
            Listing::Owner(owner) => (Index::Owner, owner_partition(*owner)),
        };
        let mut expression = Expression::default();
        let key_condition = expression.equals(index.partition_key(), string(&partition));
        let filter = match listing {
            Listing::CityAndType(_, kind) => Some(expression.equals("property_type", string(kind.code()))),
            _ => None,
        };
        let start = page.after.map(|after| {
            HashMap::from([
                ("pk".to_owned(), string(property_pk(after))),
                ("sk".to_owned(), string(PROPERTY_SK)),
                (index.partition_key().to_owned(), string(&partition)),
                (super::GSI_SORT_KEY.to_owned(), string(after.to_string())),
            ])
        });
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
        let last_read = output
            .last_evaluated_key()
            .and_then(|key| key.get(super::GSI_SORT_KEY))
            .and_then(|value| value.as_s().ok())
            .and_then(|id| PropertyId::parse(id));
        let matches = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<PropertyItem>(item)?.into_property())
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::assemble(matches, page.limit, last_read))
    }

    async fn update_property(
        &self,
        id: PropertyId,
        caller: UserId,
        changes: &PropertyChanges,
        expected_version: Option<u64>,
        now: Timestamp,
    ) -> StoreResult<Property> {
        let mut expression = Expression::default();
        let mut update = Update::default();
        if let Some(name) = &changes.name {
            update.set.push(expression.equals("name", string(name.as_str())));
        }
        if let Some(description) = &changes.description {
            update.set.push(expression.equals("description", string(description.as_str())));
        }
        if let Some(kind) = changes.property_type {
            update.set.push(expression.equals("property_type", string(kind.code())));
            update.set.push(expression.equals(Index::Type.partition_key(), string(type_partition(kind))));
        }
        if let Some(city) = &changes.city {
            // The city and its index key change together: the property
            // moves to the new city's listing in the same write.
            update.set.push(expression.equals("city", string(city.name())));
            update.set.push(expression.equals(Index::City.partition_key(), string(city_partition(city.key()))));
        }
        touch_property(&mut update, &mut expression, now)?;
        let mut condition =
            format!("attribute_exists({}) AND {}", expression.name("pk"), owned_by(&mut expression, caller));
        if let Some(version) = expected_version {
            condition = format!("{condition} AND {}", expression.equals("version", number(version)));
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(property_pk(id), PROPERTY_SK.into())))
            .update_expression(update.render())
            .condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item = output.attributes.ok_or_else(|| StoreError::Internal("update returned no item".into()))?;
                from_item::<PropertyItem>(item)?.into_property()
            }
            Err(error) => match error.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(failed)) => {
                    let owner = failed.item().and_then(|old| old.get("owner_id")).and_then(|value| value.as_s().ok());
                    Err(match owner {
                        None => StoreError::PropertyNotFound,
                        Some(owner) if *owner != caller.to_string() => StoreError::NotOwner,
                        Some(_) => StoreError::VersionMismatch,
                    })
                }
                _ => Err(sdk_error(error)),
            },
        }
    }

    async fn delete_property(&self, id: PropertyId, caller: UserId) -> StoreResult<()> {
        // The rooms must be listed to be deleted; the version condition
        // makes sure none was added or removed in between (else: retry).
        for _ in 0..5 {
            let items = self.collection(id).await?;
            let Some(property) = items
                .iter()
                .find(|item| item.get("sk").and_then(|sk| sk.as_s().ok()).is_some_and(|sk| sk == PROPERTY_SK))
            else {
                return Err(StoreError::PropertyNotFound);
            };
            let property: PropertyItem = from_item(property.clone())?;
            if property.owner_id != caller {
                return Err(StoreError::NotOwner);
            }
            let mut expression = Expression::default();
            let condition = format!(
                "{} AND {}",
                owned_by(&mut expression, caller),
                expression.equals("version", number(property.version))
            );
            let mut actions = vec![delete_action(
                &self.table,
                key(property_pk(id), PROPERTY_SK.into()),
                Some((&condition, &expression)),
            )];
            for room in property.room_areas.keys() {
                actions.push(delete_action(&self.table, key(property_pk(id), format!("ROOM#{room}")), None));
            }
            match self.transact(actions).await {
                Ok(()) => return Ok(()),
                Err(failure) if failure.condition_failed_at(0) => continue,
                Err(failure) => return Err(failure.into_error()),
            }
        }
        Err(StoreError::Unavailable(format!("property {id} kept changing while being deleted")))
    }

    async fn add_room(&self, caller: UserId, room: &Room, now: Timestamp) -> StoreResult<()> {
        let mut expression = Expression::default();
        let mut update = Update::default();
        let area_path = format!("room_areas.{}", room.id);
        update.set.push(expression.equals(&area_path, number(room.area.hundredths())));
        touch_property(&mut update, &mut expression, now)?;
        let condition = format!(
            "{} AND size({}) < {}",
            owned_by(&mut expression, caller),
            expression.name("room_areas"),
            expression.value(number(MAX_ROOMS))
        );
        let items = vec![
            put_action(&self.table, to_item(&RoomItem::new(room))?, "attribute_not_exists(pk)"),
            update_action(
                &self.table,
                key(property_pk(room.property_id), PROPERTY_SK.into()),
                &update,
                &condition,
                &expression,
            ),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(1) => {
                Err(self.refusal(room.property_id, caller).await?.unwrap_or(StoreError::RoomLimitReached))
            }
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn get_room(&self, property: PropertyId, room: RoomId) -> StoreResult<Option<Room>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(property_pk(property), room_sk(room))))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        output.item.map(|item| from_item::<RoomItem>(item)?.into_room()).transpose()
    }

    async fn update_room(
        &self,
        property: PropertyId,
        room: RoomId,
        caller: UserId,
        changes: &RoomChanges,
        now: Timestamp,
    ) -> StoreResult<Room> {
        let mut room_expression = Expression::default();
        let mut room_update = Update::default();
        if let Some(name) = &changes.name {
            room_update.set.push(room_expression.equals("name", string(name.as_str())));
        }
        if let Some(kind) = changes.kind {
            room_update.set.push(room_expression.equals("kind", string(kind.code())));
        }
        if let Some(area) = changes.area {
            room_update.set.push(room_expression.equals("area_hundredths", number(area.hundredths())));
        }
        match changes.floor {
            Some(Some(floor)) => room_update.set.push(room_expression.equals("floor", number(floor.level()))),
            Some(None) => room_update.remove.push(room_expression.name("floor")),
            None => {}
        }
        match &changes.description {
            Some(Some(text)) => room_update.set.push(room_expression.equals("description", string(text.as_str()))),
            Some(None) => room_update.remove.push(room_expression.name("description")),
            None => {}
        }
        if let Some(features) = &changes.features {
            let list = features.as_slice().iter().map(|tag| string(tag.as_str())).collect();
            room_update.set.push(room_expression.equals("features", AttributeValue::L(list)));
        }
        let updated_at = serde_dynamo::to_attribute_value(now).map_err(|e| StoreError::Internal(e.to_string()))?;
        room_update.set.push(room_expression.equals("updated_at", updated_at));
        let room_condition = format!("attribute_exists({})", room_expression.name("pk"));

        let mut expression = Expression::default();
        let mut property_update = Update::default();
        let area_path = format!("room_areas.{room}");
        if let Some(area) = changes.area {
            property_update.set.push(expression.equals(&area_path, number(area.hundredths())));
        }
        touch_property(&mut property_update, &mut expression, now)?;
        let condition =
            format!("{} AND attribute_exists({})", owned_by(&mut expression, caller), expression.name(&area_path));

        let items = vec![
            update_action(
                &self.table,
                key(property_pk(property), room_sk(room)),
                &room_update,
                &room_condition,
                &room_expression,
            ),
            update_action(
                &self.table,
                key(property_pk(property), PROPERTY_SK.into()),
                &property_update,
                &condition,
                &expression,
            ),
        ];
        self.write_room(items, property, caller).await?;
        // The transaction returns nothing: read the room as it now is.
        self.get_room(property, room).await?.ok_or(StoreError::RoomNotFound)
    }

    async fn delete_room(&self, property: PropertyId, room: RoomId, caller: UserId, now: Timestamp) -> StoreResult<()> {
        let mut expression = Expression::default();
        let mut property_update = Update::default();
        let area_path = format!("room_areas.{room}");
        property_update.remove.push(expression.name(&area_path));
        touch_property(&mut property_update, &mut expression, now)?;
        let condition =
            format!("{} AND attribute_exists({})", owned_by(&mut expression, caller), expression.name(&area_path));
        let mut room_expression = Expression::default();
        let room_condition = format!("attribute_exists({})", room_expression.name("pk"));
        let items = vec![
            delete_action(
                &self.table,
                key(property_pk(property), room_sk(room)),
                Some((&room_condition, &room_expression)),
            ),
            update_action(
                &self.table,
                key(property_pk(property), PROPERTY_SK.into()),
                &property_update,
                &condition,
                &expression,
            ),
        ];
        self.write_room(items, property, caller).await
    }
}
