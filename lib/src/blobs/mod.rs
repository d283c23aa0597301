//! The blob-store port: where photo files live. Deployed, an S3 bucket
//! (`s3`), to which clients upload through presigned URLs and from which
//! CloudFront serves the derivatives; on a developer's machine, memory
//! (`local`), with upload URLs signed by the local server itself.
//!
//! Keys are those of `domain::photo` (`uploads/...`, `photos/...`); the
//! port knows nothing of photos beyond the upload's type and size.

pub mod local;
pub mod s3;

use crate::domain::{PhotoSize, PhotoType, Timestamp};
use std::future::Future;

pub use local::LocalBlobs;
pub use s3::S3Blobs;

/// Where and how a client uploads one file: a `PUT` of exactly the
/// announced bytes to `url` with exactly `headers`, before `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadTarget {
    pub url: String,
    /// Every header the client must send, names in lower case; any other
    /// value (another type or size) is refused by the store.
    pub headers: Vec<(String, String)>,
    pub expires_at: Timestamp,
}

/// How long a derivative may be cached: forever, as its key is never reused.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Why the blob store did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// Overloaded or unreachable: worth retrying.
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a misconfiguration.
    #[error("blob store failure: {0}")]
    Internal(String),
}

/// What the API and the media processing need from a blob store.
pub trait BlobStore: Clone + Send + Sync + 'static {
    /// A URL to which `key` may be uploaded, once, as exactly `size` bytes
    /// of `content_type`, from `now` for `domain::UPLOAD_URL_SECONDS`.
    fn upload_target(
        &self,
        key: &str,
        content_type: PhotoType,
        size: PhotoSize,
        now: Timestamp,
    ) -> impl Future<Output = Result<UploadTarget, BlobError>> + Send;

    /// The file's bytes; `None` if there is no such file.
    fn read(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, BlobError>> + Send;

    /// Writes a file that will never change (a derivative): served with
    /// `content_type` and `Cache-Control:` [`IMMUTABLE`].
    fn write(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &'static str,
    ) -> impl Future<Output = Result<(), BlobError>> + Send;

    /// Removes every file whose key starts with `prefix` (none is fine).
    fn delete_prefix(&self, prefix: &str) -> impl Future<Output = Result<(), BlobError>> + Send;
}
