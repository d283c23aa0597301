//! Room writes. Each is an edit of the property (`edit_property`): the
//! property item as the room change leaves it (its rooms' areas and
//! bedrooms, the derived totals and index keys, a new version) and the
//! room item, in one transaction conditioned on the owner and the version
//! read.

use super::expression::{Expression, Update};
use super::item::{PropertyItem, RoomItem, attribute};
use super::schema;
use super::transaction::{delete_action, put_new_action, update_action};
use super::{DynamoStore, number, string};
use crate::domain::{MAX_ROOMS, PropertyId, Room, RoomChanges, RoomId, Timestamp};
use crate::store::{Edit, KeptAnswer, RoomStore, StoreError, StoreResult};
use aws_sdk_dynamodb::types::AttributeValue;

impl PropertyItem {
    /// The item with its rooms as `rooms` leaves them, a new version and `now`.
    fn with_rooms(&self, now: Timestamp, rooms: impl FnOnce(&mut PropertyItem)) -> StoreResult<PropertyItem> {
        let mut next = self.clone();
        rooms(&mut next);
        let mut property = next.to_domain()?;
        property.touch(now);
        Ok(next.replaced_by(&property))
    }
}

impl RoomStore for DynamoStore {
    async fn add_room(&self, room: &Room, edit: Edit, answer: Option<&KeptAnswer>) -> StoreResult<()> {
        let room_item = RoomItem::from_domain(room).to_item()?;
        self.edit_property(room.property_id, &edit, answer, true, |current| {
            if current.room_ids().count() >= MAX_ROOMS {
                return Err(StoreError::RoomLimitReached);
            }
            let next = current.with_rooms(edit.now, |rooms| rooms.set_room(room.id, room.tally()))?;
            Ok((next, vec![put_new_action(&self.table, room_item.clone())]))
        })
        .await
        .map(|_| ())
    }

    async fn get_room(&self, property: PropertyId, room: RoomId) -> StoreResult<Option<Room>> {
        let item = self.read_item(schema::room_key(property, room)).await?;
        item.map(|item| RoomItem::from_item(item)?.into_domain()).transpose()
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
        let room_write = update_action(
            &self.table,
            schema::room_key(property, room),
            &room_update,
            Some(&room_condition),
            &room_expression,
        );
        self.edit_property(property, &edit, None, true, |current| {
            let Some(before) = current.room_tally(room) else { return Err(StoreError::RoomNotFound) };
            let tally = changes.tally_after(before);
            let next = current.with_rooms(edit.now, |rooms| rooms.set_room(room, tally))?;
            Ok((next, vec![room_write.clone()]))
        })
        .await?;
        // The transaction returns nothing: read the room as it now is.
        self.get_room(property, room).await?.ok_or(StoreError::RoomNotFound)
    }

    async fn delete_room(&self, property: PropertyId, room: RoomId, edit: Edit) -> StoreResult<()> {
        self.edit_property(property, &edit, None, true, |current| {
            if !current.has_room(room) {
                return Err(StoreError::RoomNotFound);
            }
            let next = current.with_rooms(edit.now, |rooms| rooms.remove_room(room))?;
            Ok((next, vec![delete_action(&self.table, schema::room_key(property, room), None)]))
        })
        .await
        .map(|_| ())
    }
}
