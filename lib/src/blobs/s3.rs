//! The S3 adapter: one bucket. Clients upload to it through presigned
//! `PUT` URLs signed for the exact content type and length, so S3 itself
//! refuses any other; the media processing reads the uploads and writes
//! the derivatives that CloudFront serves.
//!
//! Its client is bounded like the DynamoDB store's (see
//! [`crate::aws::Limits`]), and an SDK failure maps the same way: worth
//! retrying is [`BlobError::Unavailable`], the rest
//! [`BlobError::Internal`].

use super::{BlobError, BlobStore, IMMUTABLE, UploadTarget};
use crate::aws::Limits;
use crate::domain::{PhotoSize, PhotoType, Timestamp, UPLOAD_URL_SECONDS, upload_expires_at};
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use std::time::{Duration, SystemTime};

/// The most keys one DeleteObjects call may name, and one ListObjectsV2
/// page may hold: S3's limit for both.
const MAX_KEYS_PER_CALL: usize = 1000;

#[derive(Debug, Clone)]
pub struct S3Blobs {
    client: Client,
    bucket: String,
    /// Keys per ListObjectsV2 page; `None`: S3's default, 1000.
    list_page_size: Option<i32>,
}

impl S3Blobs {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into(), list_page_size: None }
    }

    /// A client of the SDK configuration `config` (see [`crate::aws`]),
    /// bounded by [`LIMITS`]. With an endpoint URL configured (a local
    /// S3-API server such as moto), buckets are addressed in the path, as
    /// such servers expect, rather than in the host name.
    pub fn from_sdk_config(config: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        let mut builder = client_config(aws_sdk_s3::config::Builder::from(config), &LIMITS);
        if config.endpoint_url().is_some() {
            builder = builder.force_path_style(true);
        }
        Self::new(Client::from_conf(builder.build()), bucket)
    }

    /// Lists at most `keys` keys a page (1 to 1000) in
    /// [`BlobStore::delete_prefix`]: only for the tests, to make it page.
    pub fn with_list_page_size(mut self, keys: i32) -> Self {
        self.list_page_size = Some(keys);
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Deletes `keys` (at most [`MAX_KEYS_PER_CALL`]) in one quiet
    /// DeleteObjects call, which answers only the keys it failed to delete.
    async fn delete_keys(&self, keys: &[String]) -> Result<(), BlobError> {
        let objects = keys
            .iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BlobError::Internal(e.to_string()))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| BlobError::Internal(e.to_string()))?;
        let output =
            self.client.delete_objects().bucket(&self.bucket).delete(delete).send().await.map_err(sdk_error)?;
        let failures = output.errors();
        if failures.is_empty() {
            return Ok(());
        }
        let detail = failures
            .iter()
            .take(5)
            .map(|failure| {
                let key = failure.key().unwrap_or("?");
                format!("{key}: {} ({})", failure.code().unwrap_or("no code"), failure.message().unwrap_or(""))
            })
            .collect::<Vec<_>>()
            .join("; ");
        let detail = format!("{} of {} keys not deleted: {detail}", failures.len(), keys.len());
        if failures.iter().all(|failure| RETRYABLE.contains(&failure.code().unwrap_or(""))) {
            Err(BlobError::Unavailable(detail))
        } else {
            Err(BlobError::Internal(detail))
        }
    }
}

