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
