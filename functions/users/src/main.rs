//! Lambda function for the users route group.

fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::entrypoints::start(estate::entrypoints::run_users)
}
