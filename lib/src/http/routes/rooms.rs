//! The rooms route group: a property's rooms, read by anyone, changed by
//! the property's owner only.

use super::visible_property;
use super::{Group, routes};
use crate::domain::{
    Area, Features, Floor, PropertyId, Room, RoomChanges, RoomDescription, RoomDraft, RoomId, RoomKind, RoomName,
    Timestamp,
};
use crate::http::AppState;
use crate::http::Json;
use crate::http::error::{ApiResult, Problem};
use crate::http::request::extract::{Caller, JsonBody, MaybeCaller};
use crate::http::request::fields::{Fields, Member};
use crate::http::request::idempotency::{Created, Creation, IdempotencyKeyHeader};
use crate::http::request::path::{PathParams, PropertyPath, RoomPath};
use crate::http::request::preconditions::{IfMatch, IfMatchHeader};
use crate::http::responses::{
    BodyFailures, CallerFailures, NotFound, OwnerFailures, Preconditions, PublicCallerFailures, ServerFailures, Stale,
};
use crate::http::schemas::RoomArea;
use crate::store::{Edit, Store, StoreError};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

/// The group's routes, each registered with its contract.
pub fn routes<S: Store>() -> Group<AppState<S>> {
    Group::new().routes(routes!(list_rooms, add_room)).routes(routes!(show_room, update_room, delete_room))
}

pub fn router<S: Store>(state: AppState<S>) -> Router {
    routes().with_state(state)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoomView {
    #[schema(value_type = uuid::Uuid)]
    pub id: RoomId,
    #[schema(value_type = uuid::Uuid)]
    pub property_id: PropertyId,
    pub name: String,
    pub kind: RoomKind,
    #[schema(inline, value_type = RoomArea)]
    pub area_m2: serde_json::Value,
    #[schema(inline, value_type = Option<Floor>, required = true)]
    pub floor: Option<i16>,
    #[schema(inline, value_type = Option<RoomDescription>, required = true)]
    pub description: Option<String>,
    #[schema(inline, value_type = Features)]
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
            name: room.name.into_string(),
            kind: room.kind,
            area_m2: room.area.to_json(),
            floor: room.floor.map(Floor::level),
            description: room.description.map(RoomDescription::into_string),
            features: room.features.into_vec(),
            created_at: room.created_at,
            updated_at: room.updated_at,
        }
    }
}

/// A room as a client describes it, alone or within a new property.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "Office", "kind": "office", "area_m2": 9.5, "floor": 1, "features": ["fibre"]}))]
pub struct NewRoom {
    #[serde(default)]
    #[schema(inline, value_type = RoomName, required = true)]
    name: Member<String>,
    #[serde(default)]
    #[schema(value_type = RoomKind, required = true)]
    kind: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = RoomArea, required = true)]
    area_m2: Member<serde_json::Number>,
    #[serde(default)]
    #[schema(inline, value_type = Option<Floor>)]
    floor: Member<serde_json::Number>,
    #[serde(default)]
    #[schema(inline, value_type = Option<RoomDescription>)]
    description: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = Features)]
    features: Member<Vec<String>>,
}

impl NewRoom {
    /// Parses every member, recording errors in `fields` (whose prefix
    /// names this room within its body).
    pub fn parse(self, fields: &mut Fields) -> Option<RoomDraft> {
        let name = fields.required("name", self.name, |raw| RoomName::parse(&raw));
        let kind = fields.required("kind", self.kind, |raw| RoomKind::parse(&raw));
        let area = fields.required("area_m2", self.area_m2, |raw| Area::parse_room_area(&raw));
        let floor = fields.clearable("floor", self.floor, |raw| Floor::parse_json(&raw));
        let description = fields.clearable("description", self.description, |raw| RoomDescription::parse(&raw));
        let features = fields.optional("features", self.features, |raw| Features::parse(&raw));
        Some(RoomDraft {
            name: name?,
            kind: kind?,
            area: area?,
            floor: floor?.flatten(),
            description: description?.flatten(),
            features: features?.unwrap_or_default(),
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoomList {
    /// Oldest first.
    items: Vec<RoomView>,
}

#[utoipa::path(
    get, path = "/properties/{id}/rooms", tag = "rooms", operation_id = "list_rooms", summary = "A property's rooms",
    description = "Oldest first. The rooms of a draft or withdrawn listing are shown to its owner only.",
    security((), ("bearer" = [])),
    params(PropertyPath),
    responses((status = 200, description = "The property's rooms", body = RoomList), NotFound, PublicCallerFailures,
        ServerFailures)
)]
pub(crate) async fn list_rooms<S: Store>(
    State(state): State<AppState<S>>,
    MaybeCaller(caller): MaybeCaller,
    PathParams(PropertyPath { id }): PathParams<PropertyPath>,
) -> ApiResult<Json<RoomList>> {
    let (_, rooms) = visible_property(&state, id, caller).await?;
    Ok(Json(RoomList { items: rooms.into_iter().map(RoomView::from).collect() }))
}

#[utoipa::path(
    get, path = "/properties/{id}/rooms/{room_id}", tag = "rooms", operation_id = "show_room", summary = "A room",
    description = "One room of a property; of a draft or withdrawn listing, shown to its owner only.",
    security((), ("bearer" = [])),
    params(RoomPath),
    responses((status = 200, description = "The room", body = RoomView), NotFound, PublicCallerFailures,
        ServerFailures)
)]
pub(crate) async fn show_room<S: Store>(
    State(state): State<AppState<S>>,
    MaybeCaller(caller): MaybeCaller,
    PathParams(RoomPath { id: property, room_id: room }): PathParams<RoomPath>,
) -> ApiResult<Json<RoomView>> {
    let (_, rooms) = visible_property(&state, property, caller).await?;
    let room = rooms.into_iter().find(|candidate| candidate.id == room).ok_or(StoreError::RoomNotFound)?;
    Ok(Json(room.into()))
}

