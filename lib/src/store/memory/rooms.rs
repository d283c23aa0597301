//! A property's rooms in the embedded store: each write changes the room
//! and its property's totals and version under one lock acquisition.

use super::{MemoryStore, StoredProperty};
use crate::domain::{PropertyId, Room, RoomChanges, RoomId};
use crate::store::{Edit, KeptAnswer, RoomStore, StoreError, StoreResult};

impl RoomStore for MemoryStore {
    async fn add_room(&self, room: &Room, edit: Edit, answer: Option<&KeptAnswer>) -> StoreResult<()> {
        let change = |next: &mut StoredProperty| {
            if !next.property.has_room_for_another() {
                return Err(StoreError::RoomLimitReached);
            }
            next.rooms.insert(room.id, room.clone());
            next.rooms_changed(edit.now);
            Ok(())
        };
        self.edit_property(room.property_id, &edit, answer, change, |_| ())
    }

    async fn get_room(&self, property: PropertyId, room: RoomId) -> StoreResult<Option<Room>> {
        let state = self.lock();
        Ok(state.properties.get(&property).and_then(|stored| stored.rooms.get(&room).cloned()))
    }

    async fn update_room(
        &self,
        property: PropertyId,
        room: RoomId,
        changes: &RoomChanges,
        edit: Edit,
    ) -> StoreResult<Room> {
        let change = |next: &mut StoredProperty| {
            changes.apply_to(next.rooms.get_mut(&room).ok_or(StoreError::RoomNotFound)?, edit.now);
            next.rooms_changed(edit.now);
            Ok(())
        };
        let stored = self.edit_property(property, &edit, None, change, |stored| stored.rooms.get(&room).cloned())?;
        stored.ok_or(StoreError::RoomNotFound)
    }

    async fn delete_room(&self, property: PropertyId, room: RoomId, edit: Edit) -> StoreResult<()> {
        let change = |next: &mut StoredProperty| {
            next.rooms.remove(&room).ok_or(StoreError::RoomNotFound)?;
            next.rooms_changed(edit.now);
            Ok(())
        };
        self.edit_property(property, &edit, None, change, |_| ())
    }
}
