//! The webhooks on the local server: the same work as the webhooks
//! function on AWS (`crate::webhooks`), as two background tasks. One
//! follows the change feed, as the table's stream feeds the function, and
//! fans each change out; the other receives the in-process queue and
//! attempts each delivery, as the function does from SQS.

use crate::store::Store;
use crate::store::feed::{DEFAULT_LIMIT, FeedQuery};
use crate::webhooks::{Deliveries, DeliveryQueue};
use std::time::Duration;

/// How often the feed is read when it has nothing new: the delay of a
/// delivery on this machine.
const FEED_POLL: Duration = Duration::from_millis(500);

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
    tokio::spawn(follow_feed(deliveries));
}

async fn follow_feed<S: Store>(deliveries: Deliveries<S>) {
    let mut after = loop {
        match deliveries.store.feed_position().await {
            Ok(position) => break position,
            Err(error) => tracing::warn!(error = %error, "reading the change feed failed; trying again"),
        }
        tokio::time::sleep(FEED_POLL).await;
    };
    loop {
        let query = FeedQuery { after: Some(after), limit: DEFAULT_LIMIT, city: None, types: Vec::new() };
        let page = match deliveries.store.changes(&query).await {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(error = %error, "reading the change feed failed; trying again");
                tokio::time::sleep(FEED_POLL).await;
                continue;
            }
        };
        let mut handled = true;
        for event in &page.events {
            if let Err(error) = deliveries.fan_out(event).await {
                tracing::warn!(error = %error, seq = event.seq, "a change could not be fanned out; trying again");
                handled = false;
                break;
            }
            after = event.seq;
        }
        if handled {
            after = page.next;
        }
        if page.events.is_empty() || !handled {
            tokio::time::sleep(FEED_POLL).await;
        }
    }
}