impl BlobStore for S3Blobs {
    async fn upload_target(
        &self,
        key: &str,
        content_type: PhotoType,
        size: PhotoSize,
        now: Timestamp,
    ) -> Result<UploadTarget, BlobError> {
        let internal = |e: &dyn std::fmt::Display| BlobError::Internal(format!("presigning {key}: {e}"));
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(now.unix_seconds()).unwrap_or(0));
        let lifetime = Duration::from_secs(UPLOAD_URL_SECONDS.unsigned_abs());
        let presigning =
            PresigningConfig::builder().start_time(start).expires_in(lifetime).build().map_err(|e| internal(&e))?;
        let length = i64::try_from(size.bytes()).map_err(|e| internal(&e))?;
        // The SDK signs every header the request carries but those it
        // excludes (user-agent and the like): given here, `content-type`
        // and `content-length` are in the URL's `X-Amz-SignedHeaders`, as
        // the tests below check.
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type.code())
            .content_length(length)
            .presigned(presigning)
            .await
            .map_err(sdk_error)?;
        let headers = presigned.headers().map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned())).collect();
        Ok(UploadTarget {
            url: presigned.uri().to_owned(),
            headers,
            expires_at: Timestamp::from_unix_seconds(upload_expires_at(now)),
        })
    }

    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        let output = match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(output) => output,
            Err(error) if matches!(error.as_service_error(), Some(GetObjectError::NoSuchKey(_))) => return Ok(None),
            Err(error) => return Err(sdk_error(error)),
        };
        // The call's time limit ends with the response's head: the body is
        // read within the same limit again, so a stalled stream cannot hang.
        let bound = self.client.config().timeout_config().and_then(TimeoutConfig::operation_timeout);
        let body = output.body.collect();
        let body = match bound {
            Some(bound) => tokio::time::timeout(bound, body).await.map_err(|_| {
                BlobError::Unavailable(format!("reading {key}: the body did not arrive within {bound:?}"))
            })?,
            None => body.await,
        };
        let body = body.map_err(|e| BlobError::Unavailable(format!("reading {key}: {}", DisplayErrorContext(&e))))?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    async fn write(&self, key: &str, bytes: Vec<u8>, content_type: &'static str) -> Result<(), BlobError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .content_type(content_type)
            .cache_control(IMMUTABLE)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Lists the keys page by page and deletes each page's keys (at most
    /// 1000, one DeleteObjects call) before reading the next: deleting keys
    /// already listed does not disturb the listing that follows them.
    async fn delete_prefix(&self, prefix: &str) -> Result<(), BlobError> {
        if prefix.is_empty() {
            return Err(BlobError::Internal("refusing to delete every file of the bucket (an empty prefix)".into()));
        }
        let mut pages = self.client.list_objects_v2().bucket(&self.bucket).prefix(prefix).into_paginator();
        if let Some(keys) = self.list_page_size {
            pages = pages.page_size(keys);
        }
        let mut pages = pages.send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk_error)?;
            let keys: Vec<String> =
                page.contents().iter().filter_map(|object| object.key().map(str::to_owned)).collect();
            for batch in keys.chunks(MAX_KEYS_PER_CALL) {
                self.delete_keys(batch).await?;
            }
        }
        Ok(())
    }
}

/// How long the adapter waits for S3. Its largest transfer is an upload of
/// at most 15 MiB (`domain::MAX_PHOTO_BYTES`), which S3 delivers within a
/// second in the same region: an attempt still running after 4 s is
/// stuck, and a new one on a new connection does better. A call has room
/// for two such attempts and ends within 8 s, inside the 10 s of the
/// shortest API function's timeout (`template.yaml`). Presigning sends
/// nothing and is not bounded by them.
pub const LIMITS: Limits = Limits {
    connect: Duration::from_secs(1),
    attempt: Duration::from_secs(4),
    call: Duration::from_secs(8),
    max_attempts: 3,
};

/// The longest first backoff between attempts (jittered, doubling after
/// each, at most a second): S3's `SlowDown` passes within a second.
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);

/// `builder` bounded by `limits` ([`Limits::sdk_settings`]), used by
/// [`S3Blobs::from_sdk_config`] and by the tests' clients.
pub fn client_config(builder: aws_sdk_s3::config::Builder, limits: &Limits) -> aws_sdk_s3::config::Builder {
    let (timeouts, retries) = limits.sdk_settings(INITIAL_BACKOFF);
    builder.timeout_config(timeouts).retry_config(retries)
}

/// The error codes of S3 that say "later": overload and its own faults.
const RETRYABLE: &[&str] =
    &["SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling", "ThrottlingException"];

