//! Room writes. Each is one transaction of two items: the room item, and
//! the property item whose `room_areas` entry and version change with it,
//! under the condition that the edit may change the property (its owner,
//! at one of the versions it names). Only when that is refused does a read
//! tell which condition failed.

use super::expression::{Expression, Update, all};
use super::item::LAST_WRITE;
use super::item::{PropertyItem, RoomItem, attribute};
use super::kept::Slot;
use super::properties::{Verdict, editable_by, touch_property, verdict};
use super::schema;
use super::transaction::{delete_action, put_new_action, update_action};
use super::{DynamoStore, number, sdk_error, string};
use crate::domain::{MAX_ROOMS, PropertyId, Room, RoomChanges, RoomId};
use crate::store::{Edit, KeptAnswer, RoomStore, StoreError, StoreResult};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};

impl RoomStore for DynamoStore {
    async fn add_room(&self, room: &Room, edit: Edit, answer: Option<&KeptAnswer>) -> StoreResult<()> {
        let mut expression = Expression::default();
        let mut update = Update::default();
        let area_path = PropertyItem::room_area_path(room.id);
        update.set.push(expression.equals(&area_path, number(room.area.hundredths())));
        touch_property(&mut update, &mut expression, &edit)?;
        let condition = all([
            editable_by(&mut expression, &edit),
            expression.size_below(PropertyItem::ROOM_AREAS, number(MAX_ROOMS)),
        ]);
        let mut items = vec![
            put_new_action(&self.table, RoomItem::from_domain(room).to_item()?),
            update_action(&self.table, schema::property_key(room.property_id), &update, &condition, &expression),
        ];
        let slot = Slot::append(&self.table, &mut items, answer)?;
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if let Some(answer) = slot.refused_by(&failure) => Err(self.key_used(answer).await),
            Err(failure) if failure.condition_failed_at(0) || failure.condition_failed_at(1) => {
                match self.verdict_on(room.property_id, &edit).await? {
                    Verdict::Applied => Ok(()),
                    Verdict::Refused(error) => Err(self.refusal(error, &edit).await),
                    Verdict::Editable => Err(StoreError::RoomLimitReached),
                }
            }
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn get_room(&self, property: PropertyId, room: RoomId) -> StoreResult<Option<Room>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(schema::room_key(property, room)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        output.item.map(|item| RoomItem::from_item(item)?.into_domain()).transpose()
    }

    async fn update_room(
        &self,
        property: PropertyId,
        room: RoomId,
        changes: &RoomChanges,
        edit: Edit,
    ) -> StoreResult<Room> {
        let mut room_expression = Expression::default();
        let mut room_update = Update::default();
        if let Some(name) = &changes.name {
            room_update.set.push(room_expression.equals(RoomItem::NAME, string(name.as_str())));
        }
        if let Some(kind) = changes.kind {
            room_update.set.push(room_expression.equals(RoomItem::KIND, string(kind.code())));
        }
        if let Some(area) = changes.area {
            room_update.set.push(room_expression.equals(RoomItem::AREA_HUNDREDTHS, number(area.hundredths())));
        }
        match changes.floor {
            Some(Some(floor)) => room_update.set.push(room_expression.equals(RoomItem::FLOOR, number(floor.level()))),
            Some(None) => room_update.remove.push(room_expression.name(RoomItem::FLOOR)),
            None => {}
        }
        match &changes.description {
            Some(Some(text)) => {
                room_update.set.push(room_expression.equals(RoomItem::DESCRIPTION, string(text.as_str())))
            }
            Some(None) => room_update.remove.push(room_expression.name(RoomItem::DESCRIPTION)),
            None => {}
        }
        if let Some(features) = &changes.features {
            let list = features.as_slice().iter().map(|tag| string(tag.as_str())).collect();
            room_update.set.push(room_expression.equals(RoomItem::FEATURES, AttributeValue::L(list)));
        }
        room_update.set.push(room_expression.equals(RoomItem::UPDATED_AT, attribute(&edit.now)?));
        let room_condition = room_expression.item_exists();

        let mut expression = Expression::default();
        let mut property_update = Update::default();
        let area_path = PropertyItem::room_area_path(room);
        if let Some(area) = changes.area {
            property_update.set.push(expression.equals(&area_path, number(area.hundredths())));
        }
        touch_property(&mut property_update, &mut expression, &edit)?;
        let condition = all([editable_by(&mut expression, &edit), expression.exists(&area_path)]);

        let items = vec![
            update_action(
                &self.table,
                schema::room_key(property, room),
                &room_update,
                &room_condition,
                &room_expression,
            ),
            update_action(&self.table, schema::property_key(property), &property_update, &condition, &expression),
        ];
        self.write_room(items, property, &edit).await?;
        // The transaction returns nothing: read the room as it now is.
        self.get_room(property, room).await?.ok_or(StoreError::RoomNotFound)
    }

    async fn delete_room(&self, property: PropertyId, room: RoomId, edit: Edit) -> StoreResult<()> {
        let mut expression = Expression::default();
        let mut property_update = Update::default();
        let area_path = PropertyItem::room_area_path(room);
        property_update.remove.push(expression.name(&area_path));
        touch_property(&mut property_update, &mut expression, &edit)?;
        let condition = all([editable_by(&mut expression, &edit), expression.exists(&area_path)]);
        let mut room_expression = Expression::default();
        let room_condition = room_expression.item_exists();
        let items = vec![
            delete_action(&self.table, schema::room_key(property, room), Some((&room_condition, &room_expression))),
            update_action(&self.table, schema::property_key(property), &property_update, &condition, &expression),
        ];
        self.write_room(items, property, &edit).await
    }
}

impl DynamoStore {
    /// What the property says about a refused write by `edit`, read after
    /// the refusal (the write itself checked it atomically; this only
    /// names the reason, or finds the write was applied already).
    async fn verdict_on(&self, id: PropertyId, edit: &Edit) -> StoreResult<Verdict> {
        let mut expression = Expression::default();
        let attributes = [PropertyItem::OWNER_ID, PropertyItem::VERSION, LAST_WRITE];
        let projection = attributes.map(|attribute| expression.name(attribute)).join(", ");
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(schema::property_key(id)))
            .projection_expression(projection)
            .set_expression_attribute_names(expression.names())
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(verdict(output.item.as_ref(), edit))
    }

    /// Runs the transaction of a room change (the room item, then the
    /// property item). If either condition failed: the property is missing,
    /// not the caller's, or (else) the room is missing.
    async fn write_room(&self, items: Vec<TransactWriteItem>, property: PropertyId, edit: &Edit) -> StoreResult<()> {
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(0) || failure.condition_failed_at(1) => {
                match self.verdict_on(property, edit).await? {
                    Verdict::Applied => Ok(()),
                    Verdict::Refused(error) => Err(self.refusal(error, edit).await),
                    Verdict::Editable => Err(StoreError::RoomNotFound),
                }
            }
            Err(failure) => Err(failure.into_error()),
        }
    }
}
