//! A listing's photos in the embedded store: kept with the property, each
//! change applied with a new version under one lock acquisition.

use super::MemoryStore;
use crate::domain::{Photo, PhotoChanges, PhotoId, PhotoOutcome, Property, PropertyId, SettleRefused, Timestamp};
use crate::store::{Edit, KeptAnswer, PhotoStore, StoreError, StoreResult};

impl PhotoStore for MemoryStore {
    async fn add_photo(
        &self,
        property: PropertyId,
        photo: &Photo,
        edit: Edit,
        answer: Option<&KeptAnswer>,
    ) -> StoreResult<Property> {
        let mut state = self.lock();
        state.check_key(answer)?;
        let stored = state.editable_property(property, &edit)?;
        if stored.applied(&edit) {
            return Ok(stored.property.clone());
        }
        let mut next = stored.property.clone();
        let abandoned = next.photos.drop_abandoned(edit.now);
        next.photos.add(photo.clone()).map_err(|_| StoreError::PhotoLimitReached)?;
        next.touch(edit.now);
        stored.property = next.clone();
        stored.last_write = Some(edit.write);
        state.photos_removed(property, abandoned.iter().map(|photo| photo.id));
        state.keep(answer);
        drop(state);
        self.removals_happened();
        Ok(next)
    }

    async fn update_photo(
        &self,
        property: PropertyId,
        photo: PhotoId,
        changes: &PhotoChanges,
        edit: Edit,
    ) -> StoreResult<Property> {
        let mut state = self.lock();
        let stored = state.editable_property(property, &edit)?;
        if !stored.applied(&edit) {
            let mut next = stored.property.clone();
            next.photos.change(photo, changes).ok_or(StoreError::PhotoNotFound)?;
            next.touch(edit.now);
            stored.property = next;
            stored.last_write = Some(edit.write);
        }
        Ok(stored.property.clone())
    }

    async fn delete_photo(&self, property: PropertyId, photo: PhotoId, edit: Edit) -> StoreResult<Property> {
        let mut state = self.lock();
        let stored = state.editable_property(property, &edit)?;
        if stored.applied(&edit) {
            return Ok(stored.property.clone());
        }
        let mut next = stored.property.clone();
        next.photos.remove(photo).ok_or(StoreError::PhotoNotFound)?;
        next.touch(edit.now);
        stored.property = next.clone();
        stored.last_write = Some(edit.write);
        state.photos_removed(property, [photo]);
        drop(state);
        self.removals_happened();
        Ok(next)
    }

    async fn settle_photo(
        &self,
        property: PropertyId,
        photo: PhotoId,
        outcome: &PhotoOutcome,
        now: Timestamp,
    ) -> StoreResult<Result<Property, SettleRefused>> {
        let mut state = self.lock();
        let Some(stored) = state.properties.get_mut(&property) else { return Ok(Err(SettleRefused::Gone)) };
        let mut next = stored.property.clone();
        if let Err(refused) = next.photos.settle(photo, outcome.clone()) {
            return Ok(Err(refused));
        }
        next.touch(now);
        stored.property = next.clone();
        stored.last_write = None;
        Ok(Ok(next))
    }
}
