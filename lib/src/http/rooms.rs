//! The rooms route group: a property's rooms, read by anyone, changed by
//! the property's owner only.

use super::AppState;
use super::error::{ApiError, ApiResult, FieldError, Problem};
use super::extract::{Caller, JsonBody, PathParams, nullable, present};
use super::openapi::{BodyFailures, CallerFailures, NotFound, OwnerFailures, ServerFailures};
use crate::domain::{
    Area, Features, Floor, PropertyId, Room, RoomChanges, RoomDescription, RoomId, RoomKind, RoomName, Timestamp,
};
use crate::store::{Store, StoreError};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn router<S: Store>(state: AppState<S>) -> Router {
    Router::new()
        .route("/properties/{id}/rooms", get(list_rooms::<S>).post(add_room::<S>))
        .route("/properties/{id}/rooms/{room_id}", get(show_room::<S>).patch(update_room::<S>).delete(delete_room::<S>))
        .with_state(state)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoomView {
    #[schema(value_type = uuid::Uuid)]
    pub id: RoomId,
    #[schema(value_type = uuid::Uuid)]
    pub property_id: PropertyId,
    pub name: String,
    pub kind: RoomKind,
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 10000)]
    pub area_m2: serde_json::Value,
    #[schema(minimum = -5, maximum = 200)]
    pub floor: Option<i16>,
    pub description: Option<String>,
    pub features: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl From<Room> for RoomView {
    fn from(room: Room) -> Self {
        Self {
            id: room.id,
            property_id: room.property_id,
            name: room.name.as_str().into(),
            kind: room.kind,
            area_m2: room.area.to_json(),
            floor: room.floor.map(Floor::level),
            description: room.description.map(|text| text.as_str().into()),
            features: room.features.as_slice().to_vec(),
            created_at: room.created_at,
            updated_at: room.updated_at,
        }
    }
}

/// A room as a client describes it, alone or within a new property.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Office", "kind": "office", "area_m2": 9.5, "floor": 1, "features": ["fibre"]}))]
pub struct NewRoom {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    #[schema(value_type = RoomKind)]
    kind: String,
    /// Square metres: more than 0, at most 10000, at most two decimals.
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 10000, multiple_of = 0.01)]
    area_m2: serde_json::Number,
    #[serde(default)]
    #[schema(minimum = -5, maximum = 200)]
    floor: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// Up to 20 distinct tags, such as "fireplace".
    #[serde(default)]
    #[schema(max_items = 20)]
    features: Vec<String>,
}

impl NewRoom {
    /// Validates every field, naming each error `<prefix><field>`.
    pub fn into_room(self, property_id: PropertyId, now: Timestamp, prefix: &str) -> Result<Room, Vec<FieldError>> {
        let at = |field: &str| {
            let field = format!("{prefix}{field}");
            move |invalid: crate::domain::Invalid| FieldError::new(field, invalid.0)
        };
        let fields = (
            RoomName::parse(&self.name).map_err(at("name")),
            RoomKind::parse(&self.kind).map_err(at("kind")),
            Area::parse_room_area(&self.area_m2).map_err(at("area_m2")),
            self.floor.map(Floor::parse).transpose().map_err(at("floor")),
            self.description.as_deref().map(RoomDescription::parse).transpose().map_err(at("description")),
            Features::parse(&self.features).map_err(at("features")),
        );
        match fields {
            (Ok(name), Ok(kind), Ok(area), Ok(floor), Ok(description), Ok(features)) => Ok(Room {
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
            }),
            (a, b, c, d, e, f) => {
                Err([a.err(), b.err(), c.err(), d.err(), e.err(), f.err()].into_iter().flatten().collect())
            }
        }
    }
}

/// The property id of the path; a malformed one cannot exist: 404.
pub fn property_id(params: &PathParams) -> ApiResult<PropertyId> {
    params.id("id", PropertyId::parse, "property")
}

fn room_ids(params: &PathParams) -> ApiResult<(PropertyId, RoomId)> {
    Ok((property_id(params)?, params.id("room_id", RoomId::parse, "room")?))
}

pub(super) fn no_property() -> ApiError {
    ApiError::NotFound("No property exists with this id.".into())
}

fn no_room() -> ApiError {
    ApiError::NotFound("No room with this id exists in this property.".into())
}

/// Reads a store refusal of a room write: a missing room and a missing
/// property are told apart so the client knows which id is wrong.
async fn room_write_error<S: Store>(store: &S, property: PropertyId, error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => match store.get_property(property).await {
            Ok(None) => no_property(),
            _ => no_room(),
        },
        other => other.into(),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoomList {
    /// Oldest first.
    items: Vec<RoomView>,
}

#[utoipa::path(
    get, path = "/properties/{id}/rooms", tag = "rooms", operation_id = "list_rooms",
    params(("id" = uuid::Uuid, Path, description = "The property's id")),
    responses((status = 200, description = "The property's rooms", body = RoomList), NotFound, ServerFailures)
)]
pub(crate) async fn list_rooms<S: Store>(
    State(state): State<AppState<S>>,
    params: PathParams,
) -> ApiResult<Json<RoomList>> {
    let property = property_id(&params)?;
    let (_, rooms) = state.store.get_property(property).await?.ok_or_else(no_property)?;
    Ok(Json(RoomList { items: rooms.into_iter().map(RoomView::from).collect() }))
}

