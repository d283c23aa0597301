//! The items of a property: the property item, and one item per room in
//! the same collection. The property item keeps a map of its rooms' areas,
//! from which the room count and the total area are derived.

use super::{PhotoItem, corrupt, decode, encode};
use crate::domain::{
    Area, City, Currency, Features, Floor, ListingStatus, Location, Photos, Price, PriceAmount, PriceChange, Property,
    PropertyDescription, PropertyDetails, PropertyId, PropertyName, PropertyType, Room, RoomDescription, RoomId,
    RoomKind, RoomName, RoomTally, Timestamp, Transaction, UserId,
};
use crate::store::StoreResult;
use crate::store::dynamodb::{Item, schema};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

/// A property; keyed by `schema::property_key`, and in the indexes its
/// status puts it in (`schema::property_index_keys`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PropertyItem {
    id: PropertyId,
    owner_id: UserId,
    name: String,
    description: String,
    property_type: PropertyType,
    city: String,
    // Items written before listings had these read as today's defaults.
    #[serde(default)]
    transaction: Transaction,
    #[serde(default)]
    status: ListingStatus,
    /// The price as two top-level attributes, so that a filter expression
    /// can compare them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price_hundredths: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price_currency: Option<Currency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    /// Room id → area in hundredths of m²: the source of the derived totals.
    room_areas: HashMap<String, u64>,
    /// The ids of the rooms of kind `bedroom`.
    #[serde(default)]
    bedrooms: BTreeSet<String>,
    /// Derived from the two above, stored for filter expressions only.
    #[serde(default)]
    total_area_hundredths: u64,
    #[serde(default)]
    bedroom_count: u64,
    /// In the order they are shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    photos: Vec<PhotoItem>,
    created_at: Timestamp,
    updated_at: Timestamp,
    version: u64,
}

impl PropertyItem {
    pub const ID: &str = "id";
    pub const OWNER_ID: &str = "owner_id";
    pub const PROPERTY_TYPE: &str = "property_type";
    pub const STATUS: &str = "status";
    pub const PRICE_HUNDREDTHS: &str = "price_hundredths";
    pub const PRICE_CURRENCY: &str = "price_currency";
    pub const TOTAL_AREA_HUNDREDTHS: &str = "total_area_hundredths";
    pub const BEDROOM_COUNT: &str = "bedroom_count";
    pub const VERSION: &str = "version";

    /// The owner id that an item, or a projection of one, holds.
    pub fn owner_of(item: &Item) -> Option<&str> {
        item.get(Self::OWNER_ID).and_then(|value| value.as_s().ok()).map(String::as_str)
    }

    /// The status of a property item, read without decoding the rest
    /// (an item from before statuses is active).
    pub fn status_of(item: &Item) -> ListingStatus {
        let code = item.get(Self::STATUS).and_then(|value| value.as_s().ok());
        code.and_then(|code| ListingStatus::parse(code).ok()).unwrap_or_default()
    }

    /// The version of a property item, read without decoding the rest.
    pub fn version_of(item: &Item) -> Option<u64> {
        item.get(Self::VERSION).and_then(|value| value.as_n().ok()).and_then(|number| number.parse().ok())
    }

    /// A new property's item, with its first rooms.
    pub fn from_domain(property: &Property, rooms: &[Room]) -> Self {
        let mut item = Self {
            id: property.id,
            owner_id: property.owner_id,
            name: String::new(),
            description: String::new(),
            property_type: property.property_type,
            city: String::new(),
            transaction: property.transaction,
            status: property.status(),
            price_hundredths: None,
            price_currency: None,
            location: None,
            room_areas: HashMap::new(),
            bedrooms: BTreeSet::new(),
            total_area_hundredths: 0,
            bedroom_count: 0,
            photos: Vec::new(),
            created_at: property.created_at,
            updated_at: property.updated_at,
            version: 0,
        };
        for room in rooms {
            item.set_room(room.id, room.tally());
        }
        item.replaced_by(property)
    }

    /// This item after its property became `property`: the same rooms,
    /// everything else from `property`.
    pub fn replaced_by(&self, property: &Property) -> Self {
        Self {
            id: property.id,
            owner_id: property.owner_id,
            name: property.name.as_str().into(),
            description: property.description.as_str().into(),
            property_type: property.property_type,
            city: property.city.name().into(),
            transaction: property.transaction,
            status: property.status(),
            price_hundredths: property.price().map(|price| price.amount.hundredths()),
            price_currency: property.price().map(|price| price.currency),
            location: property.location,
            room_areas: self.room_areas.clone(),
            bedrooms: self.bedrooms.clone(),
            total_area_hundredths: property.total_area().hundredths(),
            bedroom_count: property.bedroom_count() as u64,
            photos: property.photos.as_slice().iter().map(PhotoItem::from_domain).collect(),
            created_at: property.created_at,
            updated_at: property.updated_at,
            version: property.version(),
        }
    }

