//! What happens to a photo's files once the API has announced it: the
//! media function runs this on each upload (an S3 event) and on each
//! change of a property item (the table's stream); the local server runs
//! the same code in process.
//!
//! - `handle_upload`: the upload is checked and resized (`process`), its
//!   derivatives written under keys of their own, the outcome recorded on
//!   the photo by one conditional write, and the upload deleted. Sent
//!   twice, the second finds no upload and does nothing.
//! - `forget`: the files of photos that are gone (deleted, abandoned, or
//!   with their property or account) are deleted.

pub mod events;
pub mod process;
#[cfg(any(test, feature = "local"))]
pub mod samples;

use crate::blobs::{BlobError, BlobStore};
use crate::domain::{
    DerivativeSize, PhotoId, PhotoOutcome, PhotoStatus, PropertyId, SettleRefused, Timestamp, derivative_key,
    parse_upload_key, photo_files_prefix, upload_key,
};
use crate::store::{PhotoStore, PropertyStore, StoreError};

pub use process::{Derivative, Processed, Rejection, process};

/// Why a file could not be handled; the event is then retried.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blobs(#[from] BlobError),
}

/// What became of one upload (for the logs and the tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Ready,
    Rejected(String),
    /// Nothing to do: not an upload key, no such upload (processed
    /// already), or a photo no longer pending or gone.
    Skipped(&'static str),
}

/// Processes the upload at `key`, as its S3 event (or the local server's
/// upload route) announces it.
pub async fn handle_upload<S, B>(store: &S, blobs: &B, key: &str) -> Result<Handled, MediaError>
where
    S: PropertyStore + PhotoStore,
    B: BlobStore,
{
    let Some((property, photo)) = parse_upload_key(key) else { return Ok(Handled::Skipped("not an upload key")) };
    let Some(bytes) = blobs.read(key).await? else { return Ok(Handled::Skipped("no such upload: processed already")) };
    let declared = store
        .get_property(property)
        .await?
        .and_then(|(listing, _)| listing.photos.get(photo).filter(|p| p.status() == PhotoStatus::Pending).cloned());
    let Some(declared) = declared else {
        blobs.delete_prefix(key).await?;
        return Ok(Handled::Skipped("the photo is gone or processed already"));
    };
    // Decoding is CPU work: off the runtime's thread.
    let processed = tokio::task::spawn_blocking(move || {
        if bytes.len() as u64 != declared.size.bytes() {
            return Err(Rejection::Unreadable(format!(
                "the upload has {} bytes, not the {} announced",
                bytes.len(),
                declared.size.bytes()
            )));
        }
        process(&bytes, declared.content_type)
    })
    .await
    .map_err(|panic| StoreError::Internal(format!("processing a photo panicked: {panic}")))?;
    let (outcome, handled) = match processed {
        Ok(processed) => {
            let mut sizes = Vec::new();
            for derivative in processed.derivatives {
                let derivative_key = derivative_key(property, photo, derivative.width);
                blobs.write(&derivative_key, derivative.jpeg, "image/jpeg").await?;
                sizes.push(DerivativeSize { width: derivative.width, height: derivative.height });
            }
            let outcome = PhotoOutcome::Ready { width: processed.width, height: processed.height, derivatives: sizes };
            (outcome, Handled::Ready)
        }
        Err(rejection) => {
            let reason = rejection.to_string();
            (PhotoOutcome::Rejected { reason: reason.clone() }, Handled::Rejected(reason))
        }
    };
    let handled = match store.settle_photo(property, photo, &outcome, Timestamp::now()).await? {
        Ok(_) => handled,
        // Deleted while it was processed: its derivatives go too.
        Err(SettleRefused::Gone) => {
            blobs.delete_prefix(&photo_files_prefix(property, photo)).await?;
            Handled::Skipped("the photo was deleted while it was processed")
        }
        // Processed twice at once: the other run recorded the same outcome.
        Err(SettleRefused::NotPending) => Handled::Skipped("the photo was processed already"),
    };
    blobs.delete_prefix(key).await?;
    Ok(handled)
}

/// Deletes every file of the photos that are gone.
pub async fn forget<B: BlobStore>(blobs: &B, photos: &[(PropertyId, PhotoId)]) -> Result<(), BlobError> {
    for &(property, photo) in photos {
        blobs.delete_prefix(&upload_key(property, photo)).await?;
        blobs.delete_prefix(&photo_files_prefix(property, photo)).await?;
    }
    Ok(())
}
