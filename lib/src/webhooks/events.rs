//! The events of the webhooks function: the table's stream brings new
//! changes of the feed (`fan_out`), the delivery queue brings deliveries
//! to attempt (`deliver`). Each record is handled on its own; the records
//! that failed are reported (partial batch responses), so only they come
//! again, and a change or delivery handled twice does nothing twice.

use super::deliver::Deliveries;
use super::queue::DeliveryMessage;
use crate::store::Store;
use crate::store::dynamodb::feed_event;
use serde::Serialize;
use serde_json::Value;

/// What the function answers: the records to deliver again.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct BatchResponse {
    #[serde(rename = "batchItemFailures")]
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ItemFailure {
    #[serde(rename = "itemIdentifier")]
    pub item_identifier: String,
}

/// Handles every record of `event` and names those that failed. Changes
/// one after another, in the stream's order; deliveries all at once, so
/// that a batch of slow receivers takes one timeout, not ten.
pub async fn handle_event<S: Store>(deliveries: &Deliveries<S>, event: &Value) -> BatchResponse {
    let mut response = BatchResponse::default();
    let mut attempts = tokio::task::JoinSet::new();
    let records = event["Records"].as_array().map(Vec::as_slice).unwrap_or_default();
    for record in records {
        let identifier = match record["eventSource"].as_str() {
            Some("aws:sqs") => record["messageId"].as_str().unwrap_or_default().to_owned(),
            Some("aws:dynamodb") => record["dynamodb"]["SequenceNumber"].as_str().unwrap_or_default().to_owned(),
            other => {
                tracing::warn!(source = ?other, "a record from an unexpected source: skipped");
                continue;
            }
        };
        if record["eventSource"] == "aws:sqs" {
            let (deliveries, record) = (deliveries.clone(), record.clone());
            attempts.spawn(async move { (identifier, delivery(&deliveries, &record).await) });
        } else if let Err(error) = change(deliveries, record).await {
            response.failed(identifier, &error);
        }
    }
    while let Some(attempt) = attempts.join_next().await {
        match attempt {
            Ok((identifier, Err(error))) => response.failed(identifier, &error),
            Ok((_, Ok(()))) => {}
            Err(panicked) => tracing::error!(cause = %panicked, "a delivery panicked"),
        }
    }
    response
}

impl BatchResponse {
    fn failed(&mut self, item_identifier: String, error: &str) {
        tracing::error!(cause = %error, "a webhook record failed: it will come again");
        self.batch_item_failures.push(ItemFailure { item_identifier });
    }
}

async fn delivery<S: Store>(deliveries: &Deliveries<S>, record: &Value) -> Result<(), String> {
    let body = record["body"].as_str().unwrap_or_default();
    let Ok(message) = serde_json::from_str::<DeliveryMessage>(body) else {
        // Never readable, however often it comes: dropped, not retried.
        tracing::warn!("a delivery message that is not one: dropped");
        return Ok(());
    };
    deliveries.deliver(&message).await.map_err(|error| error.to_string())
}

async fn change<S: Store>(deliveries: &Deliveries<S>, record: &Value) -> Result<(), String> {
    match feed_event(record).map_err(|error| error.to_string())? {
        Some(event) => deliveries.fan_out(&event).await.map_err(|error| error.to_string()),
        None => Ok(()),
    }
}