#[utoipa::path(
    get, path = "/properties/{id}/rooms/{room_id}", tag = "rooms", operation_id = "show_room",
    params(("id" = uuid::Uuid, Path, description = "The property's id"), ("room_id" = uuid::Uuid, Path, description = "The room's id")),
    responses((status = 200, description = "The room", body = RoomView), NotFound, ServerFailures)
)]
pub(crate) async fn show_room<S: Store>(
    State(state): State<AppState<S>>,
    params: PathParams,
) -> ApiResult<Json<RoomView>> {
    let (property, room) = room_ids(&params)?;
    let room = state.store.get_room(property, room).await?.ok_or_else(no_room)?;
    Ok(Json(room.into()))
}

#[utoipa::path(
    post, path = "/properties/{id}/rooms", tag = "rooms", operation_id = "add_room", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The property's id")),
    request_body = NewRoom,
    responses(
        (status = 201, description = "The new room", body = RoomView,
            headers(("Location" = String, description = "/properties/{id}/rooms/{room_id}"))),
        (status = 409, description = "The property already has 50 rooms", body = Problem,
            content_type = "application/problem+json"),
        BodyFailures, CallerFailures, OwnerFailures, NotFound, ServerFailures,
    )
)]
pub(crate) async fn add_room<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    params: PathParams,
    JsonBody(body): JsonBody<NewRoom>,
) -> ApiResult<Response> {
    let property = property_id(&params)?;
    let now = Timestamp::now();
    let room = body.into_room(property, now, "").map_err(ApiError::Validation)?;
    if let Err(error) = state.store.add_room(caller, &room, now).await {
        return Err(room_write_error(&state.store, property, error).await);
    }
    let location = format!("/properties/{property}/rooms/{}", room.id);
    let location = HeaderValue::from_str(&location).expect("ids are valid header text");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(RoomView::from(room))).into_response())
}

/// The fields to change; an absent field is left as it is, `null` clears
/// `floor` or `description`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"area_m2": 10.25, "floor": null}))]
pub(crate) struct RoomPatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(min_length = 1, max_length = 100, nullable = false)]
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<RoomKind>, nullable = false)]
    kind: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>, exclusive_minimum = 0, maximum = 10000, multiple_of = 0.01, nullable = false)]
    area_m2: Option<serde_json::Number>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = -5, maximum = 200)]
    floor: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(max_items = 20, nullable = false)]
    features: Option<Vec<String>>,
}

impl RoomPatch {
    fn into_changes(self) -> ApiResult<RoomChanges> {
        let at = |field: &'static str| move |invalid: crate::domain::Invalid| FieldError::new(field, invalid.0);
        let fields = (
            self.name.map(|name| RoomName::parse(&name)).transpose().map_err(at("name")),
            self.kind.map(|kind| RoomKind::parse(&kind)).transpose().map_err(at("kind")),
            self.area_m2.map(|area| Area::parse_room_area(&area)).transpose().map_err(at("area_m2")),
            self.floor.map(|floor| floor.map(Floor::parse).transpose()).transpose().map_err(at("floor")),
            self.description
                .map(|text| text.as_deref().map(RoomDescription::parse).transpose())
                .transpose()
                .map_err(at("description")),
            self.features.map(|tags| Features::parse(&tags)).transpose().map_err(at("features")),
        );
        match fields {
            (Ok(name), Ok(kind), Ok(area), Ok(floor), Ok(description), Ok(features)) => {
                Ok(RoomChanges { name, kind, area, floor, description, features })
            }
            (a, b, c, d, e, f) => Err(ApiError::Validation(
                [a.err(), b.err(), c.err(), d.err(), e.err(), f.err()].into_iter().flatten().collect(),
            )),
        }
    }
}

/// Answers 204: the write is one transaction that returns nothing, and
/// `GET` on the room reads the result.
#[utoipa::path(
    patch, path = "/properties/{id}/rooms/{room_id}", tag = "rooms", operation_id = "update_room",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The property's id"), ("room_id" = uuid::Uuid, Path, description = "The room's id")),
    request_body = RoomPatch,
    responses((status = 204, description = "Changed; read the room with GET"),
        BodyFailures, CallerFailures, OwnerFailures, NotFound, ServerFailures)
)]
pub(crate) async fn update_room<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    params: PathParams,
    JsonBody(body): JsonBody<RoomPatch>,
) -> ApiResult<StatusCode> {
    let (property, room) = room_ids(&params)?;
    let changes = body.into_changes()?;
    match state.store.update_room(property, room, caller, &changes, Timestamp::now()).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(error) => Err(room_write_error(&state.store, property, error).await),
    }
}

#[utoipa::path(
    delete, path = "/properties/{id}/rooms/{room_id}", tag = "rooms", operation_id = "delete_room",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The property's id"), ("room_id" = uuid::Uuid, Path, description = "The room's id")),
    responses((status = 204, description = "The room is gone"), CallerFailures, OwnerFailures, NotFound, ServerFailures)
)]
pub(crate) async fn delete_room<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    params: PathParams,
) -> ApiResult<StatusCode> {
    let (property, room) = room_ids(&params)?;
    match state.store.delete_room(property, room, caller, Timestamp::now()).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(error) => Err(room_write_error(&state.store, property, error).await),
    }
}
