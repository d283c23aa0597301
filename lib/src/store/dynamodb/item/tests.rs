//! The attributes each item type stores. Existing tables hold these exact
//! names, so a change here is a data migration, not a refactoring.

use super::{EmailClaimItem, PriceChangeItem, PropertyItem, RoomItem, UserItem};
use crate::domain::{
    Area, BirthDate, City, Currency, Email, Features, Floor, ListingStatus, Location, NewRooms, PasswordHash,
    PersonName, Price, PriceAmount, PriceChange, Property, PropertyChanges, PropertyDescription, PropertyDetails,
    PropertyName, PropertyType, Room, RoomDescription, RoomDraft, RoomKind, RoomName, Timestamp, Transaction, User,
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

fn price(hundredths: u64) -> Price {
    Price { amount: PriceAmount::from_hundredths(hundredths).unwrap(), currency: Currency::Eur }
}

fn property() -> (Property, Vec<Room>) {
    let details = PropertyDetails {
        name: PropertyName::parse("Loft").unwrap(),
        description: PropertyDescription::parse("Bright").unwrap(),
        property_type: PropertyType::Loft,
        city: City::parse("Saint-Étienne").unwrap(),
        transaction: Transaction::Rent,
        status: ListingStatus::Active,
        price: Some(price(125_050)),
        location: Some(Location::new(45.4397, 4.3872).unwrap()),
    };
    let draft = |floor: Option<Floor>, description: Option<RoomDescription>| RoomDraft {
        name: RoomName::parse("Main").unwrap(),
        kind: if floor.is_some() { RoomKind::Bedroom } else { RoomKind::LivingRoom },
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
        "transaction",
        "status",
        "price_hundredths",
        "price_currency",
        "location",
        "room_areas",
        "bedrooms",
        "total_area_hundredths",
        "bedroom_count",
        "created_at",
        "updated_at",
        "version",
        "gsi1pk",
        "gsi2pk",
        "gsi3pk",
        "gsi4pk",
        "gsi5pk",
        "gsi5sk",
        "gsi6sk",
        "gsi7pk",
        "gsi8pk",
        "gsi9sk",
        "gsisk",
    ];
    assert_eq!(names(&item), expected.into());
    let id = property.id;
    let shard = id.to_string().chars().last().unwrap().to_digit(16).unwrap() % 4;
    assert_eq!(item["pk"], string(format!("PROPERTY#{id}")));
    assert_eq!(item["sk"], string("PROPERTY"));
    assert_eq!(item["gsi1pk"], string("CITY#saint-etienne#rent#LISTED"));
    assert_eq!(item["gsi2pk"], string(format!("OWNER#{}", property.owner_id)));
    assert_eq!(item["gsi3pk"], string(format!("FEED#rent#LISTED#{shard}")));
    assert_eq!(item["gsi4pk"], string(format!("TYPE#loft#rent#LISTED#{shard}")));
    assert_eq!(item["gsi5pk"], string("CITY#saint-etienne#rent#LISTED#EUR"));
    assert_eq!(item["gsi5sk"], string(format!("00000000125050#{id}")));
    assert_eq!(item["gsi6sk"], string(format!("000000002468#{id}")));
    assert_eq!(item["gsisk"], string(id.to_string()));
    // Its map cell (45.4397, 4.3872: geohash u054eb49mnj2), as geohash.org spells it.
    assert_eq!(item["gsi7pk"], string("GEO#u054#rent#LISTED"));
    assert_eq!(item["gsi8pk"], string("GEO#u054#rent#LISTED#EUR"));
    assert_eq!(item["gsi9sk"], string(format!("u054eb49mnj2#{id}")));
    assert_eq!(item["property_type"], string("loft"));
    assert_eq!(item["city"], string("Saint-Étienne"));
    assert_eq!(item["price_currency"], string("EUR"));
    let number = |value: &str| aws_sdk_dynamodb::types::AttributeValue::N(value.into());
    assert_eq!(item["price_hundredths"], number("125050"));
    assert_eq!(item["total_area_hundredths"], number("2468"));
    assert_eq!(item["bedroom_count"], number("1"));
    let constants = [
        PropertyItem::ID,
        PropertyItem::OWNER_ID,
        PropertyItem::PROPERTY_TYPE,
        PropertyItem::STATUS,
        PropertyItem::PRICE_HUNDREDTHS,
        PropertyItem::PRICE_CURRENCY,
        PropertyItem::TOTAL_AREA_HUNDREDTHS,
        PropertyItem::BEDROOM_COUNT,
        PropertyItem::VERSION,
    ];
    for name in constants {
        assert!(item.contains_key(name), "{name}");
    }
    assert_eq!(PropertyItem::owner_of(&item), Some(property.owner_id.to_string().as_str()));
    let areas = item["room_areas"].as_m().unwrap();
    assert_eq!(areas.get(&rooms[0].id.to_string()), Some(&number("1234")));
    let read = PropertyItem::from_item(item).unwrap().into_domain().unwrap();
    assert_eq!(read, property);
    assert_eq!((read.room_count(), read.bedroom_count()), (2, 1));
}

#[test]
fn only_a_public_listing_is_in_the_public_indexes() {
    let (mut property, rooms) = property();
    let before = PropertyItem::from_domain(&property, &rooms);
    let change = |status| PropertyChanges { status: Some(status), ..Default::default() };
    let now = Timestamp::now();
    change(ListingStatus::Withdrawn).apply_to(&mut property, now).unwrap();
    let withdrawn = before.replaced_by(&property).to_item().unwrap();
    let public = ["gsi1pk", "gsi3pk", "gsi4pk", "gsi5pk", "gsi5sk", "gsi6sk", "gsi7pk", "gsi8pk", "gsi9sk"];
    for name in public {
        assert!(!withdrawn.contains_key(name), "a withdrawn listing has {name}");
    }
    assert_eq!(withdrawn["gsi2pk"], string(format!("OWNER#{}", property.owner_id)));

    change(ListingStatus::Active).apply_to(&mut property, now).unwrap();
    change(ListingStatus::Let).apply_to(&mut property, now).unwrap();
    let let_ = before.replaced_by(&property).to_item().unwrap();
    assert_eq!(let_["gsi1pk"], string("CITY#saint-etienne#rent#CLOSED"));
    assert_eq!(let_["gsi5pk"], string("CITY#saint-etienne#rent#CLOSED#EUR"));
}

#[test]
fn a_price_change_is_stored_in_its_property_collection() {
    let (property, _) = property();
    for price in [Some(price(99)), None] {
        let change = PriceChange { version: 7, changed_at: Timestamp::now(), price };
        let item = PriceChangeItem::to_item(property.id, &change).unwrap();
        assert_eq!(item["pk"], string(format!("PROPERTY#{}", property.id)));
        assert_eq!(item["sk"], string("PRICE#00000000000000000007"));
        assert_eq!(PriceChangeItem::from_item(property.id, item).unwrap(), change);
    }
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
    assert_eq!(full["kind"], string("bedroom"));
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

#[test]
fn a_stream_record_of_a_property_tells_its_change_to_the_clusters() {
    use crate::store::dynamodb::listing_change;
    let (mut property, rooms) = property();
    // As Lambda delivers an image: DynamoDB JSON.
    let image = |property: &Property| {
        let item = PropertyItem::from_domain(property, &rooms).to_item().unwrap();
        serde_json::to_value(serde_dynamo::Item::from(item)).unwrap()
    };
    let record = |name: &str, old: Option<&Property>, new: Option<&Property>| {
        let mut images = serde_json::json!({});
        if let Some(old) = old {
            images["OldImage"] = image(old);
        }
        if let Some(new) = new {
            images["NewImage"] = image(new);
        }
        serde_json::json!({"eventName": name, "dynamodb": images})
    };
    let inserted = listing_change(&record("INSERT", None, Some(&property))).unwrap().unwrap();
    assert_eq!((inserted.property, inserted.version, inserted.deleted), (property.id, 1, false));
    let placement = inserted.placement.unwrap();
    assert_eq!((placement.location, placement.status), (property.location.unwrap(), ListingStatus::Active));

    let before = property.clone();
    PropertyChanges { status: Some(ListingStatus::Withdrawn), ..Default::default() }
        .apply_to(&mut property, Timestamp::now())
        .unwrap();
    let withdrawn = listing_change(&record("MODIFY", Some(&before), Some(&property))).unwrap().unwrap();
    assert_eq!((withdrawn.version, withdrawn.placement), (2, None), "a withdrawn listing is not counted");
    let removed = listing_change(&record("REMOVE", Some(&property), None)).unwrap().unwrap();
    assert_eq!((removed.version, removed.placement, removed.deleted), (3, None, true), "after its last version");

    // Any other item's record is nothing to the clusters.
    let user = serde_json::json!({"eventName": "INSERT", "dynamodb": {"NewImage": {"pk": {"S": "USER#x"}, "sk": {"S": "PROFILE"}}}});
    assert_eq!(listing_change(&user).unwrap(), None);
}

#[test]
fn a_change_keeps_the_listing_facets_before_and_after() {
    use super::ChangeItem;
    use crate::domain::{Change, FeedEvent};
    let (before, _) = property();
    let mut after = before.clone();
    let cheaper = PropertyChanges { price: Some(Some(price(99_000))), ..Default::default() };
    cheaper.apply_to(&mut after, Timestamp::now()).unwrap();
    let change = Change::between(Some(&before), Some(&after), false, Timestamp::now()).unwrap();
    assert_eq!(change.listing.before.as_ref().unwrap().price, Some(price(125_050)));
    assert!(change.listing.price_lowered());
    let event = FeedEvent { seq: 7, change };
    let item = ChangeItem::from_domain(&event).to_item().unwrap();
    assert!(names(&item).is_superset(&["before", "after"].into()));
    assert_eq!(ChangeItem::from_item(item).unwrap().into_domain().unwrap(), event);

    // A change written before facets were kept reads without them.
    let mut old = ChangeItem::from_domain(&event).to_item().unwrap();
    old.remove("before");
    old.remove("after");
    assert_eq!(ChangeItem::from_item(old).unwrap().into_domain().unwrap().change.listing.before, None);
}
