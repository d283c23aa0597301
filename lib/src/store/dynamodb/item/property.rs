//! The items of a property: the property item, and one item per room in
//! the same collection. The property item keeps a map of its rooms' areas,
//! from which the room count and the total area are derived.

use super::{corrupt, decode, encode};
use crate::domain::{
    Area, City, Features, Floor, Property, PropertyDescription, PropertyDetails, PropertyId, PropertyName,
    PropertyType, Room, RoomDescription, RoomId, RoomKind, RoomName, Timestamp, UserId,
};
use crate::store::StoreResult;
use crate::store::dynamodb::{Item, schema};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A property; keyed by `schema::property_key`, and in every index.
#[derive(Debug, Serialize, Deserialize)]
pub struct PropertyItem {
    id: PropertyId,
    owner_id: UserId,
    name: String,
    description: String,
    property_type: PropertyType,
    city: String,
    /// Room id → area in hundredths of m²: the source of the derived totals.
    room_areas: HashMap<String, u64>,
    created_at: Timestamp,
    updated_at: Timestamp,
    version: u64,
}

impl PropertyItem {
    pub const ID: &str = "id";
    pub const OWNER_ID: &str = "owner_id";
    pub const NAME: &str = "name";
    pub const DESCRIPTION: &str = "description";
    pub const PROPERTY_TYPE: &str = "property_type";
    pub const CITY: &str = "city";
    pub const ROOM_AREAS: &str = "room_areas";
    pub const UPDATED_AT: &str = "updated_at";
    pub const VERSION: &str = "version";

    /// The path of one room's entry in `room_areas`.
    pub fn room_area_path(room: RoomId) -> String {
        format!("{}.{room}", Self::ROOM_AREAS)
    }

    /// The owner id that an item, or a projection of one, holds.
    pub fn owner_of(item: &Item) -> Option<&str> {
        item.get(Self::OWNER_ID).and_then(|value| value.as_s().ok()).map(String::as_str)
    }

    /// The version of a property item, read without decoding the rest.
    pub fn version_of(item: &Item) -> Option<u64> {
        item.get(Self::VERSION).and_then(|value| value.as_n().ok()).and_then(|number| number.parse().ok())
    }

    pub fn from_domain(property: &Property, rooms: &[Room]) -> Self {
        Self {
            id: property.id,
            owner_id: property.owner_id,
            name: property.name.as_str().into(),
            description: property.description.as_str().into(),
            property_type: property.property_type,
            city: property.city.name().into(),
            room_areas: rooms.iter().map(|room| (room.id.to_string(), room.area.hundredths())).collect(),
            created_at: property.created_at,
            updated_at: property.updated_at,
            version: property.version(),
        }
    }

    pub fn into_domain(self) -> StoreResult<Property> {
        let bad = |why: crate::domain::Invalid| corrupt("property", self.id, why);
        let details = PropertyDetails {
            name: PropertyName::parse(&self.name).map_err(bad)?,
            description: PropertyDescription::parse(&self.description).map_err(bad)?,
            property_type: self.property_type,
            city: City::parse(&self.city).map_err(bad)?,
        };
        let areas = self.room_areas.values().map(|hundredths| Area::from_hundredths(*hundredths));
        Ok(Property::restore(self.id, self.owner_id, details, (self.created_at, self.updated_at), self.version, areas))
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// The ids of the property's rooms, as `room_areas` spells them.
    pub fn room_ids(&self) -> impl Iterator<Item = &str> {
        self.room_areas.keys().map(String::as_str)
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        // The city's key is the domain's: parsed again, as `into_domain` does.
        let city = City::parse(&self.city).map_err(|why| corrupt("property", self.id, why))?;
        let indexes = schema::property_index_keys(self.id, self.owner_id, city.key(), self.property_type);
        let mut item = encode(schema::property_key(self.id), self)?;
        item.extend(indexes);
        Ok(item)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
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
