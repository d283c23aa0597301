//! How each domain value appears in the contract, built from the same
//! constants its `parse` enforces, so the documented limits cannot drift
//! from the code. Request and response members name these types with
//! `#[schema(inline, value_type = ...)]`.

use crate::domain::{
    Area, BirthDate, City, Currency, Description, Email, Features, Floor, Location, MAX_ROOMS, Password, PersonName,
    Price, PriceAmount, PropertyName, RoomName,
};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{RefOr, schema::SchemaType};
use utoipa::{PartialSchema, ToSchema};

/// A string of 1 to `max` characters once trimmed, no control characters.
fn text(min: usize, max: usize, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .min_length(Some(min))
        .max_length(Some(max))
        .description(Some(description))
}

fn done(builder: ObjectBuilder) -> RefOr<Schema> {
    RefOr::T(Schema::Object(builder.build()))
}

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        let email = text(3, Email::MAX_LENGTH, "An email address; unique regardless of letter case.")
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)));
        done(email)
    }
}

impl PartialSchema for Password {
    fn schema() -> RefOr<Schema> {
        let password = text(Password::MIN_LENGTH, Password::MAX_LENGTH, "Counted in characters.")
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Password)));
        done(password)
    }
}

impl PartialSchema for PersonName {
    fn schema() -> RefOr<Schema> {
        done(text(1, PersonName::MAX_LENGTH, "Trimmed; no control characters."))
    }
}

impl PartialSchema for BirthDate {
    fn schema() -> RefOr<Schema> {
        let date = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .description(Some("A date in the past, not before 1900-01-01."));
        done(date)
    }
}

impl PartialSchema for PropertyName {
    fn schema() -> RefOr<Schema> {
        done(text(1, PropertyName::MAX_LENGTH, "Trimmed; no control characters."))
    }
}

impl PartialSchema for City {
    fn schema() -> RefOr<Schema> {
        let description = "As its publisher writes it; browsing ignores letter case, accents, spaces, \
                           hyphens and apostrophes.";
        done(text(1, City::MAX_LENGTH, description))
    }
}

impl<const MAX: usize> PartialSchema for Description<MAX> {
    fn schema() -> RefOr<Schema> {
        let description = "Free text; line breaks and tabs are the only control characters allowed.";
        done(text(0, Description::<MAX>::MAX_LENGTH, description))
    }
}

impl PartialSchema for RoomName {
    fn schema() -> RefOr<Schema> {
        done(text(1, RoomName::MAX_LENGTH, "Trimmed; no control characters."))
    }
}

impl PartialSchema for Floor {
    fn schema() -> RefOr<Schema> {
        let floor = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Integer))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(Floor::LOWEST))
            .maximum(Some(Floor::HIGHEST))
            .description(Some("The storey: 0 is the ground floor, negative ones are below it."));
        done(floor)
    }
}

impl PartialSchema for Features {
    fn schema() -> RefOr<Schema> {
        let tag = text(1, Features::MAX_TAG_LENGTH, "A tag such as \"fireplace\".");
        let features = ArrayBuilder::new()
            .items(tag)
            .max_items(Some(Features::MAX))
            .unique_items(true)
            .description(Some("Distinct tags, regardless of letter case."));
        RefOr::T(Schema::Array(features.build()))
    }
}

/// A room's area in square metres, exact to the hundredth.
pub struct RoomArea;

impl PartialSchema for RoomArea {
    fn schema() -> RefOr<Schema> {
        let max = Area::MAX_ROOM.hundredths() as f64 / 100.0;
        // Not `multipleOf: 0.01`: binary floating point makes standard
        // validators refuse valid values such as 0.07 with it.
        let area = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Number))
            .exclusive_minimum(Some(0.0))
            .maximum(Some(max))
            .description(Some("Square metres, with at most two decimals."));
        done(area)
    }
}

/// The rooms a property is published with.
pub struct NewRooms;

impl PartialSchema for NewRooms {
    fn schema() -> RefOr<Schema> {
        let rooms = ArrayBuilder::new()
            .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("NewRoom")))
            .max_items(Some(MAX_ROOMS))
            .description(Some("The property's first rooms; more can be added later."));
        RefOr::T(Schema::Array(rooms.build()))
    }
}

