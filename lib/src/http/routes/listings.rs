//! Listings as people see them (`PropertyView`), and browsing them: the
//! public search (everywhere, by city, with filters and orders), one's own
//! properties, a listing's price history, and the property types. Part of
//! the properties route group.

use super::photos::PhotoView;
use super::rooms::RoomView;
use super::visible;
use super::{Group, routes};
use crate::blobs::BlobStore;
use crate::domain::{
    ListingStatus, Location, Price, PriceChange, Property, PropertyId, PropertyType, Room, Timestamp, Transaction,
    UserId,
};
use crate::http::error::ApiResult;
use crate::http::request::extract::{Caller, MaybeCaller};
use crate::http::request::paging::{PageQuery, encode_cursor, listing_cursor};
use crate::http::request::path::{PathParams, PropertyPath};
use crate::http::request::query::{Paged, Query};
use crate::http::request::search::{ClusterFilter, SearchFilter};
use crate::http::responses::{CallerFailures, NotFound, PublicCallerFailures, QueryFailures, ServerFailures};
use crate::http::{AppState, Json, MediaLinks, Private, PropertiesState};
use crate::store::{Cluster, Listing, Store, StoreError};
use axum::extract::State;
use serde::Serialize;

/// The browsing routes, each registered with its contract.
pub fn routes<S: Store, B: BlobStore>() -> Group<PropertiesState<S, B>> {
    Group::new()
        .routes(routes!(property_types))
        .routes(routes!(list_properties))
        .routes(routes!(clusters))
        .routes(routes!(price_history))
        .routes(routes!(list_my_properties))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PropertyView {
    #[schema(value_type = uuid::Uuid)]
    pub id: PropertyId,
    /// The user who published it (see `GET /users/{id}`).
    #[schema(value_type = uuid::Uuid)]
    pub owner_id: UserId,
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub property_type: PropertyType,
    /// As its publisher wrote it.
    pub city: String,
    /// Sale or rent, fixed at publication.
    pub transaction: Transaction,
    /// Only the owner sees a `draft` or `withdrawn` listing.
    pub status: ListingStatus,
    /// The sale price, or the rent per month; `null` when not given.
    #[schema(inline, value_type = Option<Price>, required = true)]
    pub price: Option<Price>,
    #[schema(inline, value_type = Option<Location>, required = true)]
    pub location: Option<Location>,
    /// Derived: the number of rooms.
    pub room_count: usize,
    /// Derived: the number of rooms of kind `bedroom`.
    pub bedroom_count: usize,
    /// Derived: the sum of the rooms' areas, exact to the hundredth.
    #[schema(value_type = f64, minimum = 0)]
    pub total_area_m2: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// 1, then one more on every change to the property or its rooms; the ETag.
    #[schema(minimum = 1)]
    pub version: u64,
    /// Present on a single property (oldest room first), absent from listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub rooms: Option<Vec<RoomView>>,
    /// The first ready photo, which a listing page shows; `null` when none is.
    #[schema(required = true)]
    pub primary_photo: Option<PhotoView>,
    /// Present on a single property: its photos in order (as
    /// `GET /properties/{id}/photos` shows them); absent from listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub photos: Option<Vec<PhotoView>>,
    /// Present in a search `near` a point: the great-circle distance from
    /// it in whole metres (haversine on a sphere of radius 6 371 008.8 m).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 0)]
    pub distance_m: Option<u64>,
}

impl PropertyView {
    pub(super) fn summary(property: Property, media: &MediaLinks) -> Self {
        let primary_photo =
            property.photos.primary().map(|(position, photo)| PhotoView::new(property.id, position, photo, media));
        Self {
            id: property.id,
            owner_id: property.owner_id,
            property_type: property.property_type,
            transaction: property.transaction,
            status: property.status(),
            price: property.price(),
            location: property.location,
            room_count: property.room_count(),
            bedroom_count: property.bedroom_count(),
            total_area_m2: property.total_area().to_json(),
            created_at: property.created_at,
            updated_at: property.updated_at,
            version: property.version(),
            rooms: None,
            primary_photo,
            photos: None,
            distance_m: None,
            // Last: taken out of `property`, whose other fields are read above.
            name: property.name.into_string(),
            description: property.description.into_string(),
            city: property.city.into_name(),
        }
    }

    /// The whole property, as `caller` may see it.
    pub(super) fn with_rooms(property: Property, rooms: Vec<Room>, caller: Option<UserId>, media: &MediaLinks) -> Self {
        let photos = PhotoView::visible(&property, caller, media);
        Self {
            rooms: Some(rooms.into_iter().map(RoomView::from).collect()),
            photos: Some(photos),
            ..Self::summary(property, media)
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TypeView {
    value: PropertyType,
    label: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PropertyTypes {
    items: Vec<TypeView>,
}

#[utoipa::path(
    get, path = "/property-types", tag = "properties", operation_id = "property_types", summary = "Property types",
    description = "Every property type with a label for people.",
    responses((status = 200, description = "Every property type with its label", body = PropertyTypes))
)]
pub(crate) async fn property_types() -> Json<PropertyTypes> {
    let items = PropertyType::ALL.iter().map(|&kind| TypeView { value: kind, label: kind.label() }).collect();
    Json(PropertyTypes { items })
}

/// One page of a listing, in its order.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PropertyPage {
    items: Vec<PropertyView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

pub(super) async fn page<S: Store>(
    state: &AppState<S>,
    media: &MediaLinks,
    listing: Listing,
    page: PageQuery,
) -> ApiResult<Json<PropertyPage>> {
    let request = page.of_listing(&listing)?;
    let page = state.store.list_properties(&listing, request).await?;
    let next_cursor = page.next.map(|after| listing_cursor(&listing, after));
    let view = |property: Property| {
        let distance_m = match &listing {
            Listing::Search(search) => search.distance_to(&property),
            Listing::Owner(_) => None,
        };
        PropertyView { distance_m, ..PropertyView::summary(property, media) }
    };
    Ok(Json(PropertyPage { items: page.items.into_iter().map(view).collect(), next_cursor }))
}

#[utoipa::path(
    get, path = "/properties", tag = "properties", operation_id = "list_properties", summary = "Search listings",
    description = "Public listings, one page at a time: those on the market (active, under offer) unless `status` asks for another public status. Newest first across the platform or in one city; by price or area within one city. On a map: in a box (`bbox`, newest first or by price) or within `radius_km` of a point (`near`, nearest first, or newest or by price), each item then with its `distance_m`; listings without a location are never in a map search. Walk `next_cursor` until it is `null`: no page size caps a map. Filters that the chosen order's index does not serve are applied after the read, so a page may hold fewer than `limit` items while `next_cursor` still leads on (docs/data-model.md).",
    params(SearchFilter, PageQuery),
    responses((status = 200, description = "A page of listings", body = PropertyPage), QueryFailures, ServerFailures)
)]
pub(crate) async fn list_properties<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    Paged(filter, page_query): Paged<SearchFilter>,
) -> ApiResult<Json<PropertyPage>> {
    let listing = Listing::Search(filter.parse()?);
    page(&state, &media, listing, page_query).await
}

