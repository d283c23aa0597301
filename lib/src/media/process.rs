//! The pixels of an upload: decode within limits, turn the pixels upright
//! by the EXIF orientation, and encode derivatives that carry no metadata
//! at all, so no GPS position or camera serial leaves the platform.
//!
//! Uploads are untrusted bytes. Before any pixel is decoded the header must
//! name the declared type and at most `MAX_PHOTO_PIXELS` pixels, and the
//! decoder's own allocation limit backs that up: a small file that claims
//! a huge image (a decompression bomb) is refused, not allocated.

use crate::domain::{DERIVATIVE_WIDTHS, MAX_PHOTO_PIXELS, PhotoType};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The quality of the JPEG derivatives: visually lossless for photos at a
/// fraction of the size.
const JPEG_QUALITY: u8 = 82;

/// What processing keeps of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// Of the upright photo.
    pub width: u32,
    pub height: u32,
    /// One per width of `DERIVATIVE_WIDTHS` (fewer when the photo is
    /// narrower: never upscaled), narrowest first.
    pub derivatives: Vec<Derivative>,
}

/// A JPEG of the photo at one width, without any metadata.
#[derive(Clone, PartialEq, Eq)]
pub struct Derivative {
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

impl std::fmt::Debug for Derivative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Derivative({}×{}, {} bytes)", self.width, self.height, self.jpeg.len())
    }
}

/// Why an upload is refused: the reason a rejected photo shows its owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the file is not a {declared} image (it reads as {found})")]
    NotTheDeclaredType { declared: &'static str, found: String },
    #[error("the image has {pixels} pixels; at most {MAX_PHOTO_PIXELS} are accepted")]
    TooManyPixels { pixels: u64 },
    #[error("the image cannot be read: {0}")]
    Unreadable(String),
}

/// Processes the upload `bytes`, declared as `declared`.
pub fn process(bytes: &[u8], declared: PhotoType) -> Result<Processed, Rejection> {
    let unreadable = |error: image::ImageError| Rejection::Unreadable(error.to_string());
    let reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| Rejection::Unreadable(e.to_string()))?;
    let expected = format_of(declared);
    if reader.format() != Some(expected) {
        let found =
            reader.format().map_or_else(|| "nothing known".to_owned(), |format| format!("{format:?}").to_uppercase());
        return Err(Rejection::NotTheDeclaredType { declared: declared.code(), found });
    }
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PHOTO_PIXELS {
        return Err(Rejection::TooManyPixels { pixels });
    }
    let mut limits = Limits::default();
    // Four bytes a pixel, and as much again for the decoder's own buffers.
    limits.max_alloc = Some(MAX_PHOTO_PIXELS * 8);
    decoder.set_limits(limits).map_err(unreadable)?;
    let orientation = decoder.orientation().map_err(unreadable)?;
    let mut photo = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    photo.apply_orientation(orientation);
    let derivatives = derivative_widths(photo.width())
        .into_iter()
        .map(|width| derive(&photo, width))
        .collect::<Result<_, _>>()
        .map_err(unreadable)?;
    Ok(Processed { width: photo.width(), height: photo.height(), derivatives })
}

fn format_of(declared: PhotoType) -> ImageFormat {
    match declared {
        PhotoType::Jpeg => ImageFormat::Jpeg,
        PhotoType::Png => ImageFormat::Png,
        PhotoType::Webp => ImageFormat::WebP,
    }
}

/// The widths to derive for a photo `width` pixels wide: each of
/// `DERIVATIVE_WIDTHS`, but no wider than the photo, without repeats.
fn derivative_widths(width: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = DERIVATIVE_WIDTHS.iter().map(|target| (*target).min(width)).collect();
    widths.dedup();
    widths
}