impl PartialSchema for PriceAmount {
    fn schema() -> RefOr<Schema> {
        // Not `multipleOf: 0.01`, for the reason given at `RoomArea`.
        let amount = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Number))
            .minimum(Some(0.0))
            .exclusive_maximum(Some(PriceAmount::LIMIT as f64))
            .description(Some("In the currency's major unit, with at most two decimals."));
        done(amount)
    }
}

impl PartialSchema for Price {
    fn schema() -> RefOr<Schema> {
        let [amount, currency] = Price::MEMBERS;
        let codes = Currency::ALL.iter().map(|currency| currency.code());
        let code = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(codes))
            .description(Some("An ISO 4217 code; only currencies with two minor units."));
        let price = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .property(amount, PriceAmount::schema())
            .property(currency, code)
            .required(amount)
            .required(currency)
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
            .description(Some("The sale price, or the rent per month."));
        done(price)
    }
}

impl PartialSchema for Location {
    fn schema() -> RefOr<Schema> {
        let degrees = |min: f64, max: f64, description: &str| {
            ObjectBuilder::new()
                .schema_type(SchemaType::Type(Type::Number))
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
                .minimum(Some(min))
                .maximum(Some(max))
                .description(Some(description))
        };
        let [lat, lon] = Location::MEMBERS;
        let location = ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .property(lat, degrees(Location::LAT_MIN, Location::LAT_MAX, "Latitude in decimal degrees."))
            .property(lon, degrees(Location::LON_MIN, Location::LON_MAX, "Longitude in decimal degrees."))
            .required(lat)
            .required(lon)
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
            .description(Some("WGS84 coordinates, as GPS and web maps give them."));
        done(location)
    }
}