    pub fn to_domain(&self) -> StoreResult<Property> {
        let bad = |why: crate::domain::Invalid| corrupt("property", self.id, why);
        let price = match (self.price_hundredths, self.price_currency) {
            (Some(hundredths), Some(currency)) => {
                Some(Price { amount: PriceAmount::from_hundredths(hundredths).map_err(bad)?, currency })
            }
            _ => None,
        };
        let details = PropertyDetails {
            name: PropertyName::parse(&self.name).map_err(bad)?,
            description: PropertyDescription::parse(&self.description).map_err(bad)?,
            property_type: self.property_type,
            city: City::parse(&self.city).map_err(bad)?,
            transaction: self.transaction,
            status: self.status,
            price,
            location: self.location,
        };
        let rooms = self.room_areas.iter().map(|(id, hundredths)| RoomTally {
            area: Area::from_hundredths(*hundredths),
            bedroom: self.bedrooms.contains(id),
        });
        let mut property =
            Property::restore(self.id, self.owner_id, details, (self.created_at, self.updated_at), self.version, rooms);
        let photos = self.photos.iter().map(|photo| photo.to_domain(self.id));
        property.photos = Photos::new(photos.collect::<StoreResult<_>>()?);
        Ok(property)
    }

    pub fn owner_id(&self) -> UserId {
        self.owner_id
    }

    pub fn into_domain(self) -> StoreResult<Property> {
        self.to_domain()
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// The ids of the property's rooms, as `room_areas` spells them.
    pub fn room_ids(&self) -> impl Iterator<Item = &str> {
        self.room_areas.keys().map(String::as_str)
    }

    pub fn has_room(&self, room: RoomId) -> bool {
        self.room_areas.contains_key(&room.to_string())
    }

    /// Adds the room, or changes what it adds up to.
    pub fn set_room(&mut self, room: RoomId, tally: RoomTally) {
        let id = room.to_string();
        if tally.bedroom {
            self.bedrooms.insert(id.clone());
        } else {
            self.bedrooms.remove(&id);
        }
        self.room_areas.insert(id, tally.area.hundredths());
    }

    /// What the room adds up to now, if the property has it.
    pub fn room_tally(&self, room: RoomId) -> Option<RoomTally> {
        let id = room.to_string();
        let area = Area::from_hundredths(*self.room_areas.get(&id)?);
        Some(RoomTally { area, bedroom: self.bedrooms.contains(&id) })
    }

    pub fn remove_room(&mut self, room: RoomId) {
        let id = room.to_string();
        self.bedrooms.remove(&id);
        self.room_areas.remove(&id);
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        // The index keys are the domain's: derived from the item as
        // `to_domain` reads it.
        let indexes = schema::property_index_keys(&self.to_domain()?);
        let mut item = encode(schema::property_key(self.id), self)?;
        item.extend(indexes);
        Ok(item)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}

/// One entry of a property's price history; keyed by
/// `schema::price_change_key`, in the property's collection.
#[derive(Debug, Serialize, Deserialize)]
pub struct PriceChangeItem {
    version: u64,
    changed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price_hundredths: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price_currency: Option<Currency>,
}

impl PriceChangeItem {
    pub fn to_item(property: PropertyId, change: &PriceChange) -> StoreResult<Item> {
        let item = Self {
            version: change.version,
            changed_at: change.changed_at,
            price_hundredths: change.price.map(|price| price.amount.hundredths()),
            price_currency: change.price.map(|price| price.currency),
        };
        encode(schema::price_change_key(property, change.version), &item)
    }

    pub fn from_item(property: PropertyId, item: Item) -> StoreResult<PriceChange> {
        let item: Self = decode(item)?;
        let price = match (item.price_hundredths, item.price_currency) {
            (Some(hundredths), Some(currency)) => {
                let amount = PriceAmount::from_hundredths(hundredths)
                    .map_err(|why| corrupt("price history of property", property, why))?;
                Some(Price { amount, currency })
            }
            _ => None,
        };
        Ok(PriceChange { version: item.version, changed_at: item.changed_at, price })
    }
}

/// A room; keyed by `schema::room_key`, in no index.
#[derive(Debug, Serialize, Deserialize)]
pub struct RoomItem {
    id: RoomId,
    property_id: PropertyId,
    name: String,
    kind: RoomKind,
    area_hundredths: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    floor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    features: Vec<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl RoomItem {
    pub const NAME: &str = "name";
    pub const KIND: &str = "kind";
    pub const AREA_HUNDREDTHS: &str = "area_hundredths";
    pub const FLOOR: &str = "floor";
    pub const DESCRIPTION: &str = "description";
    pub const FEATURES: &str = "features";
    pub const UPDATED_AT: &str = "updated_at";

    pub fn from_domain(room: &Room) -> Self {
        Self {
            id: room.id,
            property_id: room.property_id,
            name: room.name.as_str().into(),
            kind: room.kind,
            area_hundredths: room.area.hundredths(),
            floor: room.floor.map(|floor| floor.level().into()),
            description: room.description.as_ref().map(|text| text.as_str().into()),
            features: room.features.as_slice().to_vec(),
            created_at: room.created_at,
            updated_at: room.updated_at,
        }
    }

    pub fn into_domain(self) -> StoreResult<Room> {
        let bad = |why: crate::domain::Invalid| corrupt("room", self.id, why);
        Ok(Room {
            id: self.id,
            property_id: self.property_id,
            name: RoomName::parse(&self.name).map_err(bad)?,
            kind: self.kind,
            area: Area::from_hundredths(self.area_hundredths),
            floor: self.floor.map(Floor::parse).transpose().map_err(bad)?,
            description: self.description.as_deref().map(RoomDescription::parse).transpose().map_err(bad)?,
            features: Features::parse(&self.features).map_err(bad)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        encode(schema::room_key(self.property_id, self.id), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}
