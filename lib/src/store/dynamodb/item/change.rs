//! A change of the feed (`store::feed`), in its shard's partition.

use super::{corrupt, decode, encode};
use crate::domain::{Change, ChangeType, ChangedMember, City, FeedEvent, PropertyId, Timestamp};
use crate::store::StoreResult;
use crate::store::dynamodb::{Item, schema};
use crate::store::feed::expires_at;
use serde::{Deserialize, Serialize};

/// Keyed by `schema::change_key`; `expires_at` is the table's TTL attribute.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChangeItem {
    seq: u64,
    id: uuid::Uuid,
    #[serde(rename = "type")]
    kind: ChangeType,
    property_id: PropertyId,
    version: u64,
    occurred_at: Timestamp,
    city: String,
    changed: Vec<ChangedMember>,
    expires_at: i64,
}

impl ChangeItem {
    pub fn from_domain(event: &FeedEvent) -> Self {
        let change = &event.change;
        Self {
            seq: event.seq,
            id: change.id,
            kind: change.kind,
            property_id: change.property_id,
            version: change.version,
            occurred_at: change.occurred_at,
            city: change.city.name().to_owned(),
            changed: change.changed.clone(),
            expires_at: expires_at(event.seq),
        }
    }

    pub fn into_domain(self) -> StoreResult<FeedEvent> {
        let city = City::parse(&self.city).map_err(|why| corrupt("change", self.id, why))?;
        let change = Change {
            id: self.id,
            kind: self.kind,
            property_id: self.property_id,
            version: self.version,
            occurred_at: self.occurred_at,
            city,
            changed: self.changed,
        };
        Ok(FeedEvent { seq: self.seq, change })
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        encode(schema::change_key(self.seq), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}
