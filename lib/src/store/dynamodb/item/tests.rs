//! The attributes each item type stores. Existing tables hold these exact
//! names, so a change here is a data migration, not a refactoring.

use super::{EmailClaimItem, PropertyItem, RoomItem, UserItem};
use crate::domain::{
    Area, BirthDate, City, Email, Features, Floor, NewRooms, PasswordHash, PersonName, Property, PropertyDescription,
    PropertyDetails, PropertyName, PropertyType, Room, RoomDescription, RoomDraft, RoomKind, RoomName, Timestamp, User,
    UserId,
};
use crate::store::StoreError;
use crate::store::dynamodb::{Item, string};
use std::collections::BTreeSet;

fn names(item: &Item) -> BTreeSet<&str> {
    item.keys().map(String::as_str).collect()
}

fn user() -> User {
    User::register(
        Email::parse("Ann@Example.com").unwrap(),
        PersonName::parse("Ann").unwrap(),
        PersonName::parse("Lee").unwrap(),
        BirthDate::parse("1990-02-28").unwrap(),
        Timestamp::now(),
    )
}

fn property() -> (Property, Vec<Room>) {
    let details = PropertyDetails {
        name: PropertyName::parse("Loft").unwrap(),
        description: PropertyDescription::parse("Bright").unwrap(),
        property_type: PropertyType::Loft,
        city: City::parse("Saint-Étienne").unwrap(),
    };
    let draft = |floor: Option<Floor>, description: Option<RoomDescription>| RoomDraft {
        name: RoomName::parse("Main").unwrap(),
        kind: RoomKind::LivingRoom,
        area: Area::from_hundredths(1234),
        floor,
        description,
        features: Features::parse(&["balcony".into()]).unwrap(),
    };
    let rooms = NewRooms::parse(vec![
        draft(Some(Floor::parse(2).unwrap()), Some(RoomDescription::parse("Sunny").unwrap())),
        draft(None, None),
    ])
    .unwrap();
    Property::publish(UserId::generate(), details, rooms, Timestamp::now())
}

#[test]
fn a_user_is_stored_under_its_names_and_read_back() {
    let user = user();
    let hash = PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    let item = UserItem::from_domain(&user, &hash).to_item().unwrap();
    let expected = [
        "pk",
        "sk",
        "id",
        "email",
        "first_name",
        "last_name",
        "birth_date",
        "password_hash",
        "credentials_version",
        "created_at",
        "updated_at",
    ];
    assert_eq!(names(&item), expected.into());
    assert_eq!(item["pk"], string(format!("USER#{}", user.id)));
    assert_eq!(item["sk"], string("PROFILE"));
    assert_eq!(item["email"], string("Ann@Example.com"));
    assert_eq!(item["birth_date"], string("1990-02-28"));
    for name in [UserItem::FIRST_NAME, UserItem::LAST_NAME, UserItem::BIRTH_DATE, UserItem::PASSWORD_HASH] {
        assert!(item.contains_key(name), "{name}");
    }
    let (read, read_hash) = UserItem::from_item(item).unwrap().into_domain().unwrap();
    assert_eq!(read, user);
    assert_eq!(read_hash.as_phc(), hash.as_phc());
}

#[test]
fn an_email_claim_is_keyed_by_the_lower_cased_address() {
    let user = user();
    let item = EmailClaimItem::from_domain(user.id).to_item(&user.email).unwrap();
    assert_eq!(names(&item), ["pk", "sk", "user_id"].into());
    assert_eq!(item["pk"], string("EMAIL#ann@example.com"));
    assert_eq!(item["sk"], string("EMAIL"));
    assert_eq!(EmailClaimItem::from_item(item).unwrap().into_domain(), user.id);
}

