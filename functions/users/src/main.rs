//! Lambda function for the users route group.

#[tokio::main]
async fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::telemetry::init();
    estate::entrypoints::run_users().await
}
