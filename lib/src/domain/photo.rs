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

/// One derivative of a ready photo: a JPEG of this size, at
/// `derivative_key(property, photo, width)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerivativeSize {
    pub width: u32,
    pub height: u32,
}

/// What processing made of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoOutcome {
    /// Checked and resized: the upright size of the original, and the
    /// derivatives written, narrowest first.
    Ready { width: u32, height: u32, derivatives: Vec<DerivativeSize> },
    /// Refused, with a reason the owner can act on.
    Rejected { reason: String },
}

/// How long processing may take after an upload URL expires before a
/// photo still pending is given up: it then no longer shows or counts,
/// and the listing's next write drops it.
pub const PROCESSING_GRACE_SECONDS: i64 = 15 * 60;

/// One photo of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub id: PhotoId,
    pub content_type: PhotoType,
    pub size: PhotoSize,
    pub caption: PhotoCaption,
    pub created_at: Timestamp,
    /// `None` while pending.
    pub outcome: Option<PhotoOutcome>,
}

impl Photo {
    /// A photo announced `now`, pending until its upload is processed.
    pub fn announce(upload: PhotoUpload, now: Timestamp) -> Self {
        let PhotoUpload { content_type, size, caption } = upload;
        Self { id: PhotoId::generate(), content_type, size, caption, created_at: now, outcome: None }
    }

    pub fn status(&self) -> PhotoStatus {
        match self.outcome {
            None => PhotoStatus::Pending,
            Some(PhotoOutcome::Ready { .. }) => PhotoStatus::Ready,
            Some(PhotoOutcome::Rejected { .. }) => PhotoStatus::Rejected,
        }
    }

    /// Whether the photo is still pending long after its upload URL
    /// expired: its upload never came (or could not be processed).
    pub fn abandoned(&self, now: Timestamp) -> bool {
        self.outcome.is_none() && now.unix_seconds() >= upload_expires_at(self.created_at) + PROCESSING_GRACE_SECONDS
    }

    /// The derivatives, when ready.
    pub fn derivatives(&self) -> &[DerivativeSize] {
        match &self.outcome {
            Some(PhotoOutcome::Ready { derivatives, .. }) => derivatives,
            _ => &[],
        }
    }
}

/// The changes an owner may make to a photo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoChanges {
    pub caption: Option<PhotoCaption>,
    /// The new 0-based position; past the end moves it to the end.
    pub position: Option<usize>,
}

/// Why a photo could not be settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleRefused {
    /// The listing has no such photo (any more).
    Gone,
    /// Its outcome was recorded already (the upload was processed twice).
    NotPending,
}

/// A listing's photos, first shown first: at most `MAX_PHOTOS`, not
/// counting abandoned ones. Positions are 0-based; moving or removing one
/// photo shifts the others, so positions always run 0, 1, 2, ...
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Photos(Vec<Photo>);

/// Why a photo cannot be added to a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoLimitReached;

impl Photos {
    pub fn new(photos: Vec<Photo>) -> Self {
        Self(photos)
    }

    pub fn as_slice(&self) -> &[Photo] {
        &self.0
    }

    pub fn get(&self, id: PhotoId) -> Option<&Photo> {
        self.0.iter().find(|photo| photo.id == id)
    }

    pub fn position(&self, id: PhotoId) -> Option<usize> {
        self.0.iter().position(|photo| photo.id == id)
    }

    /// The photos to show at `now`, with their positions: all but the
    /// abandoned ones.
    pub fn current(&self, now: Timestamp) -> impl Iterator<Item = (usize, &Photo)> {
        self.0.iter().enumerate().filter(move |(_, photo)| !photo.abandoned(now))
    }

    /// The first ready photo: the one a listing page shows.
    pub fn primary(&self) -> Option<(usize, &Photo)> {
        self.0.iter().enumerate().find(|(_, photo)| photo.status() == PhotoStatus::Ready)
    }

