//! The blob store's two adapters, held to the same behaviours: a file
//! written is read back, a missing one reads as none, a prefix is removed
//! with nothing outside it, and an upload made as its target says lands.
//!
//! The S3 adapter runs on a fresh bucket of the S3-API server (moto) that
//! `make test` starts, which does not check signatures: what an upload URL
//! signs is checked offline, by the unit tests of `blobs::s3`.

use estate::aws::Limits;
use estate::blobs::{BlobError, BlobStore, IMMUTABLE, LocalBlobs, S3Blobs, UploadTarget};
use estate::domain::{PhotoSize, PhotoType, Timestamp};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Runs each case, an `async fn(impl BlobStore)`, on both adapters, as the
/// tests `<case>::local` and `<case>::s3`.
macro_rules! on_both_blob_stores {
    ($($case:ident),+ $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn local() {
                super::$case(super::local_blobs()).await;
            }

            #[tokio::test]
            #[ignore = "needs S3: set S3_TEST_ENDPOINT (make test does)"]
            async fn s3() {
                super::$case(super::s3_blobs().await).await;
            }
        }
    )+};
}

on_both_blob_stores!(a_file_written_is_read_back, a_prefix_is_removed_and_nothing_else);

async fn a_file_written_is_read_back(blobs: impl BlobStore) {
    let jpeg = b"\xff\xd8\xff\xe0 not really a JPEG".to_vec();
    blobs.write("photos/p/a/320.jpg", jpeg.clone(), "image/jpeg").await.unwrap();
    assert_eq!(blobs.read("photos/p/a/320.jpg").await, Ok(Some(jpeg)));
    assert_eq!(blobs.read("photos/p/a/1280.jpg").await, Ok(None), "a missing file");
    blobs.write("photos/p/a/320.jpg", b"again".to_vec(), "image/jpeg").await.unwrap();
    assert_eq!(blobs.read("photos/p/a/320.jpg").await, Ok(Some(b"again".to_vec())));
}

async fn a_prefix_is_removed_and_nothing_else(blobs: impl BlobStore) {
    let inside =
        ["photos/p/a/320.jpg", "photos/p/a/1280.jpg", "photos/p/b/320.jpg", "photos/p/b/1280.jpg", "photos/p/c"];
    let outside = ["photos/p2/a/320.jpg", "photos/q/a/320.jpg", "uploads/p/a"];
    for key in inside.iter().chain(&outside) {
        blobs.write(key, key.as_bytes().to_vec(), "image/jpeg").await.unwrap();
    }
    blobs.delete_prefix("photos/p/").await.unwrap();
    for key in inside {
        assert_eq!(blobs.read(key).await, Ok(None), "{key} is under the prefix");
    }
    for key in outside {
        assert_eq!(blobs.read(key).await, Ok(Some(key.as_bytes().to_vec())), "{key} is not under the prefix");
    }
    blobs.delete_prefix("photos/p/").await.expect("nothing left to remove is fine");
    assert!(matches!(blobs.delete_prefix("").await, Err(BlobError::Internal(_))), "never the whole store");
}

const UPLOAD_KEY: &str = "uploads/0198c8a2-1f00-7000-8000-000000000001/0198c8a2-1f00-7000-8000-000000000002";

async fn upload_target(blobs: &impl BlobStore, bytes: &[u8]) -> UploadTarget {
    let size = PhotoSize::parse(bytes.len() as u64).unwrap();
    blobs.upload_target(UPLOAD_KEY, PhotoType::Png, size, Timestamp::now()).await.unwrap()
}

// -- LocalBlobs ---------------------------------------------------------

fn local_blobs() -> LocalBlobs {
    LocalBlobs::new("http://127.0.0.1:8080")
}

/// What the local server does with a `PUT` to an upload URL: read its
/// query, check it against the request's headers, store the body.
#[tokio::test]
async fn an_upload_made_as_the_local_target_says_lands() {
    let blobs = local_blobs();
    let png = b"\x89PNG\r\n\x1a\n not really a PNG".to_vec();
    let target = upload_target(&blobs, &png).await;
    let path_and_query = target.url.strip_prefix("http://127.0.0.1:8080/").expect("the local server's address");
    let (key, query) = path_and_query.split_once('?').unwrap();
    let parameter = |name: &str| {
        query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('=')).unwrap_or_else(|| panic!("{name}"))
    };
    let header = |name: &str| target.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap();
    let content_length: u64 = header("content-length").parse().unwrap();
    let expires: i64 = parameter("expires").parse().unwrap();
    blobs
        .verify_upload(key, &header("content-type"), content_length, expires, parameter("signature"), Timestamp::now())
        .unwrap();
    blobs.put_upload(key, png.clone(), &header("content-type"));

    assert_eq!(blobs.read(UPLOAD_KEY).await, Ok(Some(png.clone())));
    let upload = blobs.file(UPLOAD_KEY).unwrap();
    assert_eq!((upload.bytes, upload.content_type), (png, "image/png".to_owned()));
}

