//! The table's stream, as the media function reads it: which photos a
//! change of a property item removed (deleted, abandoned, or with the
//! property), so that their files can go, and how the change moves the
//! listing in the map clusters. The function's event source mapping
//! passes only property items' records.

use super::Item;
use super::item::{ChangeItem, PhotoItem, PropertyItem};
use crate::domain::{FeedEvent, PhotoId, PropertyId};
use crate::store::clusters::Placement;
use crate::store::{ListingChange, StoreError, StoreResult};
use serde_json::Value;
use std::collections::BTreeSet;

/// The change a record of a property item makes to its listing, for the
/// clusters; `None` for a record of anything else.
pub fn listing_change(record: &Value) -> StoreResult<Option<ListingChange>> {
    let images = &record["dynamodb"];
    let property = |image: &Value| -> StoreResult<Option<crate::domain::Property>> {
        if image.is_null() {
            return Ok(None);
        }
        let item: serde_dynamo::Item = serde_json::from_value(image.clone())
            .map_err(|e| StoreError::Internal(format!("a stream image that is not DynamoDB JSON: {e}")))?;
        let item = Item::from(item);
        if !super::schema::is_property_item(&item) {
            return Ok(None);
        }
        Ok(Some(PropertyItem::from_item(item)?.into_domain()?))
    };
    Ok(match record["eventName"].as_str() {
        Some("INSERT" | "MODIFY") => property(&images["NewImage"])?.map(|after| ListingChange {
            property: after.id,
            version: after.version(),
            placement: Placement::of(&after),
            deleted: false,
        }),
        // A deletion comes after the listing's last version.
        Some("REMOVE") => property(&images["OldImage"])?.map(|before| ListingChange {
            property: before.id,
            version: before.version() + 1,
            placement: None,
            deleted: true,
        }),
        _ => None,
    })
}

/// The photos a stream record's change removed: in the old image, not in
/// the new one (none for a REMOVE). Nothing for any other record.
pub fn photos_removed_by(record: &Value) -> Vec<(PropertyId, PhotoId)> {
    let images = &record["dynamodb"];
    let old = &images["OldImage"];
    let Some(property) = old[PropertyItem::ID]["S"].as_str().and_then(PropertyId::parse) else {
        return Vec::new();
    };
    let after = photo_ids(&images["NewImage"]);
    photo_ids(old).into_iter().filter(|photo| !after.contains(photo)).map(|photo| (property, photo)).collect()
}

/// The ids of the photos a property item's image (DynamoDB JSON) holds.
fn photo_ids(image: &Value) -> BTreeSet<PhotoId> {
    let photos = image[PhotoItem::LIST]["L"].as_array().map(Vec::as_slice).unwrap_or_default();
    photos.iter().filter_map(|photo| photo["M"][PhotoItem::ID]["S"].as_str().and_then(PhotoId::parse)).collect()
}

/// The change of the feed a stream record inserts (the webhooks function's
/// records); `None` for a record of anything else.
pub fn feed_event(record: &Value) -> StoreResult<Option<FeedEvent>> {
    if record["eventName"].as_str() != Some("INSERT") {
        return Ok(None);
    }
    let image = &record["dynamodb"]["NewImage"];
    let item: serde_dynamo::Item = serde_json::from_value(image.clone())
        .map_err(|e| StoreError::Internal(format!("a stream image that is not DynamoDB JSON: {e}")))?;
    let item = Item::from(item);
    if !super::schema::is_change_item(&item) {
        return Ok(None);
    }
    ChangeItem::from_item(item)?.into_domain().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image(property: PropertyId, photos: &[PhotoId]) -> Value {
        let photos: Vec<Value> = photos.iter().map(|id| json!({"M": {"id": {"S": id.to_string()}}})).collect();
        json!({"id": {"S": property.to_string()}, "photos": {"L": photos}})
    }

    #[test]
    fn a_modify_removes_what_the_new_image_lacks_and_a_remove_removes_all() {
        let property = PropertyId::generate();
        let [a, b, c] = [PhotoId::generate(), PhotoId::generate(), PhotoId::generate()];
        let modify = json!({"eventName": "MODIFY", "dynamodb": {
            "OldImage": image(property, &[a, b]), "NewImage": image(property, &[a, c])}});
        assert_eq!(photos_removed_by(&modify), [(property, b)]);
        let remove = json!({"eventName": "REMOVE", "dynamodb": {"OldImage": image(property, &[a, b])}});
        let mut removed = photos_removed_by(&remove);
        removed.sort();
        let mut expected = vec![(property, a), (property, b)];
        expected.sort();
        assert_eq!(removed, expected);
        let insert = json!({"eventName": "INSERT", "dynamodb": {"NewImage": image(property, &[a])}});
        assert!(photos_removed_by(&insert).is_empty());
    }
}
