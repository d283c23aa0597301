//! The whole API on http://127.0.0.1:3000, on the embedded store by default,
//! with its interactive documentation at /docs.

mod docs;

#[tokio::main]
async fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::telemetry::init();
    estate::entrypoints::serve_local(docs::router()).await
}