    /// Drops the abandoned photos and answers them.
    pub fn drop_abandoned(&mut self, now: Timestamp) -> Vec<Photo> {
        let (abandoned, kept) = std::mem::take(&mut self.0).into_iter().partition(|photo| photo.abandoned(now));
        self.0 = kept;
        abandoned
    }

    /// Appends `photo` as the last one; answers its position. (Drop the
    /// abandoned ones first, so that they do not count.)
    pub fn add(&mut self, photo: Photo) -> Result<usize, PhotoLimitReached> {
        if self.0.len() >= MAX_PHOTOS {
            return Err(PhotoLimitReached);
        }
        self.0.push(photo);
        Ok(self.0.len() - 1)
    }

    /// Applies `changes` to photo `id`; `None` if the listing has no such photo.
    pub fn change(&mut self, id: PhotoId, changes: &PhotoChanges) -> Option<usize> {
        let mut at = self.position(id)?;
        if let Some(caption) = &changes.caption {
            self.0[at].caption = caption.clone();
        }
        if let Some(position) = changes.position {
            let photo = self.0.remove(at);
            at = position.min(self.0.len());
            self.0.insert(at, photo);
        }
        Some(at)
    }

    /// Removes photo `id` and answers it, if the listing had it.
    pub fn remove(&mut self, id: PhotoId) -> Option<Photo> {
        let at = self.position(id)?;
        Some(self.0.remove(at))
    }

    /// Records what processing made of photo `id`, if it is still pending.
    pub fn settle(&mut self, id: PhotoId, outcome: PhotoOutcome) -> Result<(), SettleRefused> {
        let photo = self.0.iter_mut().find(|photo| photo.id == id).ok_or(SettleRefused::Gone)?;
        if photo.outcome.is_some() {
            return Err(SettleRefused::NotPending);
        }
        photo.outcome = Some(outcome);
        Ok(())
    }

    /// The ids of the photos in `self` that `after` no longer has: whose
    /// files are to be deleted.
    pub fn removed_in(&self, after: &Photos) -> Vec<PhotoId> {
        self.0.iter().map(|photo| photo.id).filter(|id| after.get(*id).is_none()).collect()
    }
}

/// Where processed files live: the key of one derivative in the blob store.
/// Each file gets a key of its own, never reused, so it can be cached
/// forever.
pub fn derivative_key(property: PropertyId, photo: PhotoId, width: u32) -> String {
    format!("photos/{property}/{photo}/{width}.jpg")
}

/// Where every derivative of a photo lives: deleted with the photo.
pub fn photo_files_prefix(property: PropertyId, photo: PhotoId) -> String {
    format!("photos/{property}/{photo}/")
}

/// Where an upload waits to be processed; removed once it is.
pub fn upload_key(property: PropertyId, photo: PhotoId) -> String {
    format!("uploads/{property}/{photo}")
}