fn derive(photo: &DynamicImage, width: u32) -> image::ImageResult<Derivative> {
    let height = (u64::from(photo.height()) * u64::from(width) / u64::from(photo.width().max(1))).max(1);
    let height = u32::try_from(height).unwrap_or(u32::MAX);
    let resized = photo.resize_exact(width, height, FilterType::Lanczos3);
    let mut jpeg = Vec::new();
    // A fresh encoder writes pixels only: no EXIF, no ICC, no comment.
    resized.to_rgb8().write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY))?;
    Ok(Derivative { width, height, jpeg })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::samples::{camera_jpeg, exif_with_orientation_and_gps, png, png_claiming};

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|window| window == needle)
    }

    #[test]
    fn a_camera_photo_is_turned_upright_and_loses_its_metadata() {
        let upload = camera_jpeg(Some(exif_with_orientation_and_gps()));
        assert!(contains(&upload, b"Exif\0\0"), "the fixture carries EXIF");
        let processed = process(&upload, PhotoType::Jpeg).unwrap();
        // Orientation 6: the 64 × 32 frame is shown 32 × 64, red on top.
        assert_eq!((processed.width, processed.height), (32, 64));
        assert_eq!(processed.derivatives.len(), 1, "a narrow photo is not upscaled");
        let derivative = &processed.derivatives[0];
        assert_eq!((derivative.width, derivative.height), (32, 64));
        assert!(!contains(&derivative.jpeg, b"Exif"), "no EXIF block");
        assert!(
            !contains(&derivative.jpeg, b"II\x2a\x00") && !contains(&derivative.jpeg, b"MM\x00\x2a"),
            "no TIFF data"
        );
        let shown = image::load_from_memory_with_format(&derivative.jpeg, ImageFormat::Jpeg).unwrap().to_rgb8();
        let (top, bottom) = (shown.get_pixel(16, 4), shown.get_pixel(16, 60));
        assert!(top[0] > 200 && top[2] < 60, "red on top: {top:?}");
        assert!(bottom[2] > 200 && bottom[0] < 60, "blue below: {bottom:?}");
    }

    #[test]
    fn derivatives_are_the_listed_widths_never_wider_than_the_photo() {
        let processed = process(&png(1600, 800), PhotoType::Png).unwrap();
        let sizes: Vec<(u32, u32)> = processed.derivatives.iter().map(|d| (d.width, d.height)).collect();
        assert_eq!(sizes, [(320, 160), (1280, 640)]);
        let processed = process(&png(800, 600), PhotoType::Png).unwrap();
        let sizes: Vec<(u32, u32)> = processed.derivatives.iter().map(|d| (d.width, d.height)).collect();
        assert_eq!(sizes, [(320, 240), (800, 600)]);
        for derivative in &processed.derivatives {
            assert_eq!(image::guess_format(&derivative.jpeg).unwrap(), ImageFormat::Jpeg);
        }
    }

    #[test]
    fn a_file_of_another_type_than_declared_is_refused() {
        let refused = process(&png(10, 10), PhotoType::Jpeg).unwrap_err();
        assert_eq!(refused, Rejection::NotTheDeclaredType { declared: "image/jpeg", found: "PNG".into() });
        let refused = process(b"just some text, not an image", PhotoType::Webp).unwrap_err();
        assert!(matches!(refused, Rejection::NotTheDeclaredType { .. }), "{refused:?}");
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_it_is_decoded() {
        // A valid PNG header claiming 100,000 × 100,000 pixels (40 GB of
        // pixels) with almost no data behind it.
        let refused = process(&png_claiming(100_000, 100_000), PhotoType::Png).unwrap_err();
        assert_eq!(refused, Rejection::TooManyPixels { pixels: 10_000_000_000 });
        // Just over the limit is refused too; at the limit, the header passes
        // and the missing data is what refuses it.
        let refused = process(&png_claiming(8_000, 5_001), PhotoType::Png).unwrap_err();
        assert_eq!(refused, Rejection::TooManyPixels { pixels: 40_008_000 });
        let refused = process(&png_claiming(8_000, 5_000), PhotoType::Png).unwrap_err();
        assert!(matches!(refused, Rejection::Unreadable(_)), "{refused:?}");
    }

    #[test]
    fn a_truncated_file_is_refused() {
        let upload = camera_jpeg(None);
        let cut = &upload[..upload.len() / 2];
        assert!(matches!(process(cut, PhotoType::Jpeg), Err(Rejection::Unreadable(_))));
        let upload = png(300, 200);
        assert!(matches!(process(&upload[..upload.len() - 20], PhotoType::Png), Err(Rejection::Unreadable(_))));
    }
}
