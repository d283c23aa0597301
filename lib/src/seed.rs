//! A realistic demo data set: a few people, listings in a dozen cities
//! (accents, hyphens and apostrophes included) with rooms of every kind,
//! for sale and for rent, priced in each city's currency, in every status
//! (a few drafts, one withdrawn, one sold, one under offer, one price
//! cut), and enough listings in Paris and Lyon for sorting, paging and
//! the map to show something: every listing has a real location in its
//! city, and those of Paris and Lyon are spread across their districts.
//! It is written through the store port, so it loads into either store.

use crate::auth::passwords;
use crate::domain::{
    Area, BirthDate, City, Currency, Email, Features, Floor, ListingStatus, Location, NewRooms, Password, PersonName,
    Price, PriceAmount, Property, PropertyChanges, PropertyDescription, PropertyDetails, PropertyName, PropertyType,
    RoomDescription, RoomDraft, RoomKind, RoomName, Timestamp, Transaction, User, UserId,
};
use crate::store::{Edit, Store, StoreError};

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

/// What happens to a demo listing after it is published.
#[derive(Clone, Copy)]
enum Story {
    /// Published and left on the market.
    Listed,
    /// Kept as a draft, seen by its owner only.
    Draft,
    /// Withdrawn from the market.
    Withdrawn,
    /// Put under offer.
    UnderOffer,
    /// Under offer, then sold (or let).
    Closed,
    /// Its price cut to this many units.
    PriceCut(u64),
}

/// How each of `PROPERTIES` is listed: (transaction, price in the city's currency, story).
const LISTINGS: [(Transaction, u64, Story); 12] = [
    (Transaction::Sale, 895_000, Story::PriceCut(869_000)),
    (Transaction::Rent, 1_650, Story::Listed),
    (Transaction::Sale, 189_000, Story::Listed),
    (Transaction::Sale, 1_250_000, Story::Listed),
    (Transaction::Sale, 459_000, Story::Withdrawn),
    (Transaction::Rent, 540, Story::Listed),
    (Transaction::Sale, 629_000, Story::UnderOffer),
    (Transaction::Sale, 1_150_000, Story::Listed),
    (Transaction::Rent, 38_000, Story::Listed),
    (Transaction::Rent, 7_900, Story::Draft),
    (Transaction::Sale, 24_500, Story::Closed),
    (Transaction::Sale, 135_000, Story::Draft),
];

/// Districts of Paris and Lyon, (lat, lon): their demo listings take turns.
const PARIS_DISTRICTS: [(f64, f64); 10] = [
    (48.8720, 2.3650), // Canal Saint-Martin
    (48.8575, 2.3622), // Le Marais
    (48.8540, 2.3330), // Saint-Germain-des-Prés
    (48.8867, 2.3431), // Montmartre
    (48.8532, 2.3692), // Bastille
    (48.8489, 2.3470), // Quartier latin
    (48.8850, 2.3170), // Batignolles
    (48.8720, 2.3850), // Belleville
    (48.8570, 2.2790), // Passy
    (48.8280, 2.3500), // Butte-aux-Cailles
];
const LYON_DISTRICTS: [(f64, f64); 7] = [
    (45.7745, 4.8320), // Croix-Rousse
    (45.7600, 4.8350), // Presqu'île
    (45.7620, 4.8270), // Vieux Lyon
    (45.7600, 4.8590), // Part-Dieu
    (45.7430, 4.8180), // Confluence
    (45.7690, 4.8530), // Brotteaux
    (45.7530, 4.8420), // Guillotière
];

/// Where the `nth` demo listing of `city` is: a district of Paris or Lyon
/// in turn (a street or two apart on each round), else the city's centre.
fn demo_location(city: &str, nth: usize) -> Location {
    let districts: &[(f64, f64)] = match city {
        "Paris" => &PARIS_DISTRICTS,
        "Lyon" => &LYON_DISTRICTS,
        "Saint-Étienne" => &[(45.4397, 4.3872)],
        "Aix-en-Provence" => &[(43.5297, 5.4474)],
        "L'Haÿ-les-Roses" => &[(48.7800, 2.3374)],
        "Besançon" => &[(47.2378, 6.0241)],
        "Montréal" => &[(45.5231, -73.5817)],
        "Kraków" => &[(50.0614, 19.9372)],
        "São Paulo" => &[(-23.5614, -46.6559)],
        "Zürich" => &[(47.3717, 8.5423)],
        "Villeneuve-d'Ascq" => &[(50.6233, 3.1450)],
        "Nîmes" => &[(43.8367, 4.3601)],
        _ => panic!("no location for demo city {city}"),
    };
    let (lat, lon) = districts[nth % districts.len()];
    let round = (nth / districts.len()) as f64;
    Location::new(lat + 0.0015 * round, lon - 0.002 * round).expect("a valid demo location")
}

