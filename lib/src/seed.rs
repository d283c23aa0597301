//! A realistic demo data set: a few people, properties in a dozen cities
//! (accents, hyphens and apostrophes included), rooms of every kind. It is
//! written through the store port, so it loads into either store.

use crate::auth::passwords;
use crate::domain::{
    Area, BirthDate, City, Email, Features, Floor, NewRooms, Password, PersonName, Property, PropertyDescription,
    PropertyDetails, PropertyName, PropertyType, RoomDescription, RoomDraft, RoomKind, RoomName, Timestamp, User,
    UserId,
};
use crate::store::{Store, StoreError};

/// Every demo account signs in with this password.
pub const DEMO_PASSWORD: &str = "demo password 1";

const USERS: [(&str, &str, &str, &str); 4] = [
    ("camille@example.com", "Camille", "Durand", "1988-04-12"),
    ("jonas@example.com", "Jonas", "Weber", "1979-09-30"),
    ("ines@example.com", "Inês", "Carvalho", "1993-01-17"),
    ("oskar@example.com", "Oskar", "Nowak", "1965-06-05"),
];

/// (owner index, name, type, city, description, rooms as (name, kind, area, floor, features))
type RoomSpec = (&'static str, RoomKind, u64, Option<i64>, &'static [&'static str]);
type PropertySpec = (usize, &'static str, PropertyType, &'static str, &'static str, &'static [RoomSpec]);

const PROPERTIES: &[PropertySpec] = &[
    (
        0,
        "Haussmann apartment near the canal",
        PropertyType::Apartment,
        "Paris",
        "High ceilings, parquet floors, two balconies.",
        &[
            ("Living room", RoomKind::LivingRoom, 3250, Some(3), &["fireplace", "south-facing"]),
            ("Kitchen", RoomKind::Kitchen, 1175, Some(3), &[]),
            ("Bedroom", RoomKind::Bedroom, 1420, Some(3), &["parquet"]),
            ("Bathroom", RoomKind::Bathroom, 650, Some(3), &["bathtub"]),
            ("Balcony", RoomKind::Balcony, 425, Some(3), &["street view"]),
        ],
    ),
    (
        0,
        "Silk-weavers' loft on the Croix-Rousse",
        PropertyType::Loft,
        "Lyon",
        "Exposed beams and four-metre windows.",
        &[
            ("Open space", RoomKind::LivingRoom, 6400, Some(4), &["exposed beams"]),
            ("Mezzanine bedroom", RoomKind::Bedroom, 1800, Some(5), &[]),
            ("Shower room", RoomKind::Bathroom, 500, Some(4), &[]),
        ],
    ),
    (
        1,
        "Miner's house with garden",
        PropertyType::House,
        "Saint-Étienne",
        "Quiet street, ten minutes from the tram.",
        &[
            ("Kitchen", RoomKind::Kitchen, 1500, Some(0), &["pantry"]),
            ("Dining room", RoomKind::DiningRoom, 1800, Some(0), &[]),
            ("Cellar", RoomKind::Cellar, 2000, Some(-1), &["vaulted"]),
            ("Garage", RoomKind::Garage, 1650, Some(0), &[]),
        ],
    ),
    (
        1,
        "Provençal villa with pool",
        PropertyType::Villa,
        "Aix-en-Provence",
        "Olive trees, pool, views of Sainte-Victoire.",
        &[
            ("Living room", RoomKind::LivingRoom, 4500, Some(0), &["fireplace"]),
            ("Terrace", RoomKind::Terrace, 3000, Some(0), &["pool view", "south-facing"]),
            ("Master bedroom", RoomKind::Bedroom, 2200, Some(1), &["en suite"]),
            ("Laundry", RoomKind::Laundry, 600, Some(0), &[]),
        ],
    ),
    (
        2,
        "Townhouse by the rose garden",
        PropertyType::Townhouse,
        "L'Haÿ-les-Roses",
        "Three floors, small courtyard.",
        &[
            ("Living room", RoomKind::LivingRoom, 2600, Some(0), &[]),
            ("Office", RoomKind::Office, 950, Some(2), &["fibre"]),
            ("Attic", RoomKind::Attic, 1800, Some(3), &["skylight"]),
            ("Toilet", RoomKind::Toilet, 180, Some(1), &[]),
        ],
    ),
    (
        2,
        "Studio under the citadel",
        PropertyType::Studio,
        "Besançon",
        "Furnished, close to the university.",
        &[
            ("Main room", RoomKind::LivingRoom, 2150, Some(2), &["furnished"]),
            ("Shower room", RoomKind::Bathroom, 375, Some(2), &[]),
        ],
    ),
    (
        3,
        "Duplex in the Plateau",
        PropertyType::Duplex,
        "Montréal",
        "Spiral staircase, heated floors.",
        &[
            ("Living room", RoomKind::LivingRoom, 2850, Some(1), &["heated floors"]),
            ("Bedroom", RoomKind::Bedroom, 1300, Some(2), &[]),
            ("Storage", RoomKind::Storage, 400, Some(-1), &[]),
        ],
    ),
    (
        3,
        "Apartment off the Main Square",
        PropertyType::Apartment,
        "Kraków",
        "Renovated tenement, lift.",
        &[
            ("Living room", RoomKind::LivingRoom, 2400, Some(2), &[]),
            ("Kitchen", RoomKind::Kitchen, 900, Some(2), &[]),
            ("Bedroom", RoomKind::Bedroom, 1200, Some(2), &[]),
        ],
    ),
    (
        2,
        "Office floor on Avenida Paulista",
        PropertyType::Office,
        "São Paulo",
        "Open plan, meeting rooms, 24-hour security.",
        &[
            ("Open office", RoomKind::Office, 18000, Some(12), &["air conditioning"]),
            ("Meeting room", RoomKind::Other, 3000, Some(12), &[]),
        ],
    ),
    (
        1,
        "Shop on the Limmat",
        PropertyType::Commercial,
        "Zürich",
        "Street-level shop with storage.",
        &[
            ("Shop floor", RoomKind::Other, 7500, Some(0), &["shop window"]),
            ("Back store", RoomKind::Storage, 1500, Some(0), &[]),
        ],
    ),
    (0, "Parking space near the metro", PropertyType::Parking, "Villeneuve-d'Ascq", "Covered, secured access.", &[]),
    (
        3,
        "Building plot with olive trees",
        PropertyType::Land,
        "Nîmes",
        "1 200 m², water and power at the boundary.",
        &[],
    ),
];

/// What a seed run did.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub users: usize,
    pub properties: usize,
    pub skipped_users: usize,
}

/// Loads the demo data. Users that already exist are left alone, with their
/// properties, so seeding twice adds nothing.
pub async fn seed<S: Store>(store: &S) -> Result<SeedReport, crate::entrypoints::BoxError> {
    let mut report = SeedReport::default();
    let mut owners: Vec<Option<UserId>> = Vec::new();
    for (email, first, last, birth) in USERS {
        let password = Password::parse(DEMO_PASSWORD.into()).expect("a valid demo password");
        let hash = passwords::hash(password).await?;
        let user = User::register(
            Email::parse(email).expect("a valid demo email"),
            PersonName::parse(first).expect("a valid demo name"),
            PersonName::parse(last).expect("a valid demo name"),
            BirthDate::parse(birth).expect("a valid demo birth date"),
            Timestamp::now(),
        );
        match store.create_user(&user, &hash, None).await {
            Ok(()) => {
                report.users += 1;
                owners.push(Some(user.id));
            }
            Err(StoreError::EmailTaken) => {
                report.skipped_users += 1;
                owners.push(None);
            }
            Err(other) => return Err(other.into()),
        }
    }
    for (owner, name, kind, city, description, rooms) in PROPERTIES {
        let Some(owner) = owners[*owner] else { continue };
        let details = PropertyDetails {
            name: PropertyName::parse(name).expect("a valid demo name"),
            description: PropertyDescription::parse(description).expect("a valid demo description"),
            property_type: *kind,
            city: City::parse(city).expect("a valid demo city"),
        };
        let rooms = NewRooms::parse(rooms.iter().map(demo_room).collect()).expect("few enough demo rooms");
        let (property, rooms) = Property::publish(owner, details, rooms, Timestamp::now());
        store.create_property(&property, &rooms, None).await?;
        report.properties += 1;
    }
    Ok(report)
}

fn demo_room(spec: &RoomSpec) -> RoomDraft {
    let (name, kind, hundredths, floor, features) = spec;
    let features: Vec<String> = features.iter().map(|tag| tag.to_string()).collect();
    RoomDraft {
        name: RoomName::parse(name).expect("a valid demo room name"),
        kind: *kind,
        area: Area::from_hundredths(*hundredths),
        floor: floor.map(|level| Floor::parse(level).expect("a valid demo floor")),
        description: Some(
            RoomDescription::parse(&format!("The {} of this demo property.", name.to_lowercase())).expect("valid"),
        ),
        features: Features::parse(&features).expect("valid demo features"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::city_key;
    use crate::store::{Listing, MemoryStore, PageRequest, PropertyStore};

    #[tokio::test]
    async fn the_demo_data_covers_every_kind_and_a_dozen_cities_once() {
        let store = MemoryStore::new();
        let report = seed(&store).await.unwrap();
        assert_eq!((report.users, report.properties), (4, 12));
        let again = seed(&store).await.unwrap();
        assert_eq!((again.users, again.properties, again.skipped_users), (0, 0, 4));

        let all = store.list_properties(&Listing::All, PageRequest { limit: 100, after: None }).await.unwrap();
        assert_eq!(all.items.len(), 12);
        let mut cities: Vec<String> = all.items.iter().map(|p| city_key(p.city.name())).collect();
        cities.sort();
        cities.dedup();
        assert_eq!(cities.len(), 12);
        let mut kinds = Vec::new();
        for property in &all.items {
            let (_, rooms) = store.get_property(property.id).await.unwrap().unwrap();
            kinds.extend(rooms.iter().map(|room| room.kind));
        }
        for &kind in RoomKind::ALL {
            assert!(kinds.contains(&kind), "no demo room of kind {kind:?}");
        }
    }
}
