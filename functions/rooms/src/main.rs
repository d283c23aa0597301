//! Lambda function for the rooms route group.

#[tokio::main]
async fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::telemetry::init();
    estate::entrypoints::run_rooms().await
}
