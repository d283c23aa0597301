//! A property's rooms in the embedded store: each write changes the room
//! and its property's totals and version under one lock acquisition.

use super::MemoryStore;
use crate::domain::{PropertyId, Room, RoomChanges, RoomId};
use crate::store::{Edit, KeptAnswer, RoomStore, StoreError, StoreResult};

impl RoomStore for MemoryStore {
    async fn add_room(&self, room: &Room, edit: Edit, answer: Option<&KeptAnswer>) -> StoreResult<()> {
        let mut state = self.lock();
        state.check_key(answer)?;
        let stored = state.editable_property(room.property_id, &edit)?;
        if stored.applied(&edit) {
            return Ok(());
        }
        if !stored.property.has_room_for_another() {
            return Err(StoreError::RoomLimitReached);
        }
        stored.rooms.insert(room.id, room.clone());
        stored.rooms_changed(&edit);
        state.keep(answer);
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
        let applied = stored.applied(&edit);
        let room = stored.rooms.get_mut(&room).ok_or(StoreError::RoomNotFound)?;
        if applied {
            return Ok(room.clone());
        }
        changes.apply_to(room, edit.now);
        let room = room.clone();
        stored.rooms_changed(&edit);
        Ok(room)
    }

    async fn delete_room(&self, property: PropertyId, room: RoomId, edit: Edit) -> StoreResult<()> {
        let mut state = self.lock();
        let stored = state.editable_property(property, &edit)?;
        if stored.applied(&edit) {
            return Ok(());
        }
        stored.rooms.remove(&room).ok_or(StoreError::RoomNotFound)?;
        stored.rooms_changed(&edit);
        Ok(())
    }
}
