//! The properties route group: publish, browse (everywhere, by city, by
//! type, or one's own), and owner-only changes guarded by `If-Match`.

use super::AppState;
use super::error::{ApiError, ApiResult, FieldError};
use super::extract::{Caller, JsonBody, PathParams, at, present};
use super::paging::{encode_cursor, page_request, public_listing, query_params};
use super::rooms::{NewRoom, RoomView, property_id};
use crate::domain::{
    City, MAX_ROOMS, Property, PropertyChanges, PropertyDescription, PropertyId, PropertyName, PropertyType, Room,
    Timestamp, UserId,
};
use crate::store::{Listing, Store, StoreError};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn router<S: Store>(state: AppState<S>) -> Router {
    Router::new()
        .route("/property-types", get(property_types))
        .route("/properties", get(list_properties::<S>).post(create_property::<S>))
        .route("/properties/{id}", get(show_property::<S>).patch(update_property::<S>).delete(delete_property::<S>))
        .route("/users/me/properties", get(list_my_properties::<S>))
        .with_state(state)
}

#[derive(Debug, Serialize)]
pub struct PropertyView {
    pub id: PropertyId,
    pub owner_id: UserId,
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    pub property_type: PropertyType,
    pub city: String,
    pub room_count: usize,
    pub total_area_m2: serde_json::Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
    /// Present on a single property, absent from listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rooms: Option<Vec<RoomView>>,
}

impl PropertyView {
    fn summary(property: Property) -> Self {
        Self {
            id: property.id,
            owner_id: property.owner_id,
            name: property.name.as_str().into(),
            description: property.description.as_str().into(),
            property_type: property.property_type,
            city: property.city.name().into(),
            room_count: property.room_count,
            total_area_m2: property.total_area.to_json(),
            created_at: property.created_at,
            updated_at: property.updated_at,
            version: property.version,
            rooms: None,
        }
    }

    fn with_rooms(property: Property, rooms: Vec<Room>) -> Self {
        Self { rooms: Some(rooms.into_iter().map(RoomView::from).collect()), ..Self::summary(property) }
    }
}

/// The version as an entity tag: it changes with every change to the
/// property or its rooms.
fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).expect("a number is valid header text")
}

/// The version `If-Match` requires, if any. `*` asks only that the property
/// exists, which every update requires anyway. A weak or foreign tag can
/// never match (If-Match compares strongly), so it yields a version that
/// never exists.
fn expected_version(headers: &HeaderMap) -> ApiResult<Option<u64>> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(None);
    }
    let quoted = text.strip_prefix("W/").unwrap_or(text);
    let tag = quoted.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).ok_or_else(|| {
        ApiError::BadRequest("If-Match must be * or an entity tag as sent in ETag, such as \"3\".".into())
    })?;
    let strong = !text.starts_with("W/");
    Ok(Some(tag.parse::<u64>().ok().filter(|_| strong).unwrap_or(0)))
}

#[derive(Serialize)]
struct TypeView {
    value: PropertyType,
    label: &'static str,
}

#[derive(Serialize)]
struct Items<T> {
    items: Vec<T>,
}

async fn property_types() -> Json<Items<TypeView>> {
    let items = PropertyType::ALL.into_iter().map(|kind| TypeView { value: kind, label: kind.label() }).collect();
    Json(Items { items })
}

#[derive(Serialize)]
pub struct PropertyPage {
    items: Vec<PropertyView>,
    next_cursor: Option<String>,
}

async fn page<S: Store>(
    state: &AppState<S>,
    listing: Listing,
    pairs: &[(String, String)],
) -> ApiResult<Json<PropertyPage>> {
    let request = page_request(pairs, &listing)?;
    let page = state.store.list_properties(&listing, request).await?;
    let next_cursor = page.next.map(|after| encode_cursor(&listing, after));
    Ok(Json(PropertyPage { items: page.items.into_iter().map(PropertyView::summary).collect(), next_cursor }))
}