/// The listings of one map cell.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClusterView {
    /// The cell's geohash.
    #[schema(example = "u09t")]
    cell: String,
    /// Exactly how many public listings matching the filters lie in the cell.
    #[schema(minimum = 1)]
    count: u64,
    /// The mean position of those listings.
    lat: f64,
    lon: f64,
    /// The cell's bounds, `[west, south, east, north]`: as `bbox`, a map
    /// search of the cell (up to its size limit) lists those listings.
    bbox: [f64; 4],
}

impl From<Cluster> for ClusterView {
    fn from(cluster: Cluster) -> Self {
        let bounds = cluster.cell.bounds();
        Self {
            cell: cluster.cell.hash(),
            count: cluster.count,
            lat: cluster.center.lat(),
            lon: cluster.center.lon(),
            bbox: [bounds.west, bounds.south, bounds.east, bounds.north],
        }
    }
}

/// Every non-empty cell of a box.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClusterPage {
    /// One per cell that holds a listing, ordered by geohash.
    items: Vec<ClusterView>,
    #[schema(minimum = 1, maximum = 8)]
    precision: u8,
}

#[utoipa::path(
    get, path = "/properties/clusters", tag = "properties", operation_id = "property_clusters", summary = "Map clusters",
    description = "How many public listings lie in each geohash cell of `precision` that meets `bbox`, with their mean position: every non-empty cell, each count exact (never a sample, never cut short: a box that meets more than 1024 cells at that precision is a 422 naming `precision`). Counts follow writes within seconds on AWS (the table's stream; docs/data-model.md#map-clusters) and at once on the embedded store.",
    params(ClusterFilter),
    responses((status = 200, description = "The non-empty cells", body = ClusterPage), QueryFailures, ServerFailures)
)]
pub(crate) async fn clusters<S: Store>(
    State(state): State<AppState<S>>,
    Query(filter): Query<ClusterFilter>,
) -> ApiResult<Json<ClusterPage>> {
    let query = filter.parse()?;
    let clusters = state.store.clusters(&query).await?;
    Ok(Json(ClusterPage { items: clusters.into_iter().map(ClusterView::from).collect(), precision: query.precision }))
}

