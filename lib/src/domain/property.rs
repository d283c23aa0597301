use super::text;
use super::{
    Area, City, Invalid, ListingStatus, Location, Photos, Price, PropertyId, Room, RoomDraft, StatusChangeRefused,
    Timestamp, Transaction, UserId,
};

/// The most rooms one property may have.
pub const MAX_ROOMS: usize = 50;

/// A property's name: 1 to 120 characters once trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyName(String);

impl PropertyName {
    pub const MAX_LENGTH: usize = 120;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        text::single_line(raw, 1, Self::MAX_LENGTH).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Free text of at most `MAX` characters, possibly empty. Line breaks and
/// tabs are welcome here; other control characters are not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description<const MAX: usize>(String);

impl<const MAX: usize> Description<MAX> {
    pub const MAX_LENGTH: usize = MAX;

    pub fn empty() -> Self {
        Self(String::new())
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        text::multi_line(raw, MAX).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

pub type PropertyDescription = Description<5000>;

super::closed_list!(
    /// The closed list of property types.
    PropertyType {
        Apartment = "apartment",
        House = "house",
        Studio = "studio",
        Loft = "loft",
        Duplex = "duplex",
        Villa = "villa",
        Townhouse = "townhouse",
        Land = "land",
        Commercial = "commercial",
        Office = "office",
        Parking = "parking",
        Other = "other",
    }
);

impl PropertyType {
    /// A label for people, as `GET /property-types` shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Apartment => "Apartment",
            Self::House => "House",
            Self::Studio => "Studio",
            Self::Loft => "Loft",
            Self::Duplex => "Duplex",
            Self::Villa => "Villa",
            Self::Townhouse => "Townhouse",
            Self::Land => "Land",
            Self::Commercial => "Commercial premises",
            Self::Office => "Office",
            Self::Parking => "Parking space",
            Self::Other => "Other",
        }
    }
}

/// What a publisher says about a property; everything else is the
/// platform's (ids, versions, dates) or derived from its rooms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyDetails {
    pub name: PropertyName,
    pub description: PropertyDescription,
    pub property_type: PropertyType,
    pub city: City,
    pub transaction: Transaction,
    pub status: ListingStatus,
    pub price: Option<Price>,
    pub location: Option<Location>,
}

/// What a room adds to its property's derived fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomTally {
    pub area: Area,
    pub bedroom: bool,
}

/// One entry of a listing's price history: the price from `version` on
/// (`None`: removed), set at `changed_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceChange {
    pub version: u64,
    pub changed_at: Timestamp,
    pub price: Option<Price>,
}

/// The rooms a property is published with: at most `MAX_ROOMS`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRooms(Vec<RoomDraft>);

impl NewRooms {
    pub fn parse(drafts: Vec<RoomDraft>) -> Result<Self, Invalid> {
        if drafts.len() > MAX_ROOMS {
            return Err(Invalid(format!("must hold at most {MAX_ROOMS} rooms")));
        }
        Ok(Self(drafts))
    }
}

/// A published property, without its rooms but with what they add up to.
/// Its version and derived fields can only change through its methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub id: PropertyId,
    pub owner_id: UserId,
    pub name: PropertyName,
    pub description: PropertyDescription,
    pub property_type: PropertyType,
    pub city: City,
    /// Sale or rent, fixed at publication.
    pub transaction: Transaction,
    pub location: Option<Location>,
    /// In the order they are shown. Photo changes go through the store's
    /// photo operations, which bump the version (`touch`) with them.
    pub photos: Photos,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    status: ListingStatus,
    price: Option<Price>,
    room_count: usize,
    bedroom_count: usize,
    total_area: Area,
    version: u64,
}

impl Property {
    /// A new property of `owner`, version 1, with its first rooms.
    pub fn publish(owner: UserId, details: PropertyDetails, rooms: NewRooms, now: Timestamp) -> (Self, Vec<Room>) {
        let id = PropertyId::generate();
        let rooms: Vec<Room> = rooms.0.into_iter().map(|draft| Room::create(id, draft, now)).collect();
        let property = Self::restore(id, owner, details, (now, now), 1, rooms.iter().map(Room::tally));
        (property, rooms)
    }

