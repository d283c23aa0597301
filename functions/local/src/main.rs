//! The whole API on http://127.0.0.1:3000, on the embedded store by default.

#[tokio::main]
async fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::telemetry::init();
    estate::entrypoints::serve_local().await
}
