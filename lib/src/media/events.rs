//! The events the media function receives, read for what it needs: an S3
//! event names uploads, a DynamoDB stream event carries the property items
//! before and after a change (docs/data-model.md#photos), which also move
//! the listing in the map clusters (docs/data-model.md#map-clusters).

use super::{MediaError, forget, handle_upload};
use crate::blobs::BlobStore;
use crate::store::dynamodb::{listing_change, photos_removed_by};
use crate::store::{ClusterStore, PhotoStore, PropertyStore};
use serde_json::Value;

/// Handles every record of `event`, one after another; the first failure
/// fails the invocation, so that Lambda delivers the event again (every
/// step is safe to repeat).
pub async fn handle_event<S, B>(store: &S, blobs: &B, event: &Value) -> Result<(), MediaError>
where
    S: PropertyStore + PhotoStore + ClusterStore,
    B: BlobStore,
{
    let records = event["Records"].as_array().map(Vec::as_slice).unwrap_or_default();
    for record in records {
        match record["eventSource"].as_str() {
            Some("aws:s3") => {
                let Some(key) = record["s3"]["object"]["key"].as_str().map(decode_key) else {
                    tracing::warn!("an S3 record without an object key: skipped");
                    continue;
                };
                let handled = handle_upload(store, blobs, &key).await?;
                tracing::info!(key = %key, outcome = ?handled, "upload handled");
            }
            Some("aws:dynamodb") => {
                if let Some(change) = listing_change(record)? {
                    store.count_change(&change).await?;
                }
                let gone = photos_removed_by(record);
                if !gone.is_empty() {
                    forget(blobs, &gone).await?;
                    tracing::info!(photos = gone.len(), "files of removed photos deleted");
                }
            }
            other => tracing::warn!(source = ?other, "a record from an unexpected source: skipped"),
        }
    }
    Ok(())
}

/// An S3 event's object key, which S3 writes URL-encoded (`+` for a space).
fn decode_key(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes.get(at + 1..at + 3).and_then(|hex| std::str::from_utf8(hex).ok());
        match (bytes[at], hex.and_then(|hex| u8::from_str_radix(hex, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                at += 3;
                continue;
            }
            (b'+', _) => decoded.push(b' '),
            (byte, _) => decoded.push(byte),
        }
        at += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::decode_key;

    #[test]
    fn s3_keys_are_url_decoded() {
        assert_eq!(decode_key("uploads/a%2Fb/c+d%3D"), "uploads/a/b/c d=");
        assert_eq!(decode_key("plain/key"), "plain/key");
        assert_eq!(decode_key("bad%zz%4"), "bad%zz%4");
    }
}
