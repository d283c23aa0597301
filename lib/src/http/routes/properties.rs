//! The properties route group: publish a listing, show it, and the
//! owner-only changes guarded by `If-Match`; browsing (`listings.rs`) and
//! photos (`photos.rs`) are part of it. Drafts and withdrawn listings are
//! their owner's alone: anyone else gets a 404, as if they did not exist.

use super::listings::PropertyView;
use super::rooms::NewRoom;
use super::{Group, routes};
use crate::blobs::BlobStore;
use crate::domain::{
    City, Invalid, ListingStatus, Location, NewRooms, Price, Property, PropertyChanges, PropertyDescription,
    PropertyDetails, PropertyName, PropertyType, Timestamp, Transaction,
};
use crate::http::error::ApiResult;
use crate::http::request::extract::{Caller, JsonBody, MaybeCaller};
use crate::http::request::fields::{Fields, Member};
use crate::http::request::idempotency::{Created, Creation, IdempotencyKeyHeader};
use crate::http::request::path::{PathParams, PropertyPath};
use crate::http::request::preconditions::{IfMatch, IfMatchHeader, IfNoneMatch, IfNoneMatchHeader, etag};
use crate::http::responses::{
    BodyFailures, CallerFailures, NotFound, OwnerFailures, Preconditions, PublicCallerFailures, ServerFailures, Stale,
    StatusConflict,
};
use crate::http::{AppState, Json, MediaLinks, PropertiesState};
use crate::store::{Edit, Store};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The group's routes, each registered with its contract, browsing and
/// photos included.
pub fn routes<S: Store, B: BlobStore>() -> Group<PropertiesState<S, B>> {
    Group::new()
        .routes(routes!(create_property))
        .routes(routes!(show_property, update_property, delete_property))
        .merge(super::listings::routes())
        .merge(super::photos::routes())
        .merge(super::changes::routes())
        .merge(super::favourites::routes())
        .merge(super::saved_searches::results_routes())
}

pub fn router<S: Store, B: BlobStore>(state: PropertiesState<S, B>) -> Router {
    routes().with_state(state)
}

/// A property to publish; the caller becomes its owner.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "name": "Canal-side loft",
    "description": "Exposed beams, four-metre windows.",
    "type": "loft",
    "city": "Saint-Étienne",
    "transaction": "sale",
    "price": {"amount": 349000, "currency": "EUR"},
    "location": {"lat": 45.4397, "lon": 4.3872},
    "rooms": [{"name": "Living room", "kind": "living_room", "area_m2": 32.75, "floor": 2, "features": ["south-facing"]}]
}))]
pub(crate) struct NewProperty {
    #[serde(default)]
    #[schema(inline, value_type = PropertyName, required = true)]
    name: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = PropertyDescription)]
    description: Member<String>,
    #[serde(rename = "type", default)]
    #[schema(rename = "type", value_type = PropertyType, required = true)]
    property_type: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = City, required = true)]
    city: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = crate::http::schemas::NewRooms)]
    rooms: Member<Vec<serde_json::Value>>,
    /// Default `sale`.
    #[serde(default)]
    #[schema(value_type = Transaction)]
    transaction: Member<String>,
    /// `active` (default) or `draft`.
    #[serde(default)]
    #[schema(value_type = ListingStatus)]
    status: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = Price)]
    price: Member<serde_json::Value>,
    #[serde(default)]
    #[schema(inline, value_type = Location)]
    location: Member<serde_json::Value>,
}

/// The status a new listing starts in: `active`, or a `draft` to publish later.
fn opening_status(raw: String) -> Result<ListingStatus, Invalid> {
    match ListingStatus::parse(&raw)? {
        status @ (ListingStatus::Active | ListingStatus::Draft) => Ok(status),
        _ => Err(Invalid::new("must be active or draft: a new listing starts as one of them")),
    }
}