/// The currency of a demo city.
fn currency_of(city: &str) -> Currency {
    match city {
        "Montréal" => Currency::Cad,
        "Kraków" => Currency::Pln,
        "São Paulo" => Currency::Brl,
        "Zürich" => Currency::Chf,
        _ => Currency::Eur,
    }
}

/// The extra listings that make Paris and Lyon long enough to sort and
/// page: (city, owner, type, total area in m², price in euros, transaction).
const CITY_LISTINGS: [(&str, usize, PropertyType, u64, u64, Transaction); 16] = [
    ("Paris", 1, PropertyType::Studio, 21, 239_000, Transaction::Sale),
    ("Paris", 2, PropertyType::Apartment, 48, 485_000, Transaction::Sale),
    ("Paris", 3, PropertyType::Apartment, 67, 720_000, Transaction::Sale),
    ("Paris", 0, PropertyType::Loft, 95, 1_090_000, Transaction::Sale),
    ("Paris", 1, PropertyType::Apartment, 54, 485_000, Transaction::Sale),
    ("Paris", 2, PropertyType::Duplex, 120, 1_480_000, Transaction::Sale),
    ("Paris", 3, PropertyType::Studio, 18, 890, Transaction::Rent),
    ("Paris", 0, PropertyType::Apartment, 62, 2_350, Transaction::Rent),
    ("Paris", 1, PropertyType::Apartment, 35, 1_390, Transaction::Rent),
    ("Lyon", 2, PropertyType::Apartment, 58, 265_000, Transaction::Sale),
    ("Lyon", 3, PropertyType::House, 140, 615_000, Transaction::Sale),
    ("Lyon", 0, PropertyType::Studio, 24, 129_000, Transaction::Sale),
    ("Lyon", 1, PropertyType::Apartment, 81, 389_000, Transaction::Sale),
    ("Lyon", 2, PropertyType::Townhouse, 110, 389_000, Transaction::Sale),
    ("Lyon", 3, PropertyType::Apartment, 45, 780, Transaction::Rent),
    ("Lyon", 0, PropertyType::Loft, 90, 1_450, Transaction::Rent),
];

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
    for ((owner, name, kind, city, description, rooms), (transaction, price, story)) in PROPERTIES.iter().zip(LISTINGS)
    {
        let Some(owner) = owners[*owner] else { continue };
        let rooms = rooms.iter().map(demo_room).collect();
        let location = demo_location(city, 0);
        let listing = DemoListing { name, kind: *kind, city, description, transaction, price, story, location };
        listing.publish(store, owner, rooms).await?;
        report.properties += 1;
    }
    for (index, (city, owner, kind, area, price, transaction)) in CITY_LISTINGS.into_iter().enumerate() {
        let Some(owner) = owners[owner] else { continue };
        let name = format!("{} {} m² in {city}", kind.label(), area);
        let description = format!("Demo listing {} of {city}, for sorting and paging.", index + 1);
        // Bedrooms of 10 m² and a main room make up the area.
        let bedrooms = (area / 30).min(4);
        let room = ("Main room", RoomKind::LivingRoom, (area - 10 * bedrooms) * 100, Some(1), &[] as &[&str]);
        let mut rooms = vec![demo_room(&room)];
        rooms.extend((0..bedrooms).map(|_| demo_room(&("Bedroom", RoomKind::Bedroom, 1000, Some(1), &[]))));
        let listing = DemoListing {
            name: &name,
            kind,
            city,
            description: &description,
            transaction,
            price,
            story: Story::Listed,
            // After the city's listing of `PROPERTIES`, in its first district.
            location: demo_location(city, index + 1),
        };
        listing.publish(store, owner, rooms).await?;
        report.properties += 1;
    }
    Ok(report)
}

struct DemoListing<'a> {
    name: &'a str,
    kind: PropertyType,
    city: &'a str,
    description: &'a str,
    transaction: Transaction,
    price: u64,
    story: Story,
    location: Location,
}

