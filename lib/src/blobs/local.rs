//! The local adapter, for the local server: files held in memory, upload
//! URLs pointing at the local server itself and signed by it, so that no
//! AWS account, S3-API server or Docker is needed to try the photo flow.
//!
//! An upload URL reads `{base}/{key}?expires={unix seconds}&signature={tag}`,
//! the tag an HMAC-SHA256, under a key drawn for each instance, of the key,
//! the content type, the content length and the expiry: like S3's presigned
//! URL, it admits exactly the announced upload and nothing else.
//! The local server checks a `PUT` with [`LocalBlobs::verify_upload`] and
//! stores it with [`LocalBlobs::put_upload`].

use super::{BlobError, BlobStore, IMMUTABLE, UploadTarget};
use crate::domain::{PhotoSize, PhotoType, Timestamp, upload_expires_at};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One file as stored: its bytes and the headers it is served with, as S3
/// keeps them with an object for CloudFront to pass on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// `None` for an upload, [`IMMUTABLE`] for a derivative.
    pub cache_control: Option<&'static str>,
}

/// Why the local server refuses an upload, in words for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefused {
    #[error("this upload URL has expired: ask for a new one")]
    Expired,
    #[error(
        "this upload does not match its URL: send exactly the content type and length it was issued for, \
         to the URL as it was given"
    )]
    NotSigned,
}

/// Files in memory; clones share them, and the key.
#[derive(Clone)]
pub struct LocalBlobs {
    /// The local server's own address, without a trailing `/`.
    base: Arc<str>,
    /// Shared, not copied: a `hmac::Key` clone copies its whole hashing
    /// state, and the router clones its state for every request.
    key: Arc<hmac::Key>,
    files: Arc<Mutex<HashMap<String, LocalFile>>>,
}

impl std::fmt::Debug for LocalBlobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalBlobs")
            .field("base", &self.base)
            .field("key", &"<redacted>")
            .field("files", &self.lock().len())
            .finish()
    }
}

impl LocalBlobs {
    /// An empty store whose upload URLs point at `public_base_url`, the
    /// local server's address as clients reach it (`http://127.0.0.1:8080`).
    /// Each instance signs with a key of its own: its URLs are refused by
    /// any other, and by a restarted server.
    pub fn new(public_base_url: impl Into<String>) -> Self {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret).expect("the system's random source works");
        let base: String = public_base_url.into();
        Self {
            base: base.trim_end_matches('/').into(),
            key: Arc::new(hmac::Key::new(hmac::HMAC_SHA256, &secret)),
            files: Arc::default(),
        }
    }

    /// Whether a `PUT` of `key` carrying `content_type` and `content_length`
    /// may be stored: its URL's `expires` and `signature` must be those
    /// [`BlobStore::upload_target`] issued for exactly these, and `now`
    /// before `expires`. The signature is checked first, in constant time:
    /// an altered expiry is `NotSigned`, not `Expired`.
    pub fn verify_upload(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires: i64,
        signature: &str,
        now: Timestamp,
    ) -> Result<(), UploadRefused> {
        let tag = URL_SAFE_NO_PAD.decode(signature).map_err(|_| UploadRefused::NotSigned)?;
        hmac::verify(&self.key, &signed_message(key, content_type, content_length, expires), &tag)
            .map_err(|_| UploadRefused::NotSigned)?;
        if now.unix_seconds() >= expires {
            return Err(UploadRefused::Expired);
        }
        Ok(())
    }

    /// Stores what a verified `PUT` carried, as the upload at `key`.
    pub fn put_upload(&self, key: &str, bytes: Vec<u8>, content_type: &str) {
        let blob = LocalFile { bytes, content_type: content_type.to_owned(), cache_control: None };
        self.lock().insert(key.to_owned(), blob);
    }

    /// The file at `key`, to serve it; `None` if there is none.
    pub fn file(&self, key: &str) -> Option<LocalFile> {
        self.lock().get(key).cloned()
    }

    fn signature(&self, key: &str, content_type: &str, content_length: u64, expires: i64) -> String {
        let tag = hmac::sign(&self.key, &signed_message(key, content_type, content_length, expires));
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    }

    /// The files; a panic while they were held does not lose them, as no
    /// change to them can be left half done.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, LocalFile>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a signature covers: each part preceded by its length, so that no
