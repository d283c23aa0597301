//! The change feed (docs/api.md#changes): every public change of a
//! listing, deletions included, oldest first, and the position a client
//! that copies the catalogue follows it from. Part of the properties
//! route group.

use super::{Group, routes};
use crate::blobs::BlobStore;
use crate::domain::{ChangeType, ChangedMember, FeedEvent, PropertyId, Timestamp};
use crate::http::error::ApiResult;
use crate::http::request::feed::FeedFilter;
use crate::http::request::query::Query;
use crate::http::responses::{FeedFailures, QueryFailures, ServerFailures};
use crate::http::{AppState, Json, PropertiesState};
use crate::store::Store;
use axum::extract::State;
use serde::Serialize;

/// The feed's routes, each registered with its contract.
pub fn routes<S: Store, B: BlobStore>() -> Group<PropertiesState<S, B>> {
    Group::new().routes(routes!(list_changes)).routes(routes!(feed_snapshot))
}

/// One change of a listing, as the public saw it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeView {
    /// Its position: strictly increasing along the feed.
    #[schema(minimum = 0)]
    pub seq: u64,
    /// Unique; the `webhook-id` of its webhook deliveries.
    pub id: uuid::Uuid,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: ChangeType,
    #[schema(value_type = uuid::Uuid)]
    pub property_id: PropertyId,
    /// The listing's version after the change (a deletion's is one past
    /// its last): apply a change only if it is newer than what you hold.
    #[schema(minimum = 1)]
    pub version: u64,
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: Timestamp,
    /// The listing's city, as published.
    pub city: String,
    /// The members that changed (updates, closures, unpublications).
    pub changed: Vec<ChangedMember>,
}

impl From<FeedEvent> for ChangeView {
    fn from(event: FeedEvent) -> Self {
        let change = event.change;
        Self {
            seq: event.seq,
            id: change.id,
            kind: change.kind,
            property_id: change.property_id,
            version: change.version,
            occurred_at: change.occurred_at,
            city: change.city.into_name(),
            changed: change.changed,
        }
    }
}

/// One page of the feed, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChangePage {
    items: Vec<ChangeView>,
    /// Pass as `after` for the next page. Always present: on the last
    /// page, it is where the feed stands, so asking again later answers
    /// what happened since.
    #[schema(minimum = 0)]
    next: u64,
}

#[utoipa::path(
    get, path = "/changes", tag = "changes", operation_id = "list_changes", summary = "The change feed",
    description = "Every change the public saw of a listing, oldest first: publications, updates (`changed` names the members), closures, unpublications and deletions (tombstones). Follow `next` from page to page and you miss nothing and see nothing twice: a change becomes readable a few seconds after its write (5 s on AWS), once no earlier position can still be written. The feed keeps 30 days; an older `after` is a 410. A page may hold fewer than `limit` changes (filters apply after the read) while `next` leads on.",
    params(FeedFilter),
    responses((status = 200, description = "A page of changes", body = ChangePage), QueryFailures, FeedFailures, ServerFailures)
)]
pub(crate) async fn list_changes<S: Store>(
    State(state): State<AppState<S>>,
    Query(filter): Query<FeedFilter>,
) -> ApiResult<Json<ChangePage>> {
    let query = filter.parse(state.store.feed_position().await?)?;
    let page = state.store.changes(&query).await?;
    Ok(Json(ChangePage { items: page.events.into_iter().map(ChangeView::from).collect(), next: page.next }))
}

/// Where to follow the feed from.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Snapshot {
    /// Every change before it is in the catalogue as it is now: copy the
    /// catalogue after asking, then follow `GET /changes?after=<seq>`.
    #[schema(minimum = 0)]
    seq: u64,
}

#[utoipa::path(
    get, path = "/changes/snapshot", tag = "changes", operation_id = "feed_snapshot", summary = "Where to follow the feed from",
    description = "The feed's position now. To copy the catalogue and keep it in sync: ask for this first, copy the listings (`GET /properties`, page by page), then follow `GET /changes?after=<seq>`, applying each change whose `version` is newer than the copy's. Changes made during the copy come again in the feed; versions make applying them twice harmless.",
    responses((status = 200, description = "The feed's position", body = Snapshot))
)]
pub(crate) async fn feed_snapshot<S: Store>(State(state): State<AppState<S>>) -> ApiResult<Json<Snapshot>> {
    Ok(Json(Snapshot { seq: state.store.feed_position().await? }))
}