async fn list_properties<S: Store>(
    State(state): State<AppState<S>>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<PropertyPage>> {
    let pairs = query_params(query.as_deref(), &["city", "type", "limit", "cursor"])?;
    let listing = public_listing(&pairs)?;
    page(&state, listing, &pairs).await
}

async fn list_my_properties<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<PropertyPage>> {
    let pairs = query_params(query.as_deref(), &["limit", "cursor"])?;
    page(&state, Listing::Owner(caller), &pairs).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewProperty {
    name: String,
    #[serde(default, deserialize_with = "present")]
    description: Option<String>,
    #[serde(rename = "type")]
    property_type: String,
    city: String,
    #[serde(default, deserialize_with = "present")]
    rooms: Option<Vec<NewRoom>>,
}

async fn create_property<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<NewProperty>,
) -> ApiResult<Response> {
    let id = PropertyId::generate();
    let now = Timestamp::now();
    let mut errors: Vec<FieldError> = Vec::new();
    let name = PropertyName::parse(&body.name).map_err(at("name"));
    let description =
        PropertyDescription::parse(body.description.as_deref().unwrap_or_default()).map_err(at("description"));
    let property_type = PropertyType::parse(&body.property_type).map_err(at("type"));
    let city = City::parse(&body.city).map_err(at("city"));
    let new_rooms = body.rooms.unwrap_or_default();
    if new_rooms.len() > MAX_ROOMS {
        errors.push(FieldError::new("rooms", format!("must hold at most {MAX_ROOMS} rooms")));
    }
    let mut rooms = Vec::with_capacity(new_rooms.len());
    for (index, room) in new_rooms.into_iter().enumerate() {
        match room.into_room(id, now, &format!("rooms[{index}].")) {
            Ok(room) => rooms.push(room),
            Err(room_errors) => errors.extend(room_errors),
        }
    }
    let (name, description, property_type, city) = match (name, description, property_type, city) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) if errors.is_empty() => (a, b, c, d),
        (a, b, c, d) => {
            let mut all: Vec<FieldError> = [a.err(), b.err(), c.err(), d.err()].into_iter().flatten().collect();
            all.extend(errors);
            return Err(ApiError::Validation(all));
        }
    };
    let property = Property {
        id,
        owner_id: caller,
        name,
        description,
        property_type,
        city,
        room_count: 0,
        total_area: Default::default(),
        created_at: now,
        updated_at: now,
        version: 1,
    }
    .with_rooms(&rooms);
    match state.store.create_property(&property, &rooms).await {
        Ok(()) => {}
        Err(StoreError::NotFound) => {
            return Err(ApiError::Unauthorized("The account of this access token no longer exists.".into()));
        }
        Err(other) => return Err(other.into()),
    }
    let location = HeaderValue::from_str(&format!("/properties/{id}")).expect("an id is valid header text");
    let headers = [(header::LOCATION, location), (header::ETAG, etag(property.version))];
    Ok((StatusCode::CREATED, headers, Json(PropertyView::with_rooms(property, rooms))).into_response())
}

fn no_property() -> ApiError {
    ApiError::NotFound("No property exists with this id.".into())
}

async fn show_property<S: Store>(State(state): State<AppState<S>>, params: PathParams) -> ApiResult<Response> {
    let id = property_id(&params)?;
    let (property, rooms) = state.store.get_property(id).await?.ok_or_else(no_property)?;
    let tag = etag(property.version);
    Ok(([(header::ETAG, tag)], Json(PropertyView::with_rooms(property, rooms))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PropertyPatch {
    #[serde(default, deserialize_with = "present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "present")]
    property_type: Option<String>,
    #[serde(default, deserialize_with = "present")]
    city: Option<String>,
}

/// Answers the property as listings show it (rooms are unchanged here and
/// read with `GET`), with its new `ETag`.
async fn update_property<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    params: PathParams,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PropertyPatch>,
) -> ApiResult<Response> {
    let id = property_id(&params)?;
    let expected = expected_version(&headers)?;
    let fields = (
        body.name.map(|name| PropertyName::parse(&name)).transpose().map_err(at("name")),
        body.description.map(|text| PropertyDescription::parse(&text)).transpose().map_err(at("description")),
        body.property_type.map(|kind| PropertyType::parse(&kind)).transpose().map_err(at("type")),
        body.city.map(|city| City::parse(&city)).transpose().map_err(at("city")),
    );
    let changes = match fields {
        (Ok(name), Ok(description), Ok(property_type), Ok(city)) => {
            PropertyChanges { name, description, property_type, city }
        }
        (a, b, c, d) => {
            return Err(ApiError::Validation([a.err(), b.err(), c.err(), d.err()].into_iter().flatten().collect()));
        }
    };
    let property = match state.store.update_property(id, caller, &changes, expected, Timestamp::now()).await {
        Ok(property) => property,
        Err(StoreError::NotFound) => return Err(no_property()),
        Err(StoreError::Stale) => {
            return Err(ApiError::PreconditionFailed(
                "The property changed since the ETag you sent: read it again, then retry with the new ETag.".into(),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    let tag = etag(property.version);
    Ok(([(header::ETAG, tag)], Json(PropertyView::summary(property))).into_response())
}

async fn delete_property<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    params: PathParams,
) -> ApiResult<StatusCode> {
    let id = property_id(&params)?;
    match state.store.delete_property(id, caller).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::NotFound) => Err(no_property()),
        Err(other) => Err(other.into()),
    }
}
