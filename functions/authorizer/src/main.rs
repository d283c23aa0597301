//! Lambda authorizer for API Gateway (HTTP API, payload 2.0, simple responses).

fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::entrypoints::start(estate::entrypoints::run_authorizer)
}
