//! The rules of a listing's photos that hold wherever they are checked:
//! what may be uploaded, and what processing keeps of it.

super::closed_list!(
    /// The image types a photo may be uploaded as, by media type: those
    /// every browser shows and every camera or phone exports.
    PhotoType {
        Jpeg = "image/jpeg",
        Png = "image/png",
        Webp = "image/webp",
    }
);

/// The largest upload: 15 MiB, the size of a full-resolution phone photo
/// with room to spare.
pub const MAX_PHOTO_BYTES: u64 = 15 * 1024 * 1024;

/// The most photos one listing may have.
pub const MAX_PHOTOS: usize = 50;

/// The most pixels an upload may have: 40 megapixels (a 7,700 × 5,200
/// camera frame). Decoding allocates 4 bytes a pixel, so this bounds the
/// memory one photo can take before a single pixel is decoded.
pub const MAX_PHOTO_PIXELS: u64 = 40_000_000;

/// The widths of the derivatives served for each photo: a thumbnail for
/// listing pages and a large view. Never wider than the upload.
pub const DERIVATIVE_WIDTHS: [u32; 2] = [320, 1280];

use super::{Invalid, PhotoId, PropertyId, Timestamp, text};

/// A photo's caption: at most 300 characters on one line, possibly empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhotoCaption(String);

impl PhotoCaption {
    pub const MAX_LENGTH: usize = 300;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.trim().is_empty() {
            return Ok(Self::default());
        }
        text::single_line(raw, 0, Self::MAX_LENGTH).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The size of an upload in bytes: 1 to `MAX_PHOTO_BYTES`. The upload URL
/// is signed for exactly this size, so the store refuses any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoSize(u64);

impl PhotoSize {
    pub fn parse(bytes: u64) -> Result<Self, Invalid> {
        if (1..=MAX_PHOTO_BYTES).contains(&bytes) {
            Ok(Self(bytes))
        } else {
            Err(Invalid(format!("must be from 1 to {MAX_PHOTO_BYTES} bytes (15 MiB)")))
        }
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

super::closed_list!(
    /// Where a photo stands: `pending` until its upload is processed, then
    /// `ready` (its derivatives are served) or `rejected` (with a reason).
    PhotoStatus {
        Pending = "pending",
        Ready = "ready",
        Rejected = "rejected",
    }
);

/// What a listing's owner announces before uploading a photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoUpload {
    pub content_type: PhotoType,
    pub size: PhotoSize,
    pub caption: PhotoCaption,
}

/// The order of a listing's photos, first shown first: at most
/// `MAX_PHOTOS`, each once. Positions are 0-based; moving or removing one
/// photo shifts the others, so positions always run 0, 1, 2, ...
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoOrder<Id>(Vec<Id>);

/// Why a photo cannot be added to a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoLimitReached;

impl<Id: Copy + PartialEq> PhotoOrder<Id> {
    pub fn new(ids: Vec<Id>) -> Self {
        Self(ids)
    }

    pub fn as_slice(&self) -> &[Id] {
        &self.0
    }

    pub fn position(&self, id: Id) -> Option<usize> {
        self.0.iter().position(|other| *other == id)
    }

    /// Appends `id` as the last photo.
    pub fn push(&mut self, id: Id) -> Result<usize, PhotoLimitReached> {
        if self.0.len() >= MAX_PHOTOS {
            return Err(PhotoLimitReached);
        }
        self.0.push(id);
        Ok(self.0.len() - 1)
    }

    /// Moves `id` to `position` (past the end: to the end); `None` if the
    /// listing has no such photo.
    pub fn move_to(&mut self, id: Id, position: usize) -> Option<usize> {
        let from = self.position(id)?;
        self.0.remove(from);
        let to = position.min(self.0.len());
        self.0.insert(to, id);
        Some(to)
    }

    /// Removes `id`; whether the listing had it.
    pub fn remove(&mut self, id: Id) -> bool {
        let before = self.0.len();
        self.0.retain(|other| *other != id);
        self.0.len() != before
    }
}

/// Where processed files live: the key of one derivative in the blob store.
/// Each file gets a key of its own, never reused, so it can be cached
/// forever.
pub fn derivative_key(property: PropertyId, photo: PhotoId, width: u32) -> String {
    format!("photos/{property}/{photo}/{width}.jpg")
}

/// Where an upload waits to be processed; removed once it is.
pub fn upload_key(property: PropertyId, photo: PhotoId) -> String {
    format!("uploads/{property}/{photo}")
}

/// How long an upload URL stays valid.
pub const UPLOAD_URL_SECONDS: i64 = 15 * 60;

/// When an upload URL issued `now` expires.
pub fn upload_expires_at(now: Timestamp) -> i64 {
    now.unix_seconds() + UPLOAD_URL_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_one_of_three_types_and_at_most_15_mib() {
        assert_eq!(PhotoType::parse("image/webp"), Ok(PhotoType::Webp));
        assert!(PhotoType::parse("image/gif").is_err());
        assert!(PhotoType::parse("IMAGE/JPEG").is_err());
        assert_eq!(PhotoSize::parse(MAX_PHOTO_BYTES).map(PhotoSize::bytes), Ok(15_728_640));
        assert!(PhotoSize::parse(MAX_PHOTO_BYTES + 1).is_err());
        assert!(PhotoSize::parse(0).is_err());
    }

    #[test]
    fn captions_are_one_line_and_may_be_empty() {
        assert_eq!(PhotoCaption::parse("  ").unwrap().as_str(), "");
        assert_eq!(PhotoCaption::parse(" Kitchen, south light ").unwrap().as_str(), "Kitchen, south light");
        assert!(PhotoCaption::parse("two\nlines").is_err());
        assert!(PhotoCaption::parse(&"x".repeat(PhotoCaption::MAX_LENGTH + 1)).is_err());
    }

    #[test]
    fn moving_or_removing_a_photo_shifts_the_others() {
        let mut order = PhotoOrder::new(vec!['a', 'b', 'c', 'd']);
        assert_eq!(order.move_to('d', 0), Some(0));
        assert_eq!(order.as_slice(), ['d', 'a', 'b', 'c']);
        assert_eq!(order.move_to('d', 99), Some(3), "past the end: the end");
        assert_eq!(order.as_slice(), ['a', 'b', 'c', 'd']);
        assert_eq!(order.move_to('z', 0), None);
        assert!(order.remove('b'));
        assert!(!order.remove('b'));
        assert_eq!((order.as_slice(), order.position('d')), (&['a', 'c', 'd'][..], Some(2)));
    }

    #[test]
    fn a_listing_holds_at_most_fifty_photos() {
        let mut order = PhotoOrder::default();
        for id in 0..MAX_PHOTOS {
            assert_eq!(order.push(id), Ok(id));
        }
        assert_eq!(order.push(MAX_PHOTOS), Err(PhotoLimitReached));
        assert_eq!(order.as_slice().len(), MAX_PHOTOS);
    }

    #[test]
    fn every_file_has_a_key_of_its_own() {
        let property = PropertyId::generate();
        let (first, second) = (PhotoId::generate(), PhotoId::generate());
        assert_ne!(derivative_key(property, first, 320), derivative_key(property, second, 320));
        assert_ne!(derivative_key(property, first, 320), derivative_key(property, first, 1280));
        assert_eq!(upload_key(property, first), format!("uploads/{property}/{first}"));
        assert!(derivative_key(property, first, 320).starts_with(&format!("photos/{property}/")));
    }
}