/// Maps an SDK failure to a blob-store error: throttling, S3's own faults
/// (a 5xx) and transport trouble are worth a retry (503), anything else is
/// a fault of ours (500). Transport trouble is a call out of time (a
/// `TimeoutError`), a request not sent (a `DispatchFailure`) and a response
/// cut off (a `ResponseError`). The detail is the SDK's account of the
/// failure, which never holds credentials.
fn sdk_error<E>(error: SdkError<E, HttpResponse>) -> BlobError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let retryable = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error() || RETRYABLE.contains(&service.err().code().unwrap_or(""))
        }
        _ => false,
    };
    let detail = DisplayErrorContext(&error).to_string();
    if retryable { BlobError::Unavailable(detail) } else { BlobError::Internal(detail) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};

    /// An adapter that is never sent anything: presigning is computed
    /// locally, from static credentials and a fixed region.
    fn offline(endpoint: Option<&str>) -> S3Blobs {
        let mut config = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                None,
                None,
                "tests",
            )));
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        S3Blobs::from_sdk_config(&config.build(), "estate-photos")
    }

    fn query(url: &str) -> Vec<(String, String)> {
        let (_, query) = url.split_once('?').expect("a query string");
        query
            .split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (name.to_owned(), value.replace("%3B", ";").replace("%3b", ";"))
            })
            .collect()
    }

    fn parameter<'a>(query: &'a [(String, String)], name: &str) -> &'a str {
        query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {name}"))
    }

    const KEY: &str = "uploads/0198c8a2-1f00-7000-8000-000000000001/0198c8a2-1f00-7000-8000-000000000002";

    async fn target(blobs: &S3Blobs, now: Timestamp) -> UploadTarget {
        let size = PhotoSize::parse(123_456).unwrap();
        blobs.upload_target(KEY, PhotoType::Webp, size, now).await.unwrap()
    }

    #[tokio::test]
    async fn an_upload_url_signs_the_exact_type_and_length_for_fifteen_minutes() {
        let now = Timestamp::from_unix_seconds(1_767_225_600); // 2026-01-01T00:00:00Z
        let target = target(&offline(None), now).await;
        let query = query(&target.url);
        let mut signed: Vec<&str> = parameter(&query, "X-Amz-SignedHeaders").split(';').collect();
        signed.sort_unstable();
        for header in ["content-length", "content-type", "host"] {
            assert!(signed.contains(&header), "{header} is not signed: {signed:?}");
        }
        assert_eq!(parameter(&query, "X-Amz-Expires"), "900");
        assert_eq!(parameter(&query, "X-Amz-Date"), "20260101T000000Z", "signed as of `now`");
        assert_eq!(target.expires_at, Timestamp::from_unix_seconds(1_767_225_600 + 900));
        assert!(target.headers.contains(&("content-type".into(), "image/webp".into())), "{:?}", target.headers);
        assert!(target.headers.contains(&("content-length".into(), "123456".into())), "{:?}", target.headers);
        // Every signed header but `host` (which the URL sets) is one the
        // client is told to send, in lower case.
        for header in signed.iter().filter(|header| **header != "host") {
            assert!(target.headers.iter().any(|(name, _)| name == header), "{header} not in {:?}", target.headers);
        }
        assert!(target.headers.iter().all(|(name, _)| *name == name.to_ascii_lowercase()));
        assert!(!target.url.contains("wJalrXUtnFEMI"), "the secret key never appears");
    }

    #[tokio::test]
    async fn the_same_request_at_the_same_instant_signs_the_same_url() {
        let now = Timestamp::from_unix_seconds(1_767_225_600);
        let blobs = offline(None);
        assert_eq!(target(&blobs, now).await, target(&blobs, now).await);
        let later = target(&blobs, Timestamp::from_unix_seconds(1_767_225_601)).await;
        assert_ne!(later.url, target(&blobs, now).await.url);
    }

    #[tokio::test]
    async fn a_configured_endpoint_addresses_the_bucket_in_the_path() {
        let now = Timestamp::from_unix_seconds(1_767_225_600);
        let local = target(&offline(Some("http://127.0.0.1:5599")), now).await;
        assert!(local.url.starts_with(&format!("http://127.0.0.1:5599/estate-photos/{KEY}?")), "{}", local.url);
        let deployed = target(&offline(None), now).await;
        assert!(
            deployed.url.starts_with(&format!("https://estate-photos.s3.eu-west-1.amazonaws.com/{KEY}?")),
            "{}",
            deployed.url
        );
    }

    #[test]
    fn the_limits_end_a_call_within_the_shortest_api_timeout() {
        assert!(LIMITS.call < Duration::from_secs(10));
        assert!(LIMITS.attempt * 2 <= LIMITS.call);
    }
}
