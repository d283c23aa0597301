//! Lambda function for alerts: new changes of the feed (the table's
//! stream) matched against saved searches and favourites into
//! notifications and e-mails (SES); the daily digests, hourly from an
//! EventBridge schedule.

fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::entrypoints::start(estate::entrypoints::run_notifications)
}
