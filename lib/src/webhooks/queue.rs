//! The queue of webhook deliveries: a message names a delivery waiting in
//! the store (the endpoint and the listing), never its content, so a
//! message sent twice or late only makes the worker look again. On AWS it
//! is SQS, whose per-message delay carries the retry schedule (at most 15
//! minutes: a later retry is sent again until its time comes); locally, a
//! channel in process.

use crate::domain::{PropertyId, WebhookId};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// The longest delay SQS gives a message.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// A delivery to attempt: the one waiting at `webhook_id` for `property_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub webhook_id: WebhookId,
    pub property_id: PropertyId,
}

/// The message could not be queued.
#[derive(Debug, thiserror::Error)]
#[error("the delivery could not be queued: {0}")]
pub struct QueueError(String);

/// Where deliveries wait for their time.
#[derive(Clone)]
pub enum DeliveryQueue {
    /// On AWS: the delivery queue of the webhooks function.
    Sqs { client: aws_sdk_sqs::Client, url: String },
    /// In process: the local server's worker receives.
    Memory(MemoryQueue),
}

impl DeliveryQueue {
    pub fn sqs(config: &aws_config::SdkConfig, url: String) -> Self {
        Self::Sqs { client: aws_sdk_sqs::Client::new(config), url }
    }

    /// Queues `message`, to be received after `delay` (at most `MAX_DELAY`).
    pub async fn send(&self, message: &DeliveryMessage, delay: Duration) -> Result<(), QueueError> {
        let delay = delay.min(MAX_DELAY);
        match self {
            Self::Sqs { client, url } => {
                let body = serde_json::to_string(message).map_err(|e| QueueError(e.to_string()))?;
                let sent =
                    client.send_message().queue_url(url).message_body(body).delay_seconds(delay.as_secs() as i32);
                sent.send()
                    .await
                    .map(drop)
                    .map_err(|e| QueueError(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))
            }
            Self::Memory(queue) => {
                queue.send(message, delay);
                Ok(())
            }
        }
    }
}

/// The delivery queue in process: a message is handed to the receiver
/// after its delay. The local server's worker takes the receiver
/// (`take_receiver`); without one, messages are dropped (the replay of a
/// sample event).
#[derive(Clone)]
pub struct MemoryQueue {
    sender: mpsc::UnboundedSender<DeliveryMessage>,
    receiver: Arc<Mutex<Option<mpsc::UnboundedReceiver<DeliveryMessage>>>>,
}

impl Default for MemoryQueue {
    fn default() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self { sender, receiver: Arc::new(Mutex::new(Some(receiver))) }
    }
}

impl MemoryQueue {
    /// The receiving end, once.
    pub fn take_receiver(&self) -> Option<mpsc::UnboundedReceiver<DeliveryMessage>> {
        self.receiver.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}

impl MemoryQueue {
    fn send(&self, message: &DeliveryMessage, delay: Duration) {
        let (sender, message) = (self.sender.clone(), message.clone());
        if delay.is_zero() {
            // Dropped when nobody receives: nothing to deliver it to.
            let _ = sender.send(message);
        } else {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = sender.send(message);
            });
        }
    }
}
