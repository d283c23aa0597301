//! The caller's favourites (docs/api.md#favourites): keep a listing, forget
//! it, and read them newest saved first, each with its summary as a search
//! shows it. A listing deleted or unpublished since stays in the list as
//! unavailable until its keeper removes it. Part of the properties route
//! group, which reads listings.

use super::listings::PropertyView;
use super::{Group, routes, visible_property};
use crate::blobs::BlobStore;
use crate::domain::{Favourite, Property, PropertyId, Timestamp, UserId};
use crate::http::error::ApiResult;
use crate::http::request::extract::Caller;
use crate::http::request::paging::{PageQuery, encode_cursor};
use crate::http::request::path::{PathIds, PathParams};
use crate::http::request::query::Query;
use crate::http::responses::{CallerFailures, NotFound, QueryFailures, ServerFailures};
use crate::http::{AppState, Json, MediaLinks, Private, PropertiesState};
use crate::store::{Store, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use std::collections::HashMap;

pub fn routes<S: Store, B: BlobStore>() -> Group<PropertiesState<S, B>> {
    Group::new().routes(routes!(list_favourites)).routes(routes!(save_favourite, remove_favourite))
}

/// `{property_id}` of a favourite's path.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FavouritePath {
    /// The listing's id
    #[param(value_type = uuid::Uuid)]
    pub property_id: PropertyId,
}

impl PathIds for FavouritePath {
    fn not_found(_: &str) -> StoreError {
        StoreError::PropertyNotFound
    }
}

/// A kept listing.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FavouriteView {
    #[schema(value_type = uuid::Uuid)]
    property_id: PropertyId,
    #[schema(value_type = String, format = DateTime)]
    saved_at: Timestamp,
    /// `false` once the listing was deleted, or is no longer public.
    available: bool,
    /// The listing as a search shows it; absent when unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    listing: Option<PropertyView>,
}

impl FavouriteView {
    fn new(favourite: &Favourite, listing: Option<Property>, caller: UserId, media: &MediaLinks) -> Self {
        let listing = listing.filter(|property| property.visible_to(Some(caller)));
        Self {
            property_id: favourite.property_id,
            saved_at: favourite.saved_at,
            available: listing.is_some(),
            listing: listing.map(|property| PropertyView::summary(property, media)),
        }
    }
}

#[utoipa::path(
    put, path = "/users/me/favourites/{property_id}", tag = "favourites", operation_id = "save_favourite",
    summary = "Keep a listing",
    description = "Adds the listing to the caller's favourites: 201 the first time, 200 when it is kept already (nothing changes). A listing only its owner sees is a 404 to anyone else. At most 500 favourites a user. A kept listing's price drops and status changes reach the caller's inbox (docs/api.md#alerts).",
    security(("bearer" = [])),
    params(FavouritePath),
    responses(
        (status = 201, description = "Kept", body = FavouriteView),
        (status = 200, description = "Kept already", body = FavouriteView),
        (status = 409, description = "The caller keeps 500 favourites already", body = crate::http::error::Problem,
            content_type = "application/problem+json"),
        NotFound, CallerFailures, ServerFailures,
    )
)]
pub(crate) async fn save_favourite<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    Caller(caller): Caller,
    PathParams(FavouritePath { property_id }): PathParams<FavouritePath>,
) -> ApiResult<(StatusCode, Private<Json<FavouriteView>>)> {
    let (property, _) = match visible_property(&state, property_id, Some(caller)).await {
        Ok(found) => found,
        Err(refused) if state.store.account_exists(caller).await? => return Err(refused),
        Err(_) => return Err(StoreError::AccountGone.into()),
    };
    let favourite = Favourite { owner: caller, property_id, saved_at: Timestamp::now() };
    let status = if state.store.save_favourite(&favourite).await? { StatusCode::CREATED } else { StatusCode::OK };
    // Sent again, the favourite as first kept: its time is the first one's.
    let kept = match status {
        StatusCode::CREATED => favourite,
        _ => state
            .store
            .favourites_of(caller)
            .await?
            .into_iter()
            .find(|kept| kept.property_id == property_id)
            .unwrap_or(favourite),
    };
    Ok((status, Private(Json(FavouriteView::new(&kept, Some(property), caller, &media)))))
}

#[utoipa::path(
    delete, path = "/users/me/favourites/{property_id}", tag = "favourites", operation_id = "remove_favourite",
    summary = "Forget a listing",
    description = "Removes the listing from the caller's favourites; 204 also when it was not there.",
    security(("bearer" = [])),
    params(FavouritePath),
    responses((status = 204, description = "Not a favourite (any more)"), NotFound, CallerFailures, ServerFailures)
)]
pub(crate) async fn remove_favourite<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    PathParams(FavouritePath { property_id }): PathParams<FavouritePath>,
) -> ApiResult<StatusCode> {
    if !state.store.remove_favourite(caller, property_id).await? && !state.store.account_exists(caller).await? {
        return Err(StoreError::AccountGone.into());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// One page of the caller's favourites.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FavouritePage {
    /// Newest saved first.
    items: Vec<FavouriteView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// A favourite's place in the list, newest saved first: its time, then its listing's id.
fn position(favourite: &Favourite) -> String {
    format!("{:020}#{}", favourite.saved_at.unix_millis(), favourite.property_id)
}

fn is_position(raw: &str) -> bool {
    raw.split_once('#').is_some_and(|(millis, id)| {
        millis.len() == 20 && millis.bytes().all(|byte| byte.is_ascii_digit()) && PropertyId::parse(id).is_some()
    })
}

#[utoipa::path(
    get, path = "/users/me/favourites", tag = "favourites", operation_id = "list_favourites",
    summary = "Your favourites",
    description = "The caller's favourites, newest saved first, one page at a time: each with the listing's summary as a search shows it, or `available: false` once it was deleted or is no longer public. Two reads a page, whatever its size: the favourites, then their listings in one batch (docs/data-model.md#alerts).",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of favourites", body = FavouritePage),
        QueryFailures, CallerFailures, ServerFailures)
)]
pub(crate) async fn list_favourites<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    Caller(caller): Caller,
    Query(page_query): Query<PageQuery>,
) -> ApiResult<Private<Json<FavouritePage>>> {
    let request = page_query.of_query("favourites", is_position)?;
    let mut kept = state.store.favourites_of(caller).await?;
    kept.sort_by_key(|favourite| std::cmp::Reverse(position(favourite)));
    if kept.is_empty() && !state.store.account_exists(caller).await? {
        return Err(StoreError::AccountGone.into());
    }
    let mut rest = kept
        .iter()
        .filter(|favourite| request.after.as_deref().is_none_or(|after| position(favourite).as_str() < after));
    let page: Vec<&Favourite> = rest.by_ref().take(request.limit).collect();
    let next_cursor = rest.next().and(page.last()).map(|last| encode_cursor("favourites", position(last)));
    let ids: Vec<PropertyId> = page.iter().map(|favourite| favourite.property_id).collect();
    let mut listings: HashMap<PropertyId, Property> = if ids.is_empty() {
        HashMap::new()
    } else {
        state.store.properties(&ids).await?.into_iter().map(|property| (property.id, property)).collect()
    };
    let items = page
        .into_iter()
        .map(|favourite| FavouriteView::new(favourite, listings.remove(&favourite.property_id), caller, &media))
        .collect();
    Ok(Private(Json(FavouritePage { items, next_cursor })))
}