// -- S3Blobs on moto -----------------------------------------------------

/// The S3-API server that `make test` starts (moto, the DynamoDB tests'
/// server: it serves every service on one port). Asked for without it, a
/// test fails here rather than passing without having run.
fn s3_test_endpoint() -> String {
    std::env::var("S3_TEST_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "S3_TEST_ENDPOINT is not set: this test needs an S3-API server. `make test` starts one; \
             or run `.venv/dev/bin/python scripts/dynamodb_server.py 127.0.0.1 PORT` and set \
             S3_TEST_ENDPOINT=http://127.0.0.1:PORT"
        )
    })
}

/// The limits of the test server's clients: the deployed ones but for the
/// times, as for the DynamoDB tests (that server answers one request at a
/// time, and the suite keeps it busy).
const TEST_SERVER_LIMITS: Limits =
    Limits { attempt: Duration::from_secs(30), call: Duration::from_secs(60), ..estate::blobs::s3::LIMITS };

/// A client of the S3-API server at `endpoint`, bounded by `limits`.
fn s3_client(endpoint: &str, limits: &Limits) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let builder = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"));
    aws_sdk_s3::Client::from_conf(estate::blobs::s3::client_config(builder, limits).build())
}

/// An adapter on a bucket of its own, listing two keys a page, so that
/// removing a prefix pages.
async fn s3_blobs() -> S3Blobs {
    let client = s3_client(&s3_test_endpoint(), &TEST_SERVER_LIMITS);
    let bucket = format!("test-{}", uuid::Uuid::now_v7());
    client.create_bucket().bucket(&bucket).send().await.expect("creating a test bucket");
    S3Blobs::new(client, bucket).with_list_page_size(2)
}

#[tokio::test]
#[ignore = "needs S3: set S3_TEST_ENDPOINT (make test does)"]
async fn a_derivative_is_stored_with_its_type_and_cached_forever() {
    let blobs = s3_blobs().await;
    blobs.write("photos/p/a/320.jpg", b"jpeg".to_vec(), "image/jpeg").await.unwrap();
    let head = blobs.client().head_object().bucket(blobs.bucket()).key("photos/p/a/320.jpg").send().await.unwrap();
    assert_eq!(head.content_type(), Some("image/jpeg"));
    assert_eq!(head.cache_control(), Some(IMMUTABLE));
}

#[tokio::test]
#[ignore = "needs S3: set S3_TEST_ENDPOINT (make test does)"]
async fn an_upload_made_as_the_s3_target_says_lands() {
    let blobs = s3_blobs().await;
    let png = b"\x89PNG\r\n\x1a\n not really a PNG".to_vec();
    let target = upload_target(&blobs, &png).await;
    let status = put(&target, &png).await;
    assert!(status.starts_with("HTTP/1.1 200") || status.starts_with("HTTP/1.0 200"), "{status}");
    assert_eq!(blobs.read(UPLOAD_KEY).await, Ok(Some(png)));
    let head = blobs.client().head_object().bucket(blobs.bucket()).key(UPLOAD_KEY).send().await.unwrap();
    assert_eq!(head.content_type(), Some("image/png"));
}

/// A file of a bucket that does not exist is a fault of ours, not "none".
#[tokio::test]
#[ignore = "needs S3: set S3_TEST_ENDPOINT (make test does)"]
async fn a_missing_bucket_is_an_internal_failure() {
    let blobs =
        S3Blobs::new(s3_client(&s3_test_endpoint(), &TEST_SERVER_LIMITS), format!("missing-{}", uuid::Uuid::now_v7()));
    assert!(matches!(blobs.read("photos/p/a/320.jpg").await, Err(BlobError::Internal(_))));
}

/// An S3 that cannot be reached is worth a retry: nothing listens on port 1.
#[tokio::test]
async fn an_unreachable_s3_is_unavailable() {
    let blobs = S3Blobs::new(s3_client("http://127.0.0.1:1", &estate::blobs::s3::LIMITS), "unreachable");
    assert!(matches!(blobs.read("photos/p/a/320.jpg").await, Err(BlobError::Unavailable(_))));
    assert!(matches!(blobs.write("photos/p/a/320.jpg", vec![1], "image/jpeg").await, Err(BlobError::Unavailable(_))));
    assert!(matches!(blobs.delete_prefix("photos/p/").await, Err(BlobError::Unavailable(_))));
}

/// A `PUT` of `body` to the target's URL with exactly its headers, as a
/// browser sends it, over plain HTTP/1.1; the response's status line.
async fn put(target: &UploadTarget, body: &[u8]) -> String {
    let rest = target.url.strip_prefix("http://").expect("the test server speaks plain HTTP");
    let (authority, path_and_query) = rest.split_at(rest.find('/').unwrap());
    let mut request = format!("PUT {path_and_query} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n");
    for (name, value) in &target.headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut response)).await.unwrap().unwrap();
    let response = String::from_utf8_lossy(&response);
    response.lines().next().unwrap_or_default().to_owned()
}
