//! A listing's photos: announced by the owner (`POST`, which answers where
//! to upload the file), processed out of band (`crate::media`), listed in
//! order, reordered, captioned and deleted. The files themselves never go
//! through the API: clients upload straight to the blob store, and read
//! the derivatives from the CDN.

use super::visible_property;
use super::{Group, routes};
use crate::blobs::BlobStore;
use crate::domain::{
    MAX_PHOTOS, Photo, PhotoCaption, PhotoChanges, PhotoOutcome, PhotoSize, PhotoStatus, PhotoType, PhotoUpload,
    Property, PropertyId, Timestamp, UserId, derivative_key, upload_key,
};
use crate::http::error::{ApiError, ApiResult};
use crate::http::request::extract::{Caller, JsonBody, MaybeCaller};
use crate::http::request::fields::{Fields, Member};
use crate::http::request::idempotency::{Created, Creation, IdempotencyKeyHeader};
use crate::http::request::path::{PathParams, PhotoPath, PropertyPath};
use crate::http::request::preconditions::{IfMatch, IfMatchHeader};
use crate::http::responses::{
    BodyFailures, CallerFailures, NotFound, OwnerFailures, Preconditions, PublicCallerFailures, ServerFailures, Stale,
};
use crate::http::{AppState, Json, MediaLinks, PropertiesState};
use crate::store::retry::{self, Attempt, Policy};
use crate::store::{Edit, KeptAnswer, Store, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The group's routes, each registered with its contract.
pub fn routes<S: Store, B: BlobStore>() -> Group<PropertiesState<S, B>> {
    Group::new().routes(routes!(list_photos, add_photo)).routes(routes!(show_photo, update_photo, delete_photo))
}

/// One derivative of a ready photo: a JPEG without any metadata, at a URL
/// that never changes content (cache it forever).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DerivativeView {
    #[schema(example = 320)]
    pub width: u32,
    #[schema(example = 240)]
    pub height: u32,
    #[schema(example = "https://d111111abcdef8.cloudfront.net/photos/0191c3a4-…/0191c3a5-…/320.jpg")]
    pub url: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PhotoView {
    #[schema(value_type = uuid::Uuid)]
    pub id: crate::domain::PhotoId,
    /// `pending` until the upload is processed, then `ready` or `rejected`.
    pub status: PhotoStatus,
    /// 0-based, in the listing's order.
    pub position: usize,
    pub caption: String,
    /// As announced.
    pub content_type: PhotoType,
    /// As announced, in bytes.
    pub content_length: u64,
    /// When ready: the upright size of the original, in pixels.
    #[schema(required = true)]
    pub width: Option<u32>,
    #[schema(required = true)]
    pub height: Option<u32>,
    /// When ready, narrowest first; otherwise empty.
    pub derivatives: Vec<DerivativeView>,
    /// When rejected: why.
    #[schema(required = true)]
    pub rejection_reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl PhotoView {
    pub fn new(property: PropertyId, position: usize, photo: &Photo, media: &MediaLinks) -> Self {
        let (width, height, rejection_reason) = match &photo.outcome {
            Some(PhotoOutcome::Ready { width, height, .. }) => (Some(*width), Some(*height), None),
            Some(PhotoOutcome::Rejected { reason }) => (None, None, Some(reason.clone())),
            None => (None, None, None),
        };
        let derivatives = photo
            .derivatives()
            .iter()
            .map(|size| DerivativeView {
                width: size.width,
                height: size.height,
                url: media.url(&derivative_key(property, photo.id, size.width)),
            })
            .collect();
        Self {
            id: photo.id,
            status: photo.status(),
            position,
            caption: photo.caption.as_str().into(),
            content_type: photo.content_type,
            content_length: photo.size.bytes(),
            width,
            height,
            derivatives,
            rejection_reason,
            created_at: photo.created_at,
        }
    }

    /// The photos of `property` that `caller` may see, in order: the
    /// owner sees pending and rejected ones too, everyone else only the
    /// ready ones.
    pub fn visible(property: &Property, caller: Option<UserId>, media: &MediaLinks) -> Vec<Self> {
        let owner = caller == Some(property.owner_id);
        let photos = property.photos.current(Timestamp::now());
        photos
            .filter(|(_, photo)| owner || photo.status() == PhotoStatus::Ready)
            .map(|(position, photo)| Self::new(property.id, position, photo, media))
            .collect()
    }
}

/// Where and how to upload the announced file.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadView {
    /// Send the file's bytes here, once.
    pub url: String,
    #[schema(example = "PUT")]
    pub method: &'static str,
    /// Send exactly these headers: the upload is signed for this type and
    /// size, and any other is refused.
    #[schema(example = json!({"content-type": "image/jpeg", "content-length": "482113"}))]
    pub headers: BTreeMap<String, String>,
    /// The URL works until then (15 minutes).
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

/// A new photo, pending, and where to upload its file.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewPhotoView {
    #[serde(flatten)]
    pub photo: PhotoView,
    pub upload: UploadView,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PhotoList {
    /// In the listing's order.
    items: Vec<PhotoView>,
}

/// What an owner announces before uploading a photo.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"content_type": "image/jpeg", "content_length": 482113, "caption": "Living room, south light"}))]
pub struct NewPhoto {
    #[serde(default)]
    #[schema(value_type = PhotoType, required = true)]
    content_type: Member<String>,
    /// The file's exact size in bytes: at most 15 MiB (15728640).
    #[serde(default)]
    #[schema(value_type = u64, minimum = 1, maximum = 15728640, required = true)]
    content_length: Member<serde_json::Number>,
    /// At most 300 characters on one line.
    #[serde(default)]
    #[schema(value_type = String, max_length = 300)]
    caption: Member<String>,
}

/// A JSON number that is a whole number of bytes.
fn byte_count(raw: &serde_json::Number) -> Result<u64, crate::domain::Invalid> {
    raw.as_u64().ok_or_else(|| crate::domain::Invalid("must be a whole number of bytes".into()))
}

impl NewPhoto {
    fn parse(self) -> ApiResult<PhotoUpload> {
        let mut fields = Fields::new();
        let content_type = fields.required("content_type", self.content_type, |raw| PhotoType::parse(&raw));
        let size = fields.required("content_length", self.content_length, |raw| PhotoSize::parse(byte_count(&raw)?));
        let caption = fields.optional("caption", self.caption, |raw| PhotoCaption::parse(&raw));
        fields.finish(|| {
            Some(PhotoUpload { content_type: content_type?, size: size?, caption: caption?.unwrap_or_default() })
        })
    }
}

/// The fields to change; an absent field is left as it is.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"position": 0}))]
pub(crate) struct PhotoPatch {
    #[serde(default)]
    #[schema(value_type = String, max_length = 300)]
    caption: Member<String>,
    /// The new 0-based position; the others shift. Past the end: last.
    #[serde(default)]
    #[schema(value_type = u32, minimum = 0)]
    position: Member<serde_json::Number>,
}

impl PhotoPatch {
    fn parse(self) -> ApiResult<PhotoChanges> {
        let mut fields = Fields::new();
        let caption = fields.optional("caption", self.caption, |raw| PhotoCaption::parse(&raw));
        let position = fields.optional("position", self.position, |raw| {
            let position =
                raw.as_u64().ok_or_else(|| crate::domain::Invalid("must be a whole number from 0".into()))?;
            Ok(usize::try_from(position).unwrap_or(usize::MAX))
        });
        fields.finish(|| Some(PhotoChanges { caption: caption?, position: position? }))
    }
}

#[utoipa::path(
    get, path = "/properties/{id}/photos", tag = "photos", operation_id = "list_photos", summary = "A listing's photos",
    description = "In the listing's order. Everyone sees the ready photos of a public listing; its owner also sees those pending or rejected (a pending photo whose upload never came drops out 30 minutes after it was announced).",
    security((), ("bearer" = [])),
    params(PropertyPath),
    responses((status = 200, description = "The listing's photos", body = PhotoList), NotFound, PublicCallerFailures,
        ServerFailures)
)]
pub(crate) async fn list_photos<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    MaybeCaller(caller): MaybeCaller,
    PathParams(PropertyPath { id }): PathParams<PropertyPath>,
) -> ApiResult<Json<PhotoList>> {
    let property = visible_property(&state, id, caller).await?.0;
    Ok(Json(PhotoList { items: PhotoView::visible(&property, caller, &media) }))
}