/// two different uploads (a `/` or a digit moved from one part to the
/// next) read as the same message.
fn signed_message(key: &str, content_type: &str, content_length: u64, expires: i64) -> Vec<u8> {
    let mut message = b"estate-local-upload-v1".to_vec();
    for part in [key.as_bytes(), content_type.as_bytes(), &content_length.to_be_bytes(), &expires.to_be_bytes()] {
        message.extend_from_slice(&(part.len() as u64).to_be_bytes());
        message.extend_from_slice(part);
    }
    message
}

impl BlobStore for LocalBlobs {
    async fn upload_target(
        &self,
        key: &str,
        content_type: PhotoType,
        size: PhotoSize,
        now: Timestamp,
    ) -> Result<UploadTarget, BlobError> {
        let expires = upload_expires_at(now);
        let signature = self.signature(key, content_type.code(), size.bytes(), expires);
        Ok(UploadTarget {
            url: format!("{}/{key}?expires={expires}&signature={signature}", self.base),
            headers: vec![
                ("content-type".to_owned(), content_type.code().to_owned()),
                ("content-length".to_owned(), size.bytes().to_string()),
            ],
            expires_at: Timestamp::from_unix_seconds(expires),
        })
    }

    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        Ok(self.lock().get(key).map(|blob| blob.bytes.clone()))
    }

    async fn write(&self, key: &str, bytes: Vec<u8>, content_type: &'static str) -> Result<(), BlobError> {
        let blob = LocalFile { bytes, content_type: content_type.to_owned(), cache_control: Some(IMMUTABLE) };
        self.lock().insert(key.to_owned(), blob);
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<(), BlobError> {
        if prefix.is_empty() {
            return Err(BlobError::Internal("refusing to delete every file (an empty prefix)".into()));
        }
        self.lock().retain(|key, _| !key.starts_with(prefix));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "uploads/0198c8a2-1f00-7000-8000-000000000001/0198c8a2-1f00-7000-8000-000000000002";
    const NOW: i64 = 1_767_225_600;

    /// The upload URL's parts, as the local server reads them.
    struct Issued {
        key: String,
        expires: i64,
        signature: String,
    }

    async fn issue(blobs: &LocalBlobs) -> (UploadTarget, Issued) {
        let size = PhotoSize::parse(4096).unwrap();
        let target = blobs.upload_target(KEY, PhotoType::Png, size, Timestamp::from_unix_seconds(NOW)).await.unwrap();
        let rest = target.url.strip_prefix("http://127.0.0.1:8080/").expect("the server's own address");
        let (key, query) = rest.split_once('?').unwrap();
        let (mut expires, mut signature) = (None, None);
        for pair in query.split('&') {
            match pair.split_once('=').unwrap() {
                ("expires", value) => expires = Some(value.parse().unwrap()),
                ("signature", value) => signature = Some(value.to_owned()),
                (other, _) => panic!("unexpected parameter {other}"),
            }
        }
        let issued = Issued { key: key.to_owned(), expires: expires.unwrap(), signature: signature.unwrap() };
        (target, issued)
    }

    #[tokio::test]
    async fn an_upload_url_admits_exactly_its_type_size_and_key_until_it_expires() {
        let blobs = LocalBlobs::new("http://127.0.0.1:8080/");
        let (target, url) = issue(&blobs).await;
        assert_eq!(url.key, KEY);
        assert_eq!(url.expires, NOW + 900);
        assert_eq!(target.expires_at, Timestamp::from_unix_seconds(NOW + 900));
        assert_eq!(
            target.headers,
            [("content-type".to_owned(), "image/png".to_owned()), ("content-length".to_owned(), "4096".to_owned())]
        );
        assert!(!url.signature.contains('='), "base64url without padding");

        let now = Timestamp::from_unix_seconds(NOW + 899);
        let verify = |key: &str, content_type: &str, length: u64, expires: i64, signature: &str| {
            blobs.verify_upload(key, content_type, length, expires, signature, now)
        };
        assert_eq!(verify(KEY, "image/png", 4096, url.expires, &url.signature), Ok(()));

        let other_key = KEY.replace("0002", "0003");
        let mut other_signature = url.signature.clone();
        other_signature.replace_range(..1, if url.signature.starts_with('A') { "B" } else { "A" });
        for (what, refused) in [
            ("key", verify(&other_key, "image/png", 4096, url.expires, &url.signature)),
            ("type", verify(KEY, "image/jpeg", 4096, url.expires, &url.signature)),
            ("size", verify(KEY, "image/png", 4097, url.expires, &url.signature)),
            ("expiry", verify(KEY, "image/png", 4096, url.expires + 3600, &url.signature)),
            ("signature", verify(KEY, "image/png", 4096, url.expires, &other_signature)),
            ("unreadable signature", verify(KEY, "image/png", 4096, url.expires, "not base64!")),
            ("no signature", verify(KEY, "image/png", 4096, url.expires, "")),
        ] {
            assert_eq!(refused, Err(UploadRefused::NotSigned), "another {what}");
        }

        let at = |seconds| blobs.verify_upload(KEY, "image/png", 4096, url.expires, &url.signature, seconds);
        assert_eq!(at(Timestamp::from_unix_seconds(NOW + 900)), Err(UploadRefused::Expired));
        assert_eq!(at(Timestamp::from_unix_seconds(NOW + 86_400)), Err(UploadRefused::Expired));
    }

    #[tokio::test]
    async fn another_instance_refuses_the_url() {
        let (_, url) = issue(&LocalBlobs::new("http://127.0.0.1:8080")).await;
        let restarted = LocalBlobs::new("http://127.0.0.1:8080");
        let now = Timestamp::from_unix_seconds(NOW);
        assert_eq!(
            restarted.verify_upload(KEY, "image/png", 4096, url.expires, &url.signature, now),
            Err(UploadRefused::NotSigned)
        );
    }

    #[tokio::test]
    async fn files_are_kept_with_their_type_and_removed_by_prefix() {
        let blobs = LocalBlobs::new("http://127.0.0.1:8080");
        let shared = blobs.clone();
        blobs.put_upload("uploads/p/a", b"raw".to_vec(), "image/png");
        blobs.write("photos/p/a/320.jpg", b"small".to_vec(), "image/jpeg").await.unwrap();
        blobs.write("photos/p/a/1280.jpg", b"large".to_vec(), "image/jpeg").await.unwrap();
        blobs.write("photos/q/b/320.jpg", b"other".to_vec(), "image/jpeg").await.unwrap();

        assert_eq!(shared.read("uploads/p/a").await, Ok(Some(b"raw".to_vec())), "clones share the files");
        let derivative =
            LocalFile { bytes: b"small".to_vec(), content_type: "image/jpeg".into(), cache_control: Some(IMMUTABLE) };
        assert_eq!(shared.file("photos/p/a/320.jpg"), Some(derivative));
        assert_eq!(shared.file("uploads/p/a").unwrap().cache_control, None, "an upload is not for caches");
        assert_eq!(blobs.read("photos/p/a/640.jpg").await, Ok(None));

        blobs.delete_prefix("photos/p/").await.unwrap();
        assert_eq!(blobs.read("photos/p/a/320.jpg").await, Ok(None));
        assert_eq!(blobs.read("photos/p/a/1280.jpg").await, Ok(None));
        assert_eq!(blobs.read("photos/q/b/320.jpg").await, Ok(Some(b"other".to_vec())));
        assert_eq!(blobs.read("uploads/p/a").await, Ok(Some(b"raw".to_vec())));
        blobs.delete_prefix("photos/none/").await.unwrap();
        assert!(matches!(blobs.delete_prefix("").await, Err(BlobError::Internal(_))));
        assert!(format!("{blobs:?}").contains("<redacted>"));
    }
}
