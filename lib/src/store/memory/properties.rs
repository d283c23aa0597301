use super::{MemoryStore, State, StoredProperty};
use crate::domain::{Property, PropertyChanges, PropertyId, Room, RoomId};
use crate::store::{Edit, KeptAnswer, Listing, Page, PageRequest, PropertyStore, StoreError, StoreResult};
use std::collections::BTreeMap;

impl State {
    /// The property `edit` may change, or why it may not.
    /// A write already applied (`StoredProperty::applied`) passes: its
    /// caller then reports success without applying it again.
    pub(super) fn editable_property(&mut self, id: PropertyId, edit: &Edit) -> StoreResult<&mut StoredProperty> {
        // A deleted account's token is refused as such, whatever the property.
        if !self.users.contains_key(&edit.caller) {
            return Err(StoreError::AccountGone);
        }
        let stored = self.properties.get_mut(&id).ok_or(StoreError::PropertyNotFound)?;
        if stored.property.owner_id != edit.caller {
            return Err(StoreError::NotOwner);
        }
        if !stored.applied(edit) && edit.mismatches(stored.property.version()) {
            return Err(StoreError::VersionMismatch);
        }
        Ok(stored)
    }
}

/// Whether `property` is in the listing's partition (the index it queries).
fn in_partition(listing: &Listing, property: &Property) -> bool {
    match listing {
        Listing::All => true,
        Listing::City(key) | Listing::CityAndType(key, _) => property.city.key() == key,
        Listing::Type(kind) => property.property_type == *kind,
        Listing::Owner(owner) => property.owner_id == *owner,
    }
}

/// Whether `property` passes the listing's filter, applied after the
/// partition is read, as DynamoDB applies a filter expression.
fn passes_filter(listing: &Listing, property: &Property) -> bool {
    match listing {
        Listing::CityAndType(_, kind) => property.property_type == *kind,
        _ => true,
    }
}

impl PropertyStore for MemoryStore {
    async fn create_property(
        &self,
        property: &Property,
        rooms: &[Room],
        answer: Option<&KeptAnswer>,
    ) -> StoreResult<()> {
        let mut state = self.lock();
        state.check_key(answer)?;
        if !state.users.contains_key(&property.owner_id) {
            return Err(StoreError::AccountGone);
        }
        if state.properties.contains_key(&property.id) {
            // Its fresh id names the write: this one was applied already.
            return Ok(());
        }
        let rooms: BTreeMap<RoomId, Room> = rooms.iter().map(|room| (room.id, room.clone())).collect();
        state.properties.insert(property.id, StoredProperty { property: property.clone(), rooms, last_write: None });
        state.keep(answer);
        Ok(())
    }

    async fn get_property(&self, id: PropertyId) -> StoreResult<Option<(Property, Vec<Room>)>> {
        let state = self.lock();
        Ok(state.properties.get(&id).map(|stored| (stored.property.clone(), stored.rooms.values().cloned().collect())))
    }

    async fn list_properties(&self, listing: &Listing, page: PageRequest) -> StoreResult<Page> {
        let state = self.lock();
        // Read one more than asked, as the DynamoDB adapter does, to know
        // whether another page follows.
        let evaluated: Vec<Property> = state
            .properties
            .values()
            .rev()
            .filter(|stored| page.after.is_none_or(|after| stored.property.id < after))
            .filter(|stored| in_partition(listing, &stored.property))
            .take(page.limit + 1)
            .map(|stored| stored.property.clone())
            .collect();
        let last_read = (evaluated.len() > page.limit).then(|| evaluated[page.limit].id);
        let matches = evaluated.into_iter().filter(|property| passes_filter(listing, property)).collect();
        Ok(Page::assemble(matches, page.limit, last_read))
    }

    async fn update_property(&self, id: PropertyId, changes: &PropertyChanges, edit: Edit) -> StoreResult<Property> {
        let mut state = self.lock();
        let stored = state.editable_property(id, &edit)?;
        if !stored.applied(&edit) {
            changes.apply_to(&mut stored.property, edit.now);
            stored.last_write = Some(edit.write);
        }
        Ok(stored.property.clone())
    }

    async fn delete_property(&self, id: PropertyId, edit: Edit) -> StoreResult<()> {
        let mut state = self.lock();
        state.editable_property(id, &edit)?;
        state.properties.remove(&id);
        Ok(())
    }
}