impl DemoListing<'_> {
    async fn publish<S: Store>(self, store: &S, owner: UserId, rooms: Vec<RoomDraft>) -> Result<(), StoreError> {
        let price = |units: u64| {
            let amount = PriceAmount::from_hundredths(units * 100).expect("a valid demo price");
            Price { amount, currency: currency_of(self.city) }
        };
        let status = if matches!(self.story, Story::Draft) { ListingStatus::Draft } else { ListingStatus::Active };
        let details = PropertyDetails {
            name: PropertyName::parse(self.name).expect("a valid demo name"),
            description: PropertyDescription::parse(self.description).expect("a valid demo description"),
            property_type: self.kind,
            city: City::parse(self.city).expect("a valid demo city"),
            transaction: self.transaction,
            status,
            price: Some(price(self.price)),
            location: Some(self.location),
        };
        let rooms = NewRooms::parse(rooms).expect("few enough demo rooms");
        let (property, rooms) = Property::publish(owner, details, rooms, Timestamp::now());
        store.create_property(&property, &rooms, None).await?;
        let closed = if self.transaction == Transaction::Sale { ListingStatus::Sold } else { ListingStatus::Let };
        let status_changes: &[ListingStatus] = match self.story {
            Story::Withdrawn => &[ListingStatus::Withdrawn],
            Story::UnderOffer => &[ListingStatus::UnderOffer],
            Story::Closed => &[ListingStatus::UnderOffer, closed],
            Story::Listed | Story::Draft | Story::PriceCut(_) => &[],
        };
        let mut changes: Vec<PropertyChanges> = status_changes
            .iter()
            .map(|&status| PropertyChanges { status: Some(status), ..Default::default() })
            .collect();
        if let Story::PriceCut(units) = self.story {
            changes.push(PropertyChanges { price: Some(Some(price(units))), ..Default::default() });
        }
        for change in changes {
            store.update_property(property.id, &change, Edit::by(owner)).await?;
        }
        Ok(())
    }
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
    use crate::store::{Listing, MemoryStore, PageRequest, PropertyStore, UserStore};

    #[tokio::test]
    async fn the_demo_data_covers_every_kind_status_and_a_dozen_cities_once() {
        let store = MemoryStore::new();
        let report = seed(&store).await.unwrap();
        let listings = PROPERTIES.len() + CITY_LISTINGS.len();
        assert_eq!((report.users, report.properties), (4, listings));
        let again = seed(&store).await.unwrap();
        assert_eq!((again.users, again.properties, again.skipped_users), (0, 0, 4));

        let mut all = Vec::new();
        for (owner, ..) in USERS {
            let owner = store.find_credentials(&Email::parse(owner).unwrap()).await.unwrap().unwrap().user_id;
            let page = store.list_properties(&Listing::Owner(owner), PageRequest { limit: 100, after: None }).await;
            all.extend(page.unwrap().items);
        }
        assert_eq!(all.len(), listings);
        let mut cities: Vec<String> = all.iter().map(|p| city_key(p.city.name())).collect();
        cities.sort();
        cities.dedup();
        assert_eq!(cities.len(), 12);
        let statuses: Vec<ListingStatus> = all.iter().map(Property::status).collect();
        for status in ListingStatus::ALL.iter().filter(|status| **status != ListingStatus::Let) {
            assert!(statuses.contains(status), "no demo listing is {status:?}");
        }
        let mut kinds = Vec::new();
        for property in &all {
            let (_, rooms) = store.get_property(property.id).await.unwrap().unwrap();
            kinds.extend(rooms.iter().map(|room| room.kind));
        }
        for &kind in RoomKind::ALL {
            assert!(kinds.contains(&kind), "no demo room of kind {kind:?}");
        }
        // Each where its city is (within 10 km of its first), no two at
        // the same spot.
        for property in &all {
            let first = demo_location(property.city.name(), 0);
            let distance = crate::domain::geo::distance_m(first, property.location.unwrap());
            assert!(distance < 10_000.0, "{} is {distance} m from {}", property.name.as_str(), property.city.name());
        }
        let mut spots: Vec<String> = all.iter().map(|p| format!("{:?}", p.location)).collect();
        spots.sort();
        spots.dedup();
        assert_eq!(spots.len(), all.len());
    }
}