impl NewProperty {
    fn parse(self) -> ApiResult<(PropertyDetails, NewRooms)> {
        let mut fields = Fields::new();
        let name = fields.required("name", self.name, |raw| PropertyName::parse(&raw));
        let description = fields.optional("description", self.description, |raw| PropertyDescription::parse(&raw));
        let property_type = fields.required("type", self.property_type, |raw| PropertyType::parse(&raw));
        let city = fields.required("city", self.city, |raw| City::parse(&raw));
        let rooms = fields.optional("rooms", self.rooms, Ok).flatten().unwrap_or_default();
        let rooms = fields.parse_items("rooms", rooms, NewRoom::parse, NewRooms::parse);
        let transaction = fields.optional("transaction", self.transaction, |raw| Transaction::parse(&raw));
        let status = fields.optional("status", self.status, opening_status);
        let price = fields.optional("price", self.price, |raw| Price::parse(&raw));
        let location = fields.optional("location", self.location, |raw| Location::parse(&raw));
        fields.finish(|| {
            let details = PropertyDetails {
                name: name?,
                description: description?.unwrap_or_else(PropertyDescription::empty),
                property_type: property_type?,
                city: city?,
                transaction: transaction?.unwrap_or_default(),
                status: status?.unwrap_or_default(),
                price: price?,
                location: location?,
            };
            Some((details, rooms?))
        })
    }
}

#[utoipa::path(
    post, path = "/properties", tag = "properties", operation_id = "create_property", summary = "Publish a property",
    description = "Publishes a property with its first rooms; the caller becomes its owner.", security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = NewProperty,
    responses(
        (status = 201, description = "The published property with its rooms", body = PropertyView,
            headers(("Location" = String, description = "/properties/{id}"), ("ETag" = String, description = "The version"))),
        BodyFailures, CallerFailures, ServerFailures,
    )
)]
pub(crate) async fn create_property<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    Caller(caller): Caller,
    Creation { body, key }: Creation<NewProperty>,
) -> ApiResult<Response> {
    let (details, rooms) = body.parse()?;
    let (property, rooms) = Property::publish(caller, details, rooms, Timestamp::now());
    let location = format!("/properties/{}", property.id);
    let view = PropertyView::with_rooms(property.clone(), rooms.clone(), Some(caller), &media);
    let created = Created::new(location, Some(etag(property.version())), &view);
    let answer = created.to_keep(key.as_ref(), &crate::store::KeptAnswer::caller_scope(caller));
    let stored = state.store.create_property(&property, &rooms, answer.as_ref()).await;
    created.answer(stored, key.as_ref())
}

#[utoipa::path(
    get, path = "/properties/{id}", tag = "properties", operation_id = "show_property", summary = "A property",
    description = "The property with its rooms, oldest room first, and its version as the ETag. A draft or withdrawn listing is shown to its owner only (send the access token); anyone else gets 404.",
    security((), ("bearer" = [])),
    params(PropertyPath, IfNoneMatchHeader),
    responses(
        (status = 200, description = "The property with its rooms", body = PropertyView,
            headers(("ETag" = String, description = "The version, for If-Match and If-None-Match"))),
        (status = 304, description = "If-None-Match names the current version: the client's copy is current",
            headers(("ETag" = String, description = "The version"))),
        NotFound, PublicCallerFailures, ServerFailures,
    )
)]
pub(crate) async fn show_property<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    MaybeCaller(caller): MaybeCaller,
    PathParams(PropertyPath { id }): PathParams<PropertyPath>,
    if_none_match: IfNoneMatch,
) -> ApiResult<Response> {
    let (property, rooms) = super::visible_property(&state, id, caller).await?;
    let tag = etag(property.version());
    if if_none_match.names(property.version()) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    Ok(([(header::ETAG, tag)], Json(PropertyView::with_rooms(property, rooms, caller, &media))).into_response())
}

