//! A change of the feed (`store::feed`), in its shard's partition.

use super::{corrupt, decode, encode};
use crate::domain::{
    Change, ChangeType, ChangedMember, City, Currency, Facets, FeedEvent, ListingStatus, Location, Price, PriceAmount,
    PropertyId, PropertyType, Timestamp, Transaction, Transition, UserId,
};
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
    /// The listing's facets before and after (`Change::listing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<FacetsItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<FacetsItem>,
    expires_at: i64,
}

/// `Facets`, flat: a price as its currency and hundredths, a location as
/// its degrees.
#[derive(Debug, Serialize, Deserialize)]
struct FacetsItem {
    owner: UserId,
    status: ListingStatus,
    transaction: Transaction,
    #[serde(rename = "type")]
    property_type: PropertyType,
    city_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    currency: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price: Option<u64>,
    area: u64,
    bedrooms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lon: Option<f64>,
}

impl FacetsItem {
    fn from_domain(facets: &Facets) -> Self {
        Self {
            owner: facets.owner,
            status: facets.status,
            transaction: facets.transaction,
            property_type: facets.property_type,
            city_key: facets.city_key.clone(),
            currency: facets.price.map(|price| price.currency),
            price: facets.price.map(|price| price.amount.hundredths()),
            area: facets.area,
            bedrooms: facets.bedrooms,
            lat: facets.location.map(Location::lat),
            lon: facets.location.map(Location::lon),
        }
    }

    fn into_domain(self, id: uuid::Uuid) -> StoreResult<Facets> {
        let price = match (self.currency, self.price) {
            (Some(currency), Some(hundredths)) => {
                let amount = PriceAmount::from_hundredths(hundredths).map_err(|why| corrupt("change", id, why))?;
                Some(Price { amount, currency })
            }
            _ => None,
        };
        let location = match (self.lat, self.lon) {
            (Some(lat), Some(lon)) => Some(Location::new(lat, lon).map_err(|why| corrupt("change", id, why))?),
            _ => None,
        };
        Ok(Facets {
            owner: self.owner,
            status: self.status,
            transaction: self.transaction,
            property_type: self.property_type,
            city_key: self.city_key,
            price,
            area: self.area,
            bedrooms: self.bedrooms,
            location,
        })
    }
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
            before: change.listing.before.as_ref().map(FacetsItem::from_domain),
            after: change.listing.after.as_ref().map(FacetsItem::from_domain),
            expires_at: expires_at(event.seq),
        }
    }

    pub fn into_domain(self) -> StoreResult<FeedEvent> {
        let city = City::parse(&self.city).map_err(|why| corrupt("change", self.id, why))?;
        let id = self.id;
        let listing = Transition {
            before: self.before.map(|facets| facets.into_domain(id)).transpose()?,
            after: self.after.map(|facets| facets.into_domain(id)).transpose()?,
        };
        let change = Change {
            id: self.id,
            kind: self.kind,
            property_id: self.property_id,
            version: self.version,
            occurred_at: self.occurred_at,
            city,
            changed: self.changed,
            listing,
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