#[utoipa::path(
    get, path = "/properties/{id}/photos/{photo_id}", tag = "photos", operation_id = "show_photo", summary = "A photo",
    description = "One photo of a listing, as `GET /properties/{id}/photos` shows it (poll it after an upload until it is no longer pending).",
    security((), ("bearer" = [])),
    params(PhotoPath),
    responses((status = 200, description = "The photo", body = PhotoView), NotFound, PublicCallerFailures,
        ServerFailures)
)]
pub(crate) async fn show_photo<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    MaybeCaller(caller): MaybeCaller,
    PathParams(PhotoPath { id: property, photo_id: photo }): PathParams<PhotoPath>,
) -> ApiResult<Json<PhotoView>> {
    let property = visible_property(&state, property, caller).await?.0;
    let view = PhotoView::visible(&property, caller, &media).into_iter().find(|view| view.id == photo);
    Ok(Json(view.ok_or(StoreError::PhotoNotFound)?))
}

#[utoipa::path(
    post, path = "/properties/{id}/photos", tag = "photos", operation_id = "add_photo", summary = "Announce a photo",
    description = "Owner only. Answers the photo, pending, and where to upload its file: PUT the bytes to `upload.url` with exactly `upload.headers`, within 15 minutes. The file is then checked (its type, at most 40 megapixels), turned upright, stripped of all metadata (GPS position included) and resized; the photo becomes `ready` with its derivatives' URLs, or `rejected` with a reason. A listing has at most 50 photos. Changes the property's version.",
    security(("bearer" = [])),
    params(PropertyPath, IfMatchHeader, IdempotencyKeyHeader),
    request_body = NewPhoto,
    responses(
        (status = 201, description = "The new photo, pending, and where to upload it", body = NewPhotoView,
            headers(("Location" = String, description = "/properties/{id}/photos/{photo_id}"))),
        (status = 409, description = "The listing already has 50 photos", body = crate::http::error::Problem,
            content_type = "application/problem+json"),
        BodyFailures, CallerFailures, OwnerFailures, NotFound, Stale, ServerFailures,
    )
)]
pub(crate) async fn add_photo<S: Store, B: BlobStore>(
    State(state): State<PropertiesState<S, B>>,
    Caller(caller): Caller,
    PathParams(PropertyPath { id }): PathParams<PropertyPath>,
    IfMatch(expected): IfMatch,
    Creation { body, key }: Creation<NewPhoto>,
) -> ApiResult<Response> {
    let upload = body.parse()?;
    let edit = Edit::by(caller);
    let photo = Photo::announce(upload, edit.now);
    let target = state.blobs.upload_target(&upload_key(id, photo.id), photo.content_type, photo.size, edit.now).await?;
    let upload = UploadView {
        url: target.url,
        method: "PUT",
        headers: target.headers.into_iter().collect(),
        expires_at: target.expires_at,
    };
    let location = format!("/properties/{id}/photos/{}", photo.id);
    // The answer names the photo's position, so it is written only to the
    // version it was worked out from.
    let (state, photo, upload, location, key) = (&state, &photo, &upload, &location, &key);
    let announced = retry::run(Policy::RACE, |_| async move {
        let property = visible_property(&state.app, id, Some(caller)).await?.0;
        let version = property.version();
        if expected.is_some_and(|versions| !versions.contains(version)) {
            return Err(StoreError::VersionMismatch.into());
        }
        let mut photos = property.photos.clone();
        photos.drop_abandoned(edit.now);
        let position = photos.as_slice().len();
        if position >= MAX_PHOTOS && property.owner_id == caller {
            return Err(StoreError::PhotoLimitReached.into());
        }
        let view = NewPhotoView { photo: PhotoView::new(id, position, photo, &state.media), upload: upload.clone() };
        let created = Created::new(location.clone(), None, &view);
        let answer = created.to_keep(key.as_ref(), &KeptAnswer::caller_scope(caller));
        match state.app.store.add_photo(id, photo, edit.of_version(Some(version)), answer.as_ref()).await {
            Err(StoreError::VersionMismatch) if expected.is_none() => Ok(Attempt::Retry(())),
            stored => created.answer(stored.map(drop), key.as_ref()).map(Attempt::Done),
        }
    })
    .await?;
    announced.done_or(|()| ApiError::Unavailable(format!("property {id} kept changing while a photo was announced")))
}

