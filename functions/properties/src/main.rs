//! Lambda function for the properties route group.

#[tokio::main]
async fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::telemetry::init();
    estate::entrypoints::run_properties().await
}