#[utoipa::path(
    get, path = "/users/me/properties", tag = "properties", operation_id = "list_my_properties", summary = "Your properties",
    description = "The caller's own listings, whatever their status, newest first; one page at a time.",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of the caller's properties", body = PropertyPage),
        QueryFailures, CallerFailures, ServerFailures)
)]
pub(crate) async fn list_my_properties<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    Caller(caller): Caller,
    Query(page_query): Query<PageQuery>,
) -> ApiResult<Private<Json<PropertyPage>>> {
    let page = page(&state, &media, Listing::Owner(caller), page_query).await?;
    // A deleted account has no properties: tell its token apart from a
    // user who has none yet.
    if page.0.items.is_empty() && !state.store.account_exists(caller).await? {
        return Err(StoreError::AccountGone.into());
    }
    Ok(Private(page))
}

/// One entry of a price history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PriceChangeView {
    /// The property's version that the change made.
    #[schema(minimum = 1)]
    version: u64,
    #[schema(value_type = String, format = DateTime)]
    changed_at: Timestamp,
    /// The price from then on; `null`: the price was removed.
    #[schema(inline, value_type = Option<Price>, required = true)]
    price: Option<Price>,
}

impl From<PriceChange> for PriceChangeView {
    fn from(change: PriceChange) -> Self {
        Self { version: change.version, changed_at: change.changed_at, price: change.price }
    }
}

/// One page of a price history, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PriceHistoryPage {
    items: Vec<PriceChangeView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

#[utoipa::path(
    get, path = "/properties/{id}/price-history", tag = "properties", operation_id = "price_history",
    summary = "A listing's price history",
    description = "Every change of the listing's price (set, changed, removed), oldest first; one page at a time. Visible to whoever may see the listing.",
    security((), ("bearer" = [])),
    params(PropertyPath, PageQuery),
    responses((status = 200, description = "A page of the price history", body = PriceHistoryPage),
        QueryFailures, NotFound, PublicCallerFailures, ServerFailures)
)]
pub(crate) async fn price_history<S: Store>(
    State(state): State<AppState<S>>,
    MaybeCaller(caller): MaybeCaller,
    PathParams(PropertyPath { id }): PathParams<PropertyPath>,
    Query(page_query): Query<PageQuery>,
) -> ApiResult<Json<PriceHistoryPage>> {
    let query = format!("history:{id}");
    let request = page_query.of_query(&query, crate::store::search::is_history_position)?;
    let (_, page) = visible(state.store.price_history(id, request).await?, caller)?;
    let next_cursor = page.next.map(|after| encode_cursor(&query, after));
    Ok(Json(PriceHistoryPage { items: page.items.into_iter().map(PriceChangeView::from).collect(), next_cursor }))
}
