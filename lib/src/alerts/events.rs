//! The events of the notifications function: new changes of the feed from
//! the table's stream, one after another in the stream's order, each
//! reported if it failed (partial batch responses) so that only it comes
//! again; handled twice, a change notifies no one twice.

use super::Alerts;
use crate::store::dynamodb::feed_event;
use crate::store::{Store, StoreError};
use crate::webhooks::events::{BatchResponse, ItemFailure};
use serde_json::Value;

/// Handles `event`: the hourly run of the digests that are due
/// (`{"digests": true}`, answered with how many were sent; a failure fails
/// the invocation, which Lambda retries), or records of the stream
/// (answered with those that failed).
pub async fn handle_event<S: Store>(alerts: &Alerts<S>, event: &Value) -> Result<Value, StoreError> {
    if event["digests"] == true {
        let sent = alerts.send_digests(crate::domain::Timestamp::now()).await?;
        return Ok(serde_json::json!({ "digests": sent }));
    }
    Ok(serde_json::to_value(handle_records(alerts, event).await).unwrap_or_default())
}

/// Handles every record of `event` and names those that failed.
async fn handle_records<S: Store>(alerts: &Alerts<S>, event: &Value) -> BatchResponse {
    let mut response = BatchResponse::default();
    let records = event["Records"].as_array().map(Vec::as_slice).unwrap_or_default();
    for record in records {
        let identifier = record["dynamodb"]["SequenceNumber"].as_str().unwrap_or_default().to_owned();
        let handled = match feed_event(record) {
            Ok(Some(change)) => alerts.handle(&change).await.map_err(|error| error.to_string()),
            Ok(None) => Ok(()),
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = handled {
            tracing::error!(cause = %error, "a change could not be alerted: it will come again");
            response.batch_item_failures.push(ItemFailure { item_identifier: identifier });
        }
    }
    response
}