#[utoipa::path(
    patch, path = "/properties/{id}/photos/{photo_id}", tag = "photos", operation_id = "update_photo", summary = "Change a photo",
    description = "Owner only. Changes the caption, or the position (the other photos shift). Changes the property's version.",
    security(("bearer" = [])),
    params(PhotoPath, IfMatchHeader),
    request_body = PhotoPatch,
    responses((status = 200, description = "The photo as stored", body = PhotoView),
        BodyFailures, CallerFailures, OwnerFailures, NotFound, Stale, ServerFailures)
)]
pub(crate) async fn update_photo<S: Store>(
    State(state): State<AppState<S>>,
    State(media): State<MediaLinks>,
    Caller(caller): Caller,
    PathParams(PhotoPath { id, photo_id: photo }): PathParams<PhotoPath>,
    IfMatch(expected): IfMatch,
    JsonBody(body): JsonBody<PhotoPatch>,
) -> ApiResult<Json<PhotoView>> {
    let changes = body.parse()?;
    let property = state.store.update_photo(id, photo, &changes, Edit::by(caller).of_versions(expected)).await?;
    let position = property.photos.position(photo).ok_or(StoreError::PhotoNotFound)?;
    let stored = property.photos.get(photo).ok_or(StoreError::PhotoNotFound)?;
    Ok(Json(PhotoView::new(id, position, stored, &media)))
}

#[utoipa::path(
    delete, path = "/properties/{id}/photos/{photo_id}", tag = "photos", operation_id = "delete_photo", summary = "Delete a photo",
    description = "Owner only. The photo's files are deleted right after (within seconds on AWS). Changes the property's version.",
    security(("bearer" = [])),
    params(PhotoPath, IfMatchHeader),
    responses((status = 204, description = "The photo is gone"), CallerFailures, OwnerFailures, NotFound, Preconditions, ServerFailures)
)]
pub(crate) async fn delete_photo<S: Store>(
    State(state): State<AppState<S>>,
    Caller(caller): Caller,
    PathParams(PhotoPath { id, photo_id: photo }): PathParams<PhotoPath>,
    IfMatch(expected): IfMatch,
) -> ApiResult<StatusCode> {
    state.store.delete_photo(id, photo, Edit::by(caller).of_versions(expected)).await?;
    Ok(StatusCode::NO_CONTENT)
}