/// The fields to change; an absent field is left as it is.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "Renovated loft", "status": "under_offer", "price": {"amount": 339000, "currency": "EUR"}}))]
pub(crate) struct PropertyPatch {
    #[serde(default)]
    #[schema(inline, value_type = PropertyName)]
    name: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = PropertyDescription)]
    description: Member<String>,
    #[serde(rename = "type", default)]
    #[schema(rename = "type", value_type = PropertyType)]
    property_type: Member<String>,
    #[serde(default)]
    #[schema(inline, value_type = City)]
    city: Member<String>,
    /// The next status; see docs/api.md#listing-status for the changes allowed.
    #[serde(default)]
    #[schema(value_type = ListingStatus)]
    status: Member<String>,
    /// `null` removes the price.
    #[serde(default)]
    #[schema(inline, value_type = Option<Price>)]
    price: Member<serde_json::Value>,
    /// `null` removes the location.
    #[serde(default)]
    #[schema(inline, value_type = Option<Location>)]
    location: Member<serde_json::Value>,
}

impl PropertyPatch {
    fn parse(self) -> ApiResult<PropertyChanges> {
        let mut fields = Fields::new();
        let name = fields.optional("name", self.name, |raw| PropertyName::parse(&raw));
        let description = fields.optional("description", self.description, |raw| PropertyDescription::parse(&raw));
        let property_type = fields.optional("type", self.property_type, |raw| PropertyType::parse(&raw));
        let city = fields.optional("city", self.city, |raw| City::parse(&raw));
        let status = fields.optional("status", self.status, |raw| ListingStatus::parse(&raw));
        let price = fields.clearable("price", self.price, |raw| Price::parse(&raw));
        let location = fields.clearable("location", self.location, |raw| Location::parse(&raw));
        fields.finish(|| {
            Some(PropertyChanges {
                name: name?,
                description: description?,
                property_type: property_type?,
                city: city?,
                status: status?,
                price: price?,
                location: location?,
            })
        })
    }
}

#[utoipa::path(
    patch, path = "/properties/{id}", tag = "properties", operation_id = "update_property", summary = "Change a property",
    description = "Owner only. Changes the members present in the body; with If-Match, only if the property is still at that version. A status change not allowed from the current status is a 409 naming the statuses allowed; a new price, or its removal, is recorded in the price history. The transaction is fixed at publication. Answers the property as listings show it; read the rooms with GET.", security(("bearer" = [])),
    params(PropertyPath, IfMatchHeader),
    request_body = PropertyPatch,
    responses(
        (status = 200, description = "The property as listed (rooms unchanged: read them with GET)", body = PropertyView,
            headers(("ETag" = String, description = "The new version"))),
        BodyFailures, CallerFailures, OwnerFailures, NotFound, StatusConflict, Stale, ServerFailures,
    )
)]
pub(crate) async fn update_property<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    Caller(caller): Caller,
    PathParams(PropertyPath { id }): PathParams<PropertyPath>,
    IfMatch(expected): IfMatch,
    JsonBody(body): JsonBody<PropertyPatch>,
) -> ApiResult<Response> {
    let changes = body.parse()?;
    let property = state.store.update_property(id, &changes, Edit::by(caller).of_versions(expected)).await?;
    let tag = etag(property.version());
    Ok(([(header::ETAG, tag)], Json(PropertyView::summary(property, &media))).into_response())
}

#[utoipa::path(
    delete, path = "/properties/{id}", tag = "properties", operation_id = "delete_property", summary = "Delete a property",
    description = "Owner only. Deletes the property and its rooms.", security(("bearer" = [])),
    params(PropertyPath, IfMatchHeader),
    responses((status = 204, description = "The property and its rooms are gone"),
        CallerFailures, OwnerFailures, NotFound, Preconditions, ServerFailures)
)]
pub(crate) async fn delete_property<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    PathParams(PropertyPath { id }): PathParams<PropertyPath>,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    state.store.delete_property(id, Edit::by(caller).of_versions(expected)).await?;
    Ok(StatusCode::NO_CONTENT)
}
