//! Path parameters, read into the struct that declares them: serde
//! `Deserialize` for the handler, utoipa `IntoParams` for the contract.
//! Ids are read in their canonical form only; a malformed one cannot name
//! anything that exists, so it is a 404 like any unknown id.

use crate::domain::{PhotoId, PropertyId, RoomId, UserId};
use crate::http::error::{ApiError, ApiResult};
use crate::store::StoreError;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::de::value::{Error as ValueError, MapDeserializer};

/// The path parameters of the matched route, as `T` declares them.
pub struct PathParams<T>(pub T);

/// A struct of path parameters, and what a malformed one of them is.
pub trait PathIds: DeserializeOwned {
    /// The 404 of an id that cannot exist, by its parameter's name.
    fn not_found(parameter: &str) -> StoreError;
}

impl<S: Send + Sync, T: PathIds> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("No resource exists at this path.".into()))?;
        let params = || MapDeserializer::<_, ValueError>::new(raw.iter());
        // Read a second time to name the malformed id: tracking the path
        // on every read costs a request as much as the read itself.
        T::deserialize(params()).map(PathParams).map_err(|_| match serde_path_to_error::deserialize::<_, T>(params()) {
            Err(error) => T::not_found(&error.path().to_string()).into(),
            Ok(_) => ApiError::internal("path parameters read differently twice"),
        })
    }
}

/// `{id}` of a user's path.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// The user's id
    #[param(value_type = uuid::Uuid)]
    pub id: UserId,
}

impl PathIds for UserPath {
    fn not_found(_: &str) -> StoreError {
        StoreError::UserNotFound
    }
}

/// `{id}` of a webhook endpoint's path.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WebhookPath {
    /// The endpoint's id
    #[param(value_type = uuid::Uuid)]
    pub id: crate::domain::WebhookId,
}

impl PathIds for WebhookPath {
    fn not_found(_: &str) -> StoreError {
        StoreError::WebhookNotFound
    }
}

/// `{id}` of a property's path.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PropertyPath {
    /// The property's id
    #[param(value_type = uuid::Uuid)]
    pub id: PropertyId,
}

impl PathIds for PropertyPath {
    fn not_found(_: &str) -> StoreError {
        StoreError::PropertyNotFound
    }
}

/// `{id}` and `{room_id}` of a room's path.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RoomPath {
    /// The property's id
    #[param(value_type = uuid::Uuid)]
    pub id: PropertyId,
    /// The room's id
    #[param(value_type = uuid::Uuid)]
    pub room_id: RoomId,
}

impl PathIds for RoomPath {
    fn not_found(parameter: &str) -> StoreError {
        if parameter == "room_id" { StoreError::RoomNotFound } else { StoreError::PropertyNotFound }
    }
}

/// `{id}` and `{photo_id}` of a photo's path.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PhotoPath {
    /// The property's id
    #[param(value_type = uuid::Uuid)]
    pub id: PropertyId,
    /// The photo's id
    #[param(value_type = uuid::Uuid)]
    pub photo_id: PhotoId,
}

impl PathIds for PhotoPath {
    fn not_found(parameter: &str) -> StoreError {
        if parameter == "photo_id" { StoreError::PhotoNotFound } else { StoreError::PropertyNotFound }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    /// What a room's path reads as: its ids, or the 404's detail.
    async fn read(uri: &str) -> String {
        let app = axum::Router::new().route(
            "/properties/{id}/rooms/{room_id}",
            get(|params: Result<PathParams<RoomPath>, ApiError>| async move {
                match params {
                    Ok(PathParams(path)) => format!("{} {}", path.id, path.room_id),
                    Err(error) => not_found_detail(error),
                }
            }),
        );
        let request = axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap();
        let body = app.oneshot(request).await.unwrap().into_body();
        String::from_utf8(axum::body::to_bytes(body, 1024).await.unwrap().to_vec()).unwrap()
    }

    fn not_found_detail(error: ApiError) -> String {
        match error {
            ApiError::NotFound(detail) => detail,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn each_malformed_id_is_the_404_of_what_it_names() {
        let (property, room) = (PropertyId::generate(), RoomId::generate());
        assert_eq!(read(&format!("/properties/{property}/rooms/{room}")).await, format!("{property} {room}"));
        let no_room = not_found_detail(StoreError::RoomNotFound.into());
        let upper = room.to_string().to_uppercase();
        assert_eq!(read(&format!("/properties/{property}/rooms/{upper}")).await, no_room);
        let no_property = not_found_detail(StoreError::PropertyNotFound.into());
        assert_eq!(read(&format!("/properties/x/rooms/{room}")).await, no_property);
        assert_eq!(read("/properties/x/rooms/y").await, no_property);
    }
}
