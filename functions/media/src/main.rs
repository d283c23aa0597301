//! Lambda function for photo files: uploads (S3 events) and the clean-up
//! of removed photos (the table's stream).

fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::entrypoints::start(estate::entrypoints::run_media)
}
