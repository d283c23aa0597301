//! What S3 and CloudFront do for photos on AWS, on a developer's machine:
//! `PUT /uploads/...` takes an upload to a URL the API signed (for one
//! type and size, until it expires) and processes it at once, through the
//! same code as the media function (`crate::media`); `GET /media/...`
//! serves the derivatives. The embedded store's removed photos have their
//! files deleted as the table's stream has them deleted on AWS.

use crate::blobs::LocalBlobs;
use crate::domain::Timestamp;
use crate::http::error::ApiError;
use crate::store::{MemoryStore, Store};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};

/// The upload and media routes, on `store` and `blobs`.
pub fn routes<S: Store>(store: S, blobs: LocalBlobs) -> Router {
    Router::new()
        .route("/uploads/{property}/{photo}", put(upload::<S>))
        .route("/media/{*key}", get(serve_file::<S>))
        .with_state((store, blobs))
}

#[derive(serde::Deserialize)]
struct Signed {
    expires: Option<i64>,
    signature: Option<String>,
}

async fn upload<S: Store>(
    State((store, blobs)): State<(S, LocalBlobs)>,
    Path((property, photo)): Path<(String, String)>,
    Query(signed): Query<Signed>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let key = format!("uploads/{property}/{photo}");
    let header = |name| headers.get(name).and_then(|value: &header::HeaderValue| value.to_str().ok());
    let content_type = header(header::CONTENT_TYPE).unwrap_or_default();
    let length = header(header::CONTENT_LENGTH).and_then(|length| length.parse::<u64>().ok());
    let (Some(expires), Some(signature), Some(length)) = (signed.expires, signed.signature, length) else {
        return Err(ApiError::Forbidden(
            "Send the upload to the signed URL the API answered, with its content-length.".into(),
        ));
    };
    // Checked before the body is read: the signature covers its length.
    blobs
        .verify_upload(&key, content_type, length, expires, &signature, Timestamp::now())
        .map_err(|refused| ApiError::Forbidden(format!("{refused}.")))?;
    let bytes = axum::body::to_bytes(body, usize::try_from(length).unwrap_or(usize::MAX))
        .await
        .ok()
        .filter(|bytes| bytes.len() as u64 == length)
        .ok_or_else(|| ApiError::BadRequest("The body is not as long as its content-length says.".into()))?;
    blobs.put_upload(&key, bytes.to_vec(), content_type);
    let handled = crate::media::handle_upload(&store, &blobs, &key).await.map_err(ApiError::internal)?;
    tracing::info!(key = %key, outcome = ?handled, "upload handled");
    Ok(StatusCode::OK)
}

async fn serve_file<S>(State((_, blobs)): State<(S, LocalBlobs)>, Path(key): Path<String>) -> Response {
    // Only derivatives are served, as CloudFront serves only `photos/`.
    let file = key.starts_with("photos/").then(|| blobs.file(&key)).flatten();
    let Some(file) = file else {
        return ApiError::NotFound("No file exists at this path.".into()).into_response();
    };
    let mut response = ([(header::CONTENT_TYPE, file.content_type)], Body::from(file.bytes)).into_response();
    if let Some(cache_control) = file.cache_control {
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static(cache_control));
    }
    response
}

/// Deletes the files of the embedded store's removed photos, for as long
/// as the server runs.
pub async fn forget_removed_photos(store: MemoryStore, blobs: LocalBlobs) {
    loop {
        let removed = store.removed_photos().await;
        if let Err(error) = crate::media::forget(&blobs, &removed).await {
            tracing::warn!(%error, "deleting removed photos' files");
        }
    }
}
