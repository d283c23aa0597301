//! A listing's photo, as its property item holds it: in a list, in the
//! order they are shown (see docs/data-model.md#photos). The table's
//! stream reads `id` of each to delete the files of those that disappear.

use super::corrupt;
use crate::domain::{
    DerivativeSize, Photo, PhotoCaption, PhotoId, PhotoOutcome, PhotoSize, PhotoStatus, PhotoType, PropertyId,
    Timestamp,
};
use crate::store::StoreResult;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhotoItem {
    id: PhotoId,
    content_type: PhotoType,
    size: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    caption: String,
    created_at: Timestamp,
    status: PhotoStatus,
    /// When ready: the upright size of the original, and each
    /// derivative's `[width, height]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size_px: Option<[u32; 2]>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    derivatives: Vec<[u32; 2]>,
    /// When rejected: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl PhotoItem {
    /// The attribute of the property item that holds its photos.
    pub const LIST: &str = "photos";
    /// The attribute of each photo that holds its id.
    pub const ID: &str = "id";

    pub fn from_domain(photo: &Photo) -> Self {
        let (size_px, derivatives, reason) = match &photo.outcome {
            None => (None, Vec::new(), None),
            Some(PhotoOutcome::Ready { width, height, derivatives }) => {
                (Some([*width, *height]), derivatives.iter().map(|d| [d.width, d.height]).collect(), None)
            }
            Some(PhotoOutcome::Rejected { reason }) => (None, Vec::new(), Some(reason.clone())),
        };
        Self {
            id: photo.id,
            content_type: photo.content_type,
            size: photo.size.bytes(),
            caption: photo.caption.as_str().into(),
            created_at: photo.created_at,
            status: photo.status(),
            size_px,
            derivatives,
            reason,
        }
    }

    pub fn to_domain(&self, property: PropertyId) -> StoreResult<Photo> {
        let bad = |why: crate::domain::Invalid| corrupt("photo of property", property, why);
        let outcome = match (self.status, self.size_px) {
            (PhotoStatus::Pending, _) => None,
            (PhotoStatus::Ready, Some([width, height])) => Some(PhotoOutcome::Ready {
                width,
                height,
                derivatives: self.derivatives.iter().map(|&[width, height]| DerivativeSize { width, height }).collect(),
            }),
            (PhotoStatus::Ready, None) => return Err(corrupt("photo of property", property, "ready without a size")),
            (PhotoStatus::Rejected, _) => {
                Some(PhotoOutcome::Rejected { reason: self.reason.clone().unwrap_or_default() })
            }
        };
        Ok(Photo {
            id: self.id,
            content_type: self.content_type,
            size: PhotoSize::parse(self.size).map_err(bad)?,
            caption: PhotoCaption::parse(&self.caption).map_err(bad)?,
            created_at: self.created_at,
            outcome,
        })
    }
}
