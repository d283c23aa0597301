//! The route groups, one per Lambda function that serves the API (the
//! sessions are part of the users function): each declares its routes
//! with their contract and builds its router.

pub mod listings;
pub mod photos;
pub mod properties;
pub mod rooms;
pub mod sessions;
pub mod users;

use crate::domain::{Property, PropertyId, Room, UserId};
use crate::http::AppState;
use crate::http::error::ApiResult;
use crate::store::{Store, StoreError};

/// The property and its rooms, if `caller` may see it: a draft or
/// withdrawn listing only its owner does; anyone else gets the 404 of a
/// property that does not exist.
pub(crate) async fn visible_property<S: Store>(
    state: &AppState<S>,
    id: PropertyId,
    caller: Option<UserId>,
) -> ApiResult<(Property, Vec<Room>)> {
    visible(state.store.get_property(id).await?, caller)
}

/// A property found with what goes with it (its rooms, a page of its
/// price history), if `caller` may see it (else 404).
pub(crate) fn visible<T>(found: Option<(Property, T)>, caller: Option<UserId>) -> ApiResult<(Property, T)> {
    Ok(found.filter(|(property, _)| property.visible_to(caller)).ok_or(StoreError::PropertyNotFound)?)
}
