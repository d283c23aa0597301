use super::text;
use super::{Area, Description, Invalid, PropertyId, RoomId, RoomTally, Timestamp};

/// A room's name: 1 to 100 characters once trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomName(String);

impl RoomName {
    pub const MAX_LENGTH: usize = 100;

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

pub type RoomDescription = Description<2000>;

super::closed_list!(
    /// The closed list of room kinds.
    RoomKind {
        Bedroom = "bedroom",
        LivingRoom = "living_room",
        DiningRoom = "dining_room",
        Kitchen = "kitchen",
        Bathroom = "bathroom",
        Toilet = "toilet",
        Office = "office",
        Laundry = "laundry",
        Storage = "storage",
        Garage = "garage",
        Cellar = "cellar",
        Attic = "attic",
        Balcony = "balcony",
        Terrace = "terrace",
        Other = "other",
    }
);

/// The storey a room is on: −5 (deep basement) to 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floor(i16);

impl Floor {
    pub const LOWEST: i16 = -5;
    pub const HIGHEST: i16 = 200;

    pub fn parse(level: i64) -> Result<Self, Invalid> {
        match i16::try_from(level) {
            Ok(level) if (Self::LOWEST..=Self::HIGHEST).contains(&level) => Ok(Self(level)),
            _ => Err(Self::out_of_range()),
        }
    }

    /// From a JSON number, which must be written as a whole number: `2.0`,
    /// `-0` and `1e2` are floats to JSON parsers, and refused.
    pub fn parse_json(number: &serde_json::Number) -> Result<Self, Invalid> {
        number.as_i64().ok_or_else(Self::out_of_range).and_then(Self::parse)
    }

    fn out_of_range() -> Invalid {
        Invalid(format!("must be a whole number from {} to {}", Self::LOWEST, Self::HIGHEST))
    }

    pub fn level(self) -> i16 {
        self.0
    }
}

/// Up to 20 distinct tags such as "fireplace" or "south-facing", each 1 to
/// 50 characters; distinct regardless of letter case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Features(Vec<String>);

impl Features {
    pub const MAX: usize = 20;
    pub const MAX_TAG_LENGTH: usize = 50;

    pub fn parse(raw: &[String]) -> Result<Self, Invalid> {
        if raw.len() > Self::MAX {
            return Err(Invalid(format!("must hold at most {} features", Self::MAX)));
        }
        let mut tags: Vec<String> = Vec::with_capacity(raw.len());
        for (index, tag) in raw.iter().enumerate() {
            let tag = text::single_line(tag, 1, Self::MAX_TAG_LENGTH)
                .map_err(|invalid| Invalid(format!("item {index} {invalid}")))?;
            if tags.iter().any(|seen| seen.to_lowercase() == tag.to_lowercase()) {
                return Err(Invalid(format!("must not repeat a feature: {tag:?} appears twice")));
            }
            tags.push(tag);
        }
        Ok(Self(tags))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

/// A room as its owner describes it, before it belongs to a property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomDraft {
    pub name: RoomName,
    pub kind: RoomKind,
    pub area: Area,
    pub floor: Option<Floor>,
    pub description: Option<RoomDescription>,
    pub features: Features,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    pub id: RoomId,
    pub property_id: PropertyId,
    pub name: RoomName,
    pub kind: RoomKind,
    pub area: Area,
    pub floor: Option<Floor>,
    pub description: Option<RoomDescription>,
    pub features: Features,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Room {
    /// What the room adds to its property's derived fields.
    pub fn tally(&self) -> RoomTally {
        RoomTally { area: self.area, bedroom: self.kind == RoomKind::Bedroom }
    }

    /// A new room of `property`, made from its draft.
    pub fn create(property_id: PropertyId, draft: RoomDraft, now: Timestamp) -> Self {
        let RoomDraft { name, kind, area, floor, description, features } = draft;
        Self {
            id: RoomId::generate(),
            property_id,
            name,
            kind,
            area,
            floor,
            description,
            features,
            created_at: now,
            updated_at: now,
        }
    }
}

/// The fields of a room its owner may change. The outer `None` leaves a
/// field as it is; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomChanges {
    pub name: Option<RoomName>,
    pub kind: Option<RoomKind>,
    pub area: Option<Area>,
    pub floor: Option<Option<Floor>>,
    pub description: Option<Option<RoomDescription>>,
    pub features: Option<Features>,
}

impl RoomChanges {
    /// What a room that added `before` adds once changed.
    pub fn tally_after(&self, before: RoomTally) -> RoomTally {
        RoomTally {
            area: self.area.unwrap_or(before.area),
            bedroom: self.kind.map_or(before.bedroom, |kind| kind == RoomKind::Bedroom),
        }
    }

    pub fn apply_to(&self, room: &mut Room, now: Timestamp) {
        if let Some(name) = &self.name {
            room.name = name.clone();
        }
        if let Some(kind) = self.kind {
            room.kind = kind;
        }
        if let Some(area) = self.area {
            room.area = area;
        }
        if let Some(floor) = self.floor {
            room.floor = floor;
        }
        if let Some(description) = &self.description {
            room.description = description.clone();
        }
        if let Some(features) = &self.features {
            room.features = features.clone();
        }
        room.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_bounded_and_distinct() {
        let tags = |list: &[&str]| list.iter().map(|tag| tag.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Features::parse(&tags(&[" fireplace ", "south-facing"])).unwrap().as_slice(),
            ["fireplace", "south-facing"]
        );
        assert!(Features::parse(&tags(&["Fireplace", "fireplace"])).is_err());
        assert!(Features::parse(&tags(&[""])).is_err());
        assert!(Features::parse(&tags(&[&"x".repeat(51)])).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("tag {i}")).collect();
        assert!(Features::parse(&many).is_err());
        assert!(Features::parse(&many[..20]).is_ok());
    }

    #[test]
    fn floors_and_kinds_are_closed_sets() {
        assert!(Floor::parse(-5).is_ok() && Floor::parse(200).is_ok());
        assert!(Floor::parse(-6).is_err() && Floor::parse(201).is_err());
        assert_eq!(RoomKind::parse("living_room").unwrap(), RoomKind::LivingRoom);
        assert!(RoomKind::parse("Living Room").is_err());
    }
}
