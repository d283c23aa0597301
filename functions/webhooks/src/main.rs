//! Lambda function for webhooks: new changes of the feed (the table's
//! stream) fanned out to the endpoints that asked, and deliveries (the
//! SQS delivery queue), each signed, sent and retried.

fn main() -> Result<(), estate::entrypoints::BoxError> {
    estate::entrypoints::start(estate::entrypoints::run_webhooks)
}