// Members name these types inline; ToSchema is what utoipa asks of a
// `value_type`, and its defaults (no component of their own) are right.
impl ToSchema for Email {}
impl ToSchema for Password {}
impl ToSchema for PersonName {}
impl ToSchema for BirthDate {}
impl ToSchema for PropertyName {}
impl ToSchema for City {}
impl<const MAX: usize> ToSchema for Description<MAX> {}
impl ToSchema for RoomName {}
impl ToSchema for Floor {}
impl ToSchema for Features {}
impl ToSchema for RoomArea {}
impl ToSchema for NewRooms {}
impl ToSchema for PriceAmount {}
impl ToSchema for Price {}
impl ToSchema for Location {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PropertyDescription, RoomDescription};
    use serde_json::Value;

    fn member(document: &Value, schema: &str, name: &str) -> Value {
        let member = &document["components"]["schemas"][schema]["properties"][name];
        assert!(member.is_object(), "{schema}.{name} is not in the contract");
        member.clone()
    }

    /// The longest text the contract allows is accepted, one character
    /// more is refused, and the shortest is the domain's shortest.
    fn holds<T>(member: &Value, parse: impl Fn(&str) -> Result<T, crate::domain::Invalid>) {
        let (min, max) =
            (member["minLength"].as_u64().unwrap() as usize, member["maxLength"].as_u64().unwrap() as usize);
        assert!(parse(&"a".repeat(max)).is_ok(), "{member}: the maximum is refused");
        assert!(parse(&"a".repeat(max + 1)).is_err(), "{member}: more than the maximum is accepted");
        assert!(parse(&"a".repeat(min)).is_ok() || min == 0, "{member}: the minimum is refused");
        if min > 0 {
            assert!(parse(&"a".repeat(min - 1)).is_err(), "{member}: less than the minimum is accepted");
        }
    }

    #[test]
    fn the_documented_limits_are_the_enforced_ones() {
        let document = serde_json::to_value(super::super::openapi::document()).unwrap();
        holds(&member(&document, "Registration", "first_name"), PersonName::parse);
        holds(&member(&document, "Registration", "password"), |raw| Password::parse(raw.into()));
        holds(&member(&document, "NewProperty", "name"), PropertyName::parse);
        holds(&member(&document, "NewProperty", "city"), City::parse);
        holds(&member(&document, "NewProperty", "description"), PropertyDescription::parse);
        holds(&member(&document, "NewRoom", "name"), RoomName::parse);
        holds(&member(&document, "NewRoom", "description")["oneOf"][1], RoomDescription::parse);

        let email = member(&document, "Registration", "email");
        let longest = format!("{}@example.com", "a".repeat(64)).len();
        assert!(email["maxLength"].as_u64().unwrap() as usize >= longest);
        assert!(Email::parse(&"a".repeat(Email::MAX_LENGTH + 1)).is_err());

        let floor = &member(&document, "NewRoom", "floor")["oneOf"][1];
        let (lowest, highest) = (floor["minimum"].as_i64().unwrap(), floor["maximum"].as_i64().unwrap());
        assert!(Floor::parse(lowest).is_ok() && Floor::parse(highest).is_ok());
        assert!(Floor::parse(lowest - 1).is_err() && Floor::parse(highest + 1).is_err());

        let features = member(&document, "NewRoom", "features");
        let tags = |count: usize, length: usize| {
            Features::parse(&(0..count).map(|i| format!("{i:0>length$}")).collect::<Vec<_>>())
        };
        let (most, longest) = (
            features["maxItems"].as_u64().unwrap() as usize,
            features["items"]["maxLength"].as_u64().unwrap() as usize,
        );
        assert!(tags(most, longest).is_ok());
        assert!(tags(most + 1, longest).is_err() && tags(1, longest + 1).is_err());

        let area = member(&document, "NewRoom", "area_m2");
        let largest = serde_json::Number::from_f64(area["maximum"].as_f64().unwrap()).unwrap();
        assert!(Area::parse_room_area(&largest).is_ok());
        assert!(
            Area::parse_room_area(&serde_json::Number::from_f64(area["maximum"].as_f64().unwrap() + 0.01).unwrap())
                .is_err()
        );
        assert_eq!(area["exclusiveMinimum"], 0);

        assert_eq!(member(&document, "NewProperty", "rooms")["maxItems"], MAX_ROOMS);

        for path in ["/properties", "/users/me/properties"] {
            let parameters = document["paths"][path]["get"]["parameters"].as_array().unwrap();
            let limit = parameters.iter().find(|parameter| parameter["name"] == "limit").unwrap();
            assert_eq!(limit["schema"]["maximum"], crate::http::request::paging::MAX_LIMIT, "{path}");
        }
        let parameters = document["paths"]["/properties"]["get"]["parameters"].as_array().unwrap();
        let city = parameters.iter().find(|parameter| parameter["name"] == "city").unwrap();
        holds(&city["schema"], City::parse);
    }

    #[test]
    fn the_listing_schemas_hold_the_enforced_limits() {
        let number = |value: f64| serde_json::Number::from_f64(value).unwrap();
        let amount = serde_json::to_value(PriceAmount::schema()).unwrap();
        let (lowest, limit) = (amount["minimum"].as_f64().unwrap(), amount["exclusiveMaximum"].as_f64().unwrap());
        assert!(PriceAmount::parse(&number(lowest)).is_ok() && PriceAmount::parse(&number(lowest - 0.01)).is_err());
        assert!(PriceAmount::parse(&number(limit - 0.01)).is_ok() && PriceAmount::parse(&number(limit)).is_err());

        let price = serde_json::to_value(Price::schema()).unwrap();
        assert_eq!(price["properties"]["amount"], amount);
        assert_eq!(price["required"], serde_json::json!(Price::MEMBERS));
        assert_eq!(price["additionalProperties"], false);
        let codes = price["properties"]["currency"]["enum"].as_array().unwrap();
        let listed: Vec<Currency> = codes.iter().map(|code| Currency::parse(code.as_str().unwrap()).unwrap()).collect();
        assert_eq!(listed, Currency::ALL);
        let example = serde_json::json!({ "amount": limit - 0.01, "currency": codes[0] });
        assert!(Price::parse(&example).is_ok());

        let location = serde_json::to_value(Location::schema()).unwrap();
        assert_eq!(location["required"], serde_json::json!(Location::MEMBERS));
        assert_eq!(location["additionalProperties"], false);
        let bounds = |name: &str| {
            let member = &location["properties"][name];
            (member["minimum"].as_f64().unwrap(), member["maximum"].as_f64().unwrap())
        };
        let ((lat_min, lat_max), (lon_min, lon_max)) = (bounds("lat"), bounds("lon"));
        assert!(Location::new(lat_min, lon_min).is_ok() && Location::new(lat_max, lon_max).is_ok());
        for (lat, lon) in [(lat_min - 1e-9, 0.0), (lat_max + 1e-9, 0.0), (0.0, lon_min - 1e-9), (0.0, lon_max + 1e-9)] {
            assert!(Location::new(lat, lon).is_err(), "({lat}, {lon}) was accepted");
        }
    }
}
