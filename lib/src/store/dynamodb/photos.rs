//! A listing's photos: a list in the property item, so that every change
//! is one conditional write of that item (`edit_property`), the order is
//! the list's, and listing pages read the primary photo with the listing.

use super::DynamoStore;
use crate::domain::{Photo, PhotoChanges, PhotoId, PhotoOutcome, Property, PropertyId, SettleRefused, Timestamp};
use crate::store::{Edit, KeptAnswer, PhotoStore, StoreError, StoreResult, WriteId};

impl PhotoStore for DynamoStore {
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
        .await
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
        .await
    }

    async fn delete_photo(&self, property: PropertyId, photo: PhotoId, edit: Edit) -> StoreResult<Property> {
        self.change_photos(property, &edit, None, |next| {
            next.photos.remove(photo).map(drop).ok_or(StoreError::PhotoNotFound)
        })
        .await
    }

    async fn settle_photo(
        &self,
        property: PropertyId,
        photo: PhotoId,
        outcome: &PhotoOutcome,
        now: Timestamp,
    ) -> StoreResult<Result<Property, SettleRefused>> {
        let Some(item) = self.property_item(property).await? else { return Ok(Err(SettleRefused::Gone)) };
        // Written as the owner would, so that the owner's condition holds.
        let edit = Edit { caller: item.owner_id(), expected_versions: None, now, write: WriteId::new() };
        // Why the photo may not be settled, if so: a refusal ends the
        // edit, so it is set once at most.
        let refused = std::sync::OnceLock::new();
        let settled = self
            .change_photos(property, &edit, None, |next| {
                next.photos.settle(photo, outcome.clone()).map_err(|why| {
                    let _ = refused.set(why);
                    StoreError::PhotoNotFound
                })
            })
            .await;
        match (settled, refused.into_inner()) {
            (_, Some(why)) => Ok(Err(why)),
            (Ok(property), None) => Ok(Ok(property)),
            (Err(StoreError::PropertyNotFound | StoreError::AccountGone), None) => Ok(Err(SettleRefused::Gone)),
            (Err(error), None) => Err(error),
        }
    }
}

impl DynamoStore {
    /// An edit of the property's photos by `change`, with a new version.
    async fn change_photos(
        &self,
        id: PropertyId,
        edit: &Edit,
        answer: Option<&KeptAnswer>,
        change: impl Fn(&mut Property) -> StoreResult<()>,
    ) -> StoreResult<Property> {
        self.edit_property(id, edit, answer, false, |current| {
            let mut property = current.to_domain()?;
            change(&mut property)?;
            property.touch(edit.now);
            Ok((current.replaced_by(&property), Vec::new()))
        })
        .await?
        .into_domain()
    }
}