#[utoipa::path(
    post, path = "/properties/{id}/rooms", tag = "rooms", operation_id = "add_room", summary = "Add a room",
    description = "Owner only. A property has at most 50 rooms.", security(("bearer" = [])),
    params(PropertyPath, IfMatchHeader, IdempotencyKeyHeader),
    request_body = NewRoom,
    responses(
        (status = 201, description = "The new room", body = RoomView,
            headers(("Location" = String, description = "/properties/{id}/rooms/{room_id}"))),
        (status = 409, description = "The property already has 50 rooms", body = Problem,
            content_type = "application/problem+json"),
        BodyFailures, CallerFailures, OwnerFailures, NotFound, Stale, ServerFailures,
    )
)]
pub(crate) async fn add_room<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    PathParams(PropertyPath { id: property }): PathParams<PropertyPath>,
    IfMatch(expected): IfMatch,
    Creation { body, key }: Creation<NewRoom>,
) -> ApiResult<Response> {
    let mut fields = Fields::new();
    let draft = body.parse(&mut fields);
    let draft = fields.finish(|| draft)?;
    let edit = Edit::by(caller).of_versions(expected);
    let room = Room::create(property, draft, edit.now);
    let location = format!("/properties/{property}/rooms/{}", room.id);
    let created = Created::new(location, None, &RoomView::from(room.clone()));
    let answer = created.to_keep(key.as_ref(), &crate::store::KeptAnswer::caller_scope(caller));
    let stored = state.store.add_room(&room, edit, answer.as_ref()).await;
    created.answer(stored, key.as_ref())
}

/// The fields to change; an absent field is left as it is, `null` clears
/// `floor` or `description`.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"area_m2": 10.25, "floor": null}))]
pub(crate) struct RoomPatch {
    #[serde(default)]
    #[schema(inline, value_type = RoomName)]
    name: Member<String>,
    #[serde(default)]
    #[schema(value_type = RoomKind)]
    kind: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = RoomArea)]
    area_m2: Member<serde_json::Number>,
    #[serde(default)]
    #[schema(inline, value_type = Option<Floor>)]
    floor: Member<serde_json::Number>,
    #[serde(default)]
    #[schema(inline, value_type = Option<RoomDescription>)]
    description: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = Features)]
    features: Member<Vec<String>>,
}

impl RoomPatch {
    fn parse(self) -> ApiResult<RoomChanges> {
        let mut fields = Fields::new();
        let name = fields.optional("name", self.name, |raw| RoomName::parse(&raw));
        let kind = fields.optional("kind", self.kind, |raw| RoomKind::parse(&raw));
        let area = fields.optional("area_m2", self.area_m2, |raw| Area::parse_room_area(&raw));
        let floor = fields.clearable("floor", self.floor, |raw| Floor::parse_json(&raw));
        let description = fields.clearable("description", self.description, |raw| RoomDescription::parse(&raw));
        let features = fields.optional("features", self.features, |raw| Features::parse(&raw));
        fields.finish(|| {
            Some(RoomChanges {
                name: name?,
                kind: kind?,
                area: area?,
                floor: floor?,
                description: description?,
                features: features?,
            })
        })
    }
}

#[utoipa::path(
    patch, path = "/properties/{id}/rooms/{room_id}", tag = "rooms", operation_id = "update_room", summary = "Change a room",
    description = "Owner only. Changes the members present in the body; null clears floor or description. Answers the room as stored.",
    security(("bearer" = [])),
    params(RoomPath, IfMatchHeader),
    request_body = RoomPatch,
    responses((status = 200, description = "The updated room", body = RoomView),
        BodyFailures, CallerFailures, OwnerFailures, NotFound, Stale, ServerFailures)
)]
pub(crate) async fn update_room<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    PathParams(RoomPath { id: property, room_id: room }): PathParams<RoomPath>,
    IfMatch(expected): IfMatch,
    JsonBody(body): JsonBody<RoomPatch>,
) -> ApiResult<Json<RoomView>> {
    let changes = body.parse()?;
    let room = state.store.update_room(property, room, &changes, Edit::by(caller).of_versions(expected)).await?;
    Ok(Json(room.into()))
}

#[utoipa::path(
    delete, path = "/properties/{id}/rooms/{room_id}", tag = "rooms", operation_id = "delete_room", summary = "Delete a room",
    description = "Owner only.",
    security(("bearer" = [])),
    params(RoomPath, IfMatchHeader),
    responses((status = 204, description = "The room is gone"), CallerFailures, OwnerFailures, NotFound, Preconditions, ServerFailures)
)]
pub(crate) async fn delete_room<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    PathParams(RoomPath { id: property, room_id: room }): PathParams<RoomPath>,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    state.store.delete_room(property, room, Edit::by(caller).of_versions(expected)).await?;
    Ok(StatusCode::NO_CONTENT)
}
