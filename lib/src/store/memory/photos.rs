//! A listing's photos in the embedded store: kept with the property, each
//! change applied with a new version under one lock acquisition.

use super::{MemoryStore, StoredProperty};
use crate::domain::{
    Change, Photo, PhotoChanges, PhotoId, PhotoOutcome, Property, PropertyId, SettleRefused, Timestamp,
};
use crate::store::{Edit, KeptAnswer, PhotoStore, StoreError, StoreResult};

impl PhotoStore for MemoryStore {
    async fn add_photo(
        &self,
        property: PropertyId,
        photo: &Photo,
        edit: Edit,
        answer: Option<&KeptAnswer>,
    ) -> StoreResult<Property> {
        self.change_photos(property, &edit, answer, |next| {
            next.photos.drop_abandoned(edit.now);
            next.photos.add(photo.clone()).map_err(|_| StoreError::PhotoLimitReached).map(drop)
        })
    }

    async fn update_photo(
        &self,
        property: PropertyId,
        photo: PhotoId,
        changes: &PhotoChanges,
        edit: Edit,
    ) -> StoreResult<Property> {
        self.change_photos(property, &edit, None, |next| {
            next.photos.change(photo, changes).map(drop).ok_or(StoreError::PhotoNotFound)
        })
    }

    async fn delete_photo(&self, property: PropertyId, photo: PhotoId, edit: Edit) -> StoreResult<Property> {
        self.change_photos(property, &edit, None, |next| {
            next.photos.remove(photo).map(drop).ok_or(StoreError::PhotoNotFound)
        })
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
        let change = Change::between(Some(&stored.property), Some(&next), false, now);
        stored.property = next.clone();
        stored.last_write = None;
        state.record_change(change);
        Ok(Ok(next))
    }
}

impl MemoryStore {
    /// An edit of the property's photos by `change`, with a new version;
    /// answers the property.
    fn change_photos(
        &self,
        id: PropertyId,
        edit: &Edit,
        answer: Option<&KeptAnswer>,
        change: impl FnOnce(&mut Property) -> StoreResult<()>,
    ) -> StoreResult<Property> {
        let change = |next: &mut StoredProperty| {
            change(&mut next.property)?;
            next.property.touch(edit.now);
            Ok(())
        };
        self.edit_property(id, edit, answer, change, |stored| stored.property.clone())
    }
}
