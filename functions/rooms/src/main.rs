//! Lambda function for the rooms route group.

fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::entrypoints::start(estate::entrypoints::run_rooms)
}
