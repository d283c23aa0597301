//! Lambda authorizer for API Gateway (HTTP API, payload 2.0, simple responses).

#[tokio::main]
async fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::telemetry::init();
    estate::entrypoints::run_authorizer().await
}