    /// A property as a store holds it: its details, dates (created,
    /// updated), version, and what its rooms add up to.
    pub fn restore(
        id: PropertyId,
        owner_id: UserId,
        details: PropertyDetails,
        (created_at, updated_at): (Timestamp, Timestamp),
        version: u64,
        rooms: impl IntoIterator<Item = RoomTally>,
    ) -> Self {
        let PropertyDetails { name, description, property_type, city, transaction, status, price, location } = details;
        let mut property = Self {
            id,
            owner_id,
            name,
            description,
            property_type,
            city,
            transaction,
            location,
            photos: Photos::default(),
            created_at,
            updated_at,
            status,
            price,
            room_count: 0,
            bedroom_count: 0,
            total_area: Area::default(),
            version,
        };
        property.count_rooms(rooms);
        property
    }

    pub fn status(&self) -> ListingStatus {
        self.status
    }

    pub fn price(&self) -> Option<Price> {
        self.price
    }

    /// Whether `caller` may see the listing: anyone while it is public,
    /// only its owner while it is a draft or withdrawn.
    pub fn visible_to(&self, caller: Option<UserId>) -> bool {
        self.status.is_public() || caller == Some(self.owner_id)
    }

    /// The first entry of a new listing's price history, if it has a price.
    pub fn opening_price(&self) -> Option<PriceChange> {
        self.price.map(|price| PriceChange { version: self.version, changed_at: self.created_at, price: Some(price) })
    }

    /// The number of rooms.
    pub fn room_count(&self) -> usize {
        self.room_count
    }

    /// The number of rooms of kind `bedroom`.
    pub fn bedroom_count(&self) -> usize {
        self.bedroom_count
    }

    /// The sum of the rooms' areas.
    pub fn total_area(&self) -> Area {
        self.total_area
    }

    /// Starts at 1 and grows with every change, rooms included: the ETag.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether one more room would stay within `MAX_ROOMS`.
    pub fn has_room_for_another(&self) -> bool {
        self.room_count < MAX_ROOMS
    }

    /// Sets the derived fields from the current rooms.
    pub fn count_rooms(&mut self, rooms: impl IntoIterator<Item = RoomTally>) {
        let (mut count, mut bedrooms, mut total) = (0, 0, Area::default());
        for room in rooms {
            count += 1;
            bedrooms += usize::from(room.bedroom);
            total = total + room.area;
        }
        self.room_count = count;
        self.bedroom_count = bedrooms;
        self.total_area = total;
    }

    /// Records a change to the property or one of its rooms: a new version.
    pub fn touch(&mut self, now: Timestamp) {
        self.version += 1;
        self.updated_at = now;
    }
}

/// The fields of a property its owner may change; `None` leaves one as it
/// is, `Some(None)` removes an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropertyChanges {
    pub name: Option<PropertyName>,
    pub description: Option<PropertyDescription>,
    pub property_type: Option<PropertyType>,
    pub city: Option<City>,
    pub status: Option<ListingStatus>,
    pub price: Option<Option<Price>>,
    pub location: Option<Option<Location>>,
}

impl PropertyChanges {
    /// Applies the changes as one new version of the property, or none of
    /// them if the status change is not allowed. A new price (or its
    /// removal) comes back as the price history's next entry.
    pub fn apply_to(
        &self,
        property: &mut Property,
        now: Timestamp,
    ) -> Result<Option<PriceChange>, StatusChangeRefused> {
        if let Some(next) = self.status {
            property.status = property.status.change_to(next, property.transaction)?;
        }
        let new_price = self.price.filter(|price| *price != property.price);
        if let Some(price) = new_price {
            property.price = price;
        }
        if let Some(location) = self.location {
            property.location = location;
        }
        if let Some(name) = &self.name {
            property.name = name.clone();
        }
        if let Some(description) = &self.description {
            property.description = description.clone();
        }
        if let Some(property_type) = self.property_type {
            property.property_type = property_type;
        }
        if let Some(city) = &self.city {
            property.city = city.clone();
        }
        property.touch(now);
        Ok(new_price.map(|price| PriceChange { version: property.version, changed_at: now, price }))
    }
}
