//! How each aggregate is stored: one item type per kind of item, converting
//! from and to its domain type. An item type holds exactly the attributes
//! stored (the key attributes aside: `schema` builds those and `to_item`
//! adds them), in their stored form: validated text as the plain string,
//! which `into_domain` parses again through the domain's constructors, so a
//! corrupt item is reported ("stored … is invalid") rather than trusted; ids,
//! timestamps and closed lists as their domain types, whose serde form is
//! their stored form. Each item type also names the attributes that
//! expressions write, so an attribute name is spelled only here.

mod alerts;
mod change;
mod kept;
mod photo;
mod property;
mod session;
mod user;
mod webhook;

pub(super) use alerts::{
    AlertsCountItem, DueDigestItem, FavouredItem, FavouriteItem, HeldMatchItem, NotificationItem, NotifiedItem,
    ReadMarkItem, SavedSearchItem,
};
pub(super) use change::ChangeItem;
pub(super) use kept::KeptAnswerItem;
pub(crate) use photo::PhotoItem;
pub(super) use property::{PriceChangeItem, PropertyItem, RoomItem};
pub(super) use session::{AttemptsItem, SessionItem};
pub(super) use user::{EmailClaimItem, UserItem};
pub(super) use webhook::{AttemptItem, PendingItem, SubscriptionItem, WebhookCountItem, WebhookItem};

use super::{Item, StoreError};
use crate::store::{StoreResult, WriteId};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The item that holds `key` and the attributes of `data`.
fn encode<T: Serialize>(key: Item, data: &T) -> StoreResult<Item> {
    let mut item: Item =
        serde_dynamo::to_item(data).map_err(|e| StoreError::Internal(format!("encoding an item: {e}")))?;
    item.extend(key);
    Ok(item)
}

/// The attributes of an item; its key attributes are left out.
fn decode<T: DeserializeOwned>(item: Item) -> StoreResult<T> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Internal(format!("decoding an item: {e}")))
}

/// A value as items store it, for an expression that writes one attribute.
pub(super) fn attribute<T: Serialize>(value: &T) -> StoreResult<AttributeValue> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Internal(format!("encoding a value: {e}")))
}

/// The attribute naming the last write that changed an item (a
/// `WriteId`), on the items that conditional updates change: users (their
/// password) and properties (themselves and their rooms). A write sent
/// again after its answer was lost finds its own id there.
pub(super) const LAST_WRITE: &str = "last_write";

/// Whether `write` is the last write that changed `item`.
pub(super) fn written_by(item: &Item, write: WriteId) -> bool {
    item.get(LAST_WRITE).and_then(|value| value.as_s().ok()).is_some_and(|last| *last == write.to_string())
}

/// The error of a stored item that the domain no longer accepts.
fn corrupt(what: &str, id: impl std::fmt::Display, why: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored {what} {id} is invalid: {why}"))
}

#[cfg(test)]
mod tests;