#[test]
fn a_property_is_stored_under_its_names_and_read_back() {
    let (property, rooms) = property();
    let item = PropertyItem::from_domain(&property, &rooms).to_item().unwrap();
    let expected = [
        "pk",
        "sk",
        "id",
        "owner_id",
        "name",
        "description",
        "property_type",
        "city",
        "room_areas",
        "created_at",
        "updated_at",
        "version",
        "gsi1pk",
        "gsi2pk",
        "gsi3pk",
        "gsi4pk",
        "gsisk",
    ];
    assert_eq!(names(&item), expected.into());
    assert_eq!(item["pk"], string(format!("PROPERTY#{}", property.id)));
    assert_eq!(item["sk"], string("PROPERTY"));
    assert_eq!(item["gsi1pk"], string("CITY#saint-etienne"));
    assert_eq!(item["gsi2pk"], string(format!("OWNER#{}", property.owner_id)));
    assert_eq!(item["gsi3pk"], string("PROPERTIES"));
    assert_eq!(item["gsi4pk"], string("TYPE#loft"));
    assert_eq!(item["gsisk"], string(property.id.to_string()));
    assert_eq!(item["property_type"], string("loft"));
    assert_eq!(item["city"], string("Saint-Étienne"));
    let constants = [
        PropertyItem::ID,
        PropertyItem::OWNER_ID,
        PropertyItem::NAME,
        PropertyItem::DESCRIPTION,
        PropertyItem::PROPERTY_TYPE,
        PropertyItem::CITY,
        PropertyItem::ROOM_AREAS,
        PropertyItem::UPDATED_AT,
        PropertyItem::VERSION,
    ];
    for name in constants {
        assert!(item.contains_key(name), "{name}");
    }
    assert_eq!(PropertyItem::owner_of(&item), Some(property.owner_id.to_string().as_str()));
    let areas = item[PropertyItem::ROOM_AREAS].as_m().unwrap();
    assert_eq!(areas.get(&rooms[0].id.to_string()), Some(&aws_sdk_dynamodb::types::AttributeValue::N("1234".into())));
    assert_eq!(PropertyItem::room_area_path(rooms[0].id), format!("room_areas.{}", rooms[0].id));
    let read = PropertyItem::from_item(item).unwrap().into_domain().unwrap();
    assert_eq!(read, property);
    assert_eq!(read.room_count(), 2);
}

#[test]
fn a_room_is_stored_under_its_names_and_read_back() {
    let (_, rooms) = property();
    let common =
        ["pk", "sk", "id", "property_id", "name", "kind", "area_hundredths", "features", "created_at", "updated_at"];
    let full = RoomItem::from_domain(&rooms[0]).to_item().unwrap();
    assert_eq!(names(&full), common.into_iter().chain(["floor", "description"]).collect());
    assert_eq!(full["pk"], string(format!("PROPERTY#{}", rooms[0].property_id)));
    assert_eq!(full["sk"], string(format!("ROOM#{}", rooms[0].id)));
    assert_eq!(full["kind"], string("living_room"));
    let constants = [
        RoomItem::NAME,
        RoomItem::KIND,
        RoomItem::AREA_HUNDREDTHS,
        RoomItem::FLOOR,
        RoomItem::DESCRIPTION,
        RoomItem::FEATURES,
        RoomItem::UPDATED_AT,
    ];
    for name in constants {
        assert!(full.contains_key(name), "{name}");
    }
    // An absent floor or description is no attribute at all.
    let bare = RoomItem::from_domain(&rooms[1]).to_item().unwrap();
    assert_eq!(names(&bare), common.into());
    for (item, room) in [(full, &rooms[0]), (bare, &rooms[1])] {
        assert_eq!(&RoomItem::from_item(item).unwrap().into_domain().unwrap(), room);
    }
}

#[test]
fn an_item_the_domain_rejects_is_reported_not_trusted() {
    let user = user();
    let hash = PasswordHash::from_phc("hash".into());
    let mut item = UserItem::from_domain(&user, &hash).to_item().unwrap();
    item.insert("first_name".into(), string("   "));
    let error = UserItem::from_item(item).unwrap().into_domain().unwrap_err();
    assert!(
        matches!(&error, StoreError::Internal(why) if why.starts_with(&format!("stored user {} is invalid", user.id)))
    );

    let (property, rooms) = property();
    let mut item = PropertyItem::from_domain(&property, &rooms).to_item().unwrap();
    item.insert("city".into(), string(""));
    let error = PropertyItem::from_item(item).unwrap().into_domain().unwrap_err();
    let prefix = format!("stored property {} is invalid", property.id);
    assert!(matches!(&error, StoreError::Internal(why) if why.starts_with(&prefix)));
}