/// The listing and photo an upload key names, if it is one.
pub fn parse_upload_key(key: &str) -> Option<(PropertyId, PhotoId)> {
    let (property, photo) = key.strip_prefix("uploads/")?.split_once('/')?;
    Some((PropertyId::parse(property)?, PhotoId::parse(photo)?))
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

    fn photo(now: Timestamp) -> Photo {
        let upload = PhotoUpload {
            content_type: PhotoType::Jpeg,
            size: PhotoSize::parse(1000).unwrap(),
            caption: PhotoCaption::default(),
        };
        Photo::announce(upload, now)
    }

    fn ids(photos: &Photos) -> Vec<PhotoId> {
        photos.as_slice().iter().map(|photo| photo.id).collect()
    }

    #[test]
    fn moving_or_removing_a_photo_shifts_the_others() {
        let now = Timestamp::now();
        let [a, b, c, d] = [photo(now), photo(now), photo(now), photo(now)];
        let mut photos = Photos::new(vec![a.clone(), b.clone(), c.clone(), d.clone()]);
        let to_front = PhotoChanges { position: Some(0), ..PhotoChanges::default() };
        assert_eq!(photos.change(d.id, &to_front), Some(0));
        assert_eq!(ids(&photos), [d.id, a.id, b.id, c.id]);
        let past_the_end = PhotoChanges { position: Some(99), ..PhotoChanges::default() };
        assert_eq!(photos.change(d.id, &past_the_end), Some(3), "past the end: the end");
        assert_eq!(ids(&photos), [a.id, b.id, c.id, d.id]);
        assert_eq!(photos.change(PhotoId::generate(), &to_front), None);
        let before = photos.clone();
        assert_eq!(photos.remove(b.id).map(|photo| photo.id), Some(b.id));
        assert_eq!(photos.remove(b.id), None);
        assert_eq!((ids(&photos), photos.position(d.id)), (vec![a.id, c.id, d.id], Some(2)));
        assert_eq!(before.removed_in(&photos), [b.id]);
    }

    #[test]
    fn a_listing_holds_at_most_fifty_photos_not_counting_abandoned_ones() {
        let now = Timestamp::now();
        let long_ago = Timestamp::from_unix_seconds(now.unix_seconds() - UPLOAD_URL_SECONDS - PROCESSING_GRACE_SECONDS);
        let mut photos = Photos::default();
        let abandoned = photo(long_ago);
        assert!(abandoned.abandoned(now) && !photo(now).abandoned(now));
        photos.add(abandoned.clone()).unwrap();
        for position in 1..MAX_PHOTOS {
            assert_eq!(photos.add(photo(now)), Ok(position));
        }
        assert_eq!(photos.add(photo(now)), Err(PhotoLimitReached));
        assert_eq!(photos.current(now).count(), MAX_PHOTOS - 1, "the abandoned photo is not shown");
        assert_eq!(photos.drop_abandoned(now), [abandoned]);
        assert_eq!(photos.add(photo(now)), Ok(MAX_PHOTOS - 1));
    }

    #[test]
    fn a_photo_is_settled_once_and_the_first_ready_one_is_primary() {
        let now = Timestamp::now();
        let (first, second) = (photo(now), photo(now));
        let mut photos = Photos::new(vec![first.clone(), second.clone()]);
        assert_eq!(photos.primary(), None);
        let ready = PhotoOutcome::Ready {
            width: 640,
            height: 480,
            derivatives: vec![DerivativeSize { width: 320, height: 240 }],
        };
        assert_eq!(photos.settle(second.id, ready.clone()), Ok(()));
        assert_eq!(photos.settle(second.id, ready), Err(SettleRefused::NotPending));
        assert_eq!(
            photos.settle(PhotoId::generate(), PhotoOutcome::Rejected { reason: "x".into() }),
            Err(SettleRefused::Gone)
        );
        assert_eq!(photos.primary().map(|(at, photo)| (at, photo.id)), Some((1, second.id)));
        assert_eq!(photos.get(second.id).unwrap().derivatives(), [DerivativeSize { width: 320, height: 240 }]);
        photos.settle(first.id, PhotoOutcome::Rejected { reason: "not a JPEG".into() }).unwrap();
        assert_eq!(photos.get(first.id).unwrap().status(), PhotoStatus::Rejected);
        assert_eq!(photos.primary().map(|(at, _)| at), Some(1), "a rejected photo is never primary");
    }

    #[test]
    fn every_file_has_a_key_of_its_own() {
        let property = PropertyId::generate();
        let (first, second) = (PhotoId::generate(), PhotoId::generate());
        assert_ne!(derivative_key(property, first, 320), derivative_key(property, second, 320));
        assert_ne!(derivative_key(property, first, 320), derivative_key(property, first, 1280));
        assert_eq!(upload_key(property, first), format!("uploads/{property}/{first}"));
        assert!(derivative_key(property, first, 320).starts_with(&photo_files_prefix(property, first)));
        assert_eq!(parse_upload_key(&upload_key(property, first)), Some((property, first)));
        assert_eq!(parse_upload_key(&format!("photos/{property}/{first}")), None);
        assert_eq!(parse_upload_key(&format!("uploads/{property}/not-an-id")), None);
    }
}
