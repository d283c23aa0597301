use super::{Area, City, Invalid, PropertyId, Room, Timestamp, UserId, bounded_text};
use serde::{Deserialize, Serialize};

/// The most rooms one property may have.
pub const MAX_ROOMS: usize = 50;

/// A property's name: 1 to 120 characters once trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyName(String);

impl PropertyName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        bounded_text(raw, 1, 120).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text of at most `MAX` characters, possibly empty. Line breaks and
/// tabs are welcome here; other control characters are not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description<const MAX: usize>(String);

impl<const MAX: usize> Description<MAX> {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let text = raw.trim();
        if text.chars().count() > MAX {
            return Err(Invalid(format!("must be at most {MAX} characters long")));
        }
        if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(Invalid::new("must not contain control characters other than line breaks and tabs"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub type PropertyDescription = Description<5000>;

/// The closed list of property types, each with a label for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PropertyType {
    Apartment,
    House,
    Studio,
    Loft,
    Duplex,
    Villa,
    Townhouse,
    Land,
    Commercial,
    Office,
    Parking,
    Other,
}

impl PropertyType {
    pub const ALL: [PropertyType; 12] = [
        Self::Apartment,
        Self::House,
        Self::Studio,
        Self::Loft,
        Self::Duplex,
        Self::Villa,
        Self::Townhouse,
        Self::Land,
        Self::Commercial,
        Self::Office,
        Self::Parking,
        Self::Other,
    ];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        super::one_of(raw, &Self::ALL, Self::code)
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Apartment => "apartment",
            Self::House => "house",
            Self::Studio => "studio",
            Self::Loft => "loft",
            Self::Duplex => "duplex",
            Self::Villa => "villa",
            Self::Townhouse => "townhouse",
            Self::Land => "land",
            Self::Commercial => "commercial",
            Self::Office => "office",
            Self::Parking => "parking",
            Self::Other => "other",
        }
    }

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

/// A published property, without its rooms but with what they add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub id: PropertyId,
    pub owner_id: UserId,
    pub name: PropertyName,
    pub description: PropertyDescription,
    pub property_type: PropertyType,
    pub city: City,
    /// Derived: always the number of the property's rooms.
    pub room_count: usize,
    /// Derived: always the sum of the rooms' areas.
    pub total_area: Area,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Starts at 1 and grows with every change, rooms included: the ETag.
    pub version: u64,
}

impl Property {
    /// Sets the derived fields from the rooms.
    pub fn with_rooms(mut self, rooms: &[Room]) -> Self {
        self.room_count = rooms.len();
        self.total_area = rooms.iter().map(|room| room.area).sum();
        self
    }
}

/// The fields of a property its owner may change; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropertyChanges {
    pub name: Option<PropertyName>,
    pub description: Option<PropertyDescription>,
    pub property_type: Option<PropertyType>,
    pub city: Option<City>,
}

impl PropertyChanges {
    pub fn apply_to(&self, property: &mut Property) {
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
    }
}
