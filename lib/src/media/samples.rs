//! Images made here, for the tests and for trying the API out
//! (`cargo run -p local -- --sample-photo > photo.jpg`): what a phone
//! camera writes, with an orientation and a GPS position, and files that
//! are not what they claim.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ImageEncoder, Rgb, RgbImage};

/// A phone-like photo: 64 × 32 pixels as stored, red on its left half,
/// with EXIF orientation 6 and a GPS block.
pub fn phone_photo() -> Vec<u8> {
    camera_jpeg(Some(exif_with_orientation_and_gps()))
}

/// A little-endian EXIF block: orientation 6 (turn 90° clockwise to
/// show) and a GPS directory with a latitude reference, `N`.
pub fn exif_with_orientation_and_gps() -> Vec<u8> {
    let mut exif = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    // IFD0 at 8: two entries, then the next IFD (none).
    exif.extend_from_slice(&[2, 0]);
    exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]); // Orientation = 6
    exif.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]); // GPS IFD at 38
    exif.extend_from_slice(&[0, 0, 0, 0]);
    // The GPS IFD: one entry, GPSLatitudeRef = "N".
    exif.extend_from_slice(&[1, 0]);
    exif.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    exif.extend_from_slice(&[0, 0, 0, 0]);
    exif
}

/// A camera-like JPEG, 64 × 32 as stored, red on its left half.
pub fn camera_jpeg(exif: Option<Vec<u8>>) -> Vec<u8> {
    let pixels = RgbImage::from_fn(64, 32, |x, _| if x < 32 { Rgb([255, 0, 0]) } else { Rgb([0, 0, 255]) });
    let mut jpeg = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut jpeg, 95);
    if let Some(exif) = exif {
        encoder.set_exif_metadata(exif).unwrap();
    }
    encoder.write_image(pixels.as_raw(), 64, 32, image::ExtendedColorType::Rgb8).unwrap();
    jpeg
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let pixels = RgbImage::new(width, height);
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(pixels.as_raw(), width, height, image::ExtendedColorType::Rgb8).unwrap();
    png
}

/// A PNG whose header claims `width` × `height` pixels, with the
/// header's checksum made right, and one pixel of data behind it.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = png(1, 1);
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    // The IHDR chunk's CRC-32 covers its type and data (bytes 12 to 29).
    let crc = png[12..29].iter().fold(!0u32, |mut crc, byte| {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
        crc
    });
    png[29..33].copy_from_slice(&(!crc).to_be_bytes());
    png
}
