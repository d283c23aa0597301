//! Domain values built as the application builds them, for the tests that
//! write through the store port directly.

use estate::domain::{
    Area, BirthDate, City, Email, Features, ListingStatus, NewRooms, PasswordHash, PersonName, Property,
    PropertyDescription, PropertyDetails, PropertyId, PropertyName, PropertyType, Room, RoomDraft, RoomKind, RoomName,
    Timestamp, Transaction, User, UserId,
};
use estate::store::{Bounds, Listing, Order, PageRequest, Search, Store};

/// A user registering now with `email`.
pub fn user(email: &str) -> User {
    User::register(
        Email::parse(email).unwrap(),
        PersonName::parse("Grace").unwrap(),
        PersonName::parse("Hopper").unwrap(),
        BirthDate::parse("1976-12-09").unwrap(),
        Timestamp::now(),
    )
}

/// A stand-in password hash, distinct per `text`: no hashing cost.
pub fn hash(text: &str) -> PasswordHash {
    PasswordHash::from_phc(format!("$argon2id$v=19$m=19456,t=2,p=1${text}"))
}

/// An active sale listing named "Home", with no description, price or location.
pub fn details(city: &str, kind: PropertyType) -> PropertyDetails {
    PropertyDetails {
        name: PropertyName::parse("Home").unwrap(),
        description: PropertyDescription::parse("").unwrap(),
        property_type: kind,
        city: City::parse(city).unwrap(),
        transaction: Transaction::Sale,
        status: ListingStatus::Active,
        price: None,
        location: None,
    }
}

/// A bedroom of this area, in hundredths of a square metre.
pub fn draft(hundredths: u64) -> RoomDraft {
    RoomDraft {
        name: RoomName::parse("Room").unwrap(),
        kind: RoomKind::Bedroom,
        area: Area::from_hundredths(hundredths),
        floor: None,
        description: None,
        features: Features::default(),
    }
}

/// A property of `owner` published now with rooms of these areas (in hundredths).
pub fn publish(owner: UserId, city: &str, kind: PropertyType, areas: &[u64]) -> (Property, Vec<Room>) {
    let rooms = NewRooms::parse(areas.iter().map(|area| draft(*area)).collect()).unwrap();
    Property::publish(owner, details(city, kind), rooms, Timestamp::now())
}

/// A property of `owner` without rooms.
pub fn property(owner: UserId, city: &str, kind: PropertyType) -> Property {
    publish(owner, city, kind, &[]).0
}

/// A room to add to `property`.
pub fn room(property: PropertyId, hundredths: u64) -> Room {
    Room::create(property, draft(hundredths), Timestamp::now())
}

/// A search of the listings on the market for sale everywhere, newest first.
pub fn everywhere_search() -> Search {
    Search {
        city: None,
        transaction: Transaction::Sale,
        status: None,
        property_type: None,
        currency: None,
        price: Bounds::default(),
        area: Bounds::default(),
        bedrooms: Bounds::default(),
        region: None,
        order: Order::Newest,
    }
}

/// Every item of a listing, page after page of `limit`.
pub async fn walk(store: &impl Store, listing: &Listing, limit: usize) -> Vec<Property> {
    let mut found = Vec::new();
    let mut after = None;
    for _ in 0..1000 {
        let page = store.list_properties(listing, PageRequest { limit, after }).await.unwrap();
        assert!(page.items.len() <= limit);
        found.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return found,
        }
    }
    panic!("the pages of {listing:?} never end");
}
