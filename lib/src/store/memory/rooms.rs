//! A property's rooms in the embedded store: each write changes the room
//! and its property's totals and version under one lock acquisition.

use super::MemoryStore;
use crate::domain::{PropertyId, Room, RoomChanges, RoomId};
use crate::store::{Edit, RoomStore, StoreError, StoreResult};

impl RoomStore for MemoryStore {
    async fn add_room(&self, room: &Room, edit: Edit) -> StoreResult<()> {
        let mut state = self.lock();
        let stored = state.editable_property(room.property_id, &edit)?;
        if !stored.property.has_room_for_another() {
            return Err(StoreError::RoomLimitReached);
        }
        stored.rooms.insert(room.id, room.clone());
        stored.recount();
        stored.property.touch(edit.now);
        Ok(())
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
        let mut state = self.lock();
        let stored = state.editable_property(property, &edit)?;
        let room = stored.rooms.get_mut(&room).ok_or(StoreError::RoomNotFound)?;
        changes.apply_to(room, edit.now);
        let room = room.clone();
        stored.recount();
        stored.property.touch(edit.now);
        Ok(room)
    }

    async fn delete_room(&self, property: PropertyId, room: RoomId, edit: Edit) -> StoreResult<()> {
        let mut state = self.lock();
        let stored = state.editable_property(property, &edit)?;
        stored.rooms.remove(&room).ok_or(StoreError::RoomNotFound)?;
        stored.recount();
        stored.property.touch(edit.now);
        Ok(())
    }
}
