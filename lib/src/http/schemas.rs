//! How each domain value appears in the contract, built from the same
//! constants its `parse` enforces, so the documented limits cannot drift
//! from the code. Request and response members name these types with
//! `#[schema(inline, value_type = ...)]`.

use crate::domain::{
    Area, BirthDate, City, Description, Email, Features, Floor, MAX_ROOMS, Password, PersonName, PropertyName, RoomName,
};
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
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
}
