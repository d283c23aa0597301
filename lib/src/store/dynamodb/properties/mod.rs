//! Properties and rooms. A property and its rooms share a partition (an
//! item collection), so one Query reads them all. The property item keeps
//! a map of its rooms' areas, from which `room_count` and `total_area_m2`
//! are derived, so every room write updates it in the same transaction.
//!
//! The trait's operations live by concern: `read` (a property, a room, a
//! listing), `write` (a property's own writes) and `rooms` (room writes);
//! this file holds the conditions and updates they share.

mod read;
mod rooms;
mod write;

use super::expression::{Expression, Update};
use super::item::{PropertyItem, attribute};
use super::{DynamoStore, number, string};
use crate::domain::{Property, PropertyChanges, PropertyId, Room, RoomChanges, RoomId, Timestamp, UserId};
use crate::store::{Listing, Page, PageRequest, PropertyStore, StoreResult};

/// The property item's part of every write by its owner: a new version
/// and time of change.
fn touch_property(update: &mut Update, expression: &mut Expression, now: Timestamp) -> StoreResult<()> {
    update.set.push(expression.equals(PropertyItem::UPDATED_AT, attribute(&now)?));
    update.add.push(expression.increment(PropertyItem::VERSION, number(1)));
    Ok(())
}

/// The condition that the caller owns the property.
fn owned_by(expression: &mut Expression, caller: UserId) -> String {
    expression.equals(PropertyItem::OWNER_ID, string(caller.to_string()))
}

impl PropertyStore for DynamoStore {
    async fn create_property(&self, property: &Property, rooms: &[Room]) -> StoreResult<()> {
        write::create_property(self, property, rooms).await
    }

    async fn get_property(&self, id: PropertyId) -> StoreResult<Option<(Property, Vec<Room>)>> {
        read::get_property(self, id).await
    }

    async fn list_properties(&self, listing: &Listing, page: PageRequest) -> StoreResult<Page> {
        read::list_properties(self, listing, page).await
    }

    async fn update_property(
        &self,
        id: PropertyId,
        caller: UserId,
        changes: &PropertyChanges,
        expected_version: Option<u64>,
        now: Timestamp,
    ) -> StoreResult<Property> {
        write::update_property(self, id, caller, changes, expected_version, now).await
    }

    async fn delete_property(&self, id: PropertyId, caller: UserId) -> StoreResult<()> {
        write::delete_property(self, id, caller).await
    }

    async fn add_room(&self, caller: UserId, room: &Room, now: Timestamp) -> StoreResult<()> {
        rooms::add_room(self, caller, room, now).await
    }

    async fn get_room(&self, property: PropertyId, room: RoomId) -> StoreResult<Option<Room>> {
        read::get_room(self, property, room).await
    }

    async fn update_room(
        &self,
        property: PropertyId,
        room: RoomId,
        caller: UserId,
        changes: &RoomChanges,
        now: Timestamp,
    ) -> StoreResult<Room> {
        rooms::update_room(self, property, room, caller, changes, now).await
    }

    async fn delete_room(&self, property: PropertyId, room: RoomId, caller: UserId, now: Timestamp) -> StoreResult<()> {
        rooms::delete_room(self, property, room, caller, now).await
    }
}
