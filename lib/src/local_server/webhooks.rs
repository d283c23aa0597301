//! The webhooks on the local server: the same work as the webhooks
//! function on AWS (`crate::webhooks`), as two background tasks. One
//! follows the change feed, as the table's stream feeds the function, and
//! fans each change out; the other receives the in-process queue and
//! attempts each delivery, as the function does from SQS.

use crate::store::Store;
use crate::webhooks::{Deliveries, DeliveryQueue};
use std::time::Duration;

/// Starts both tasks, if `deliveries` has an in-process queue whose
/// receiver is still free (it is taken once). Changes are followed from
/// where the feed stands now.
pub fn start<S: Store>(deliveries: Deliveries<S>) {
    let DeliveryQueue::Memory(queue) = &deliveries.queue else { return };
    let Some(mut received) = queue.take_receiver() else { return };
    let worker = deliveries.clone();
    tokio::spawn(async move {
        while let Some(message) = received.recv().await {
            let worker = worker.clone();
            // Each on its own: a slow receiver holds up no other delivery.
            tokio::spawn(async move {
                if let Err(error) = worker.deliver(&message).await {
                    tracing::warn!(error = %error, "a webhook delivery failed; it is tried again");
                    let _ = worker.queue.send(&message, Duration::from_secs(1)).await;
                }
            });
        }
    });
    let store = deliveries.store.clone();
    tokio::spawn(super::feed::follow(store, "webhooks", move |event| {
        let deliveries = deliveries.clone();
        async move { deliveries.fan_out(&event).await.map_err(|error| error.to_string()) }
    }));
}
