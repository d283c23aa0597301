//! What webhooks do with the change feed (docs/api.md#webhooks): each
//! change goes to the endpoints that asked for it (`fan_out`), where it
//! waits, one delivery per listing, later changes merged in; each waiting
//! delivery is attempted (`deliver`) until the receiver answers 2xx,
//! retried on the schedule, the endpoint disabled after a 410 or three
//! days of failures. At least once, in order per listing: a merged change
//! is never lost, since a delivery only ends if what was sent is still
//! what waits.

use super::address::{Reach, check_url};
use super::queue::{DeliveryMessage, DeliveryQueue, MAX_DELAY, QueueError};
use super::send::{self, Outcome};
use crate::domain::{DeliveryAttempt, FAILING_LIMIT, FeedEvent, PendingDelivery, Timestamp, Webhook, WebhookId, sign};
use crate::store::{Store, StoreError};
use serde_json::json;
use std::time::Duration;

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The Standard Webhooks retry schedule: the wait after each failed
/// attempt (the last repeats until the endpoint is disabled).
pub const STANDARD_SCHEDULE: [u64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// The local server's: a developer sees a retry at once.
pub const LOCAL_SCHEDULE: [u64; 7] = [1, 5, 30, 120, 300, 600, 600];

/// The longest `Retry-After` honoured, and the shortest.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10 * 60 * 60);
const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);

/// How long past its time a waiting delivery must be to count as lost.
const LOST_AFTER: Duration = Duration::from_secs(60);

/// Why a change or a delivery must be handled again.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct DeliveryRules {
    pub reach: Reach,
    /// The wait after each failed attempt, in order.
    pub schedule: Vec<Duration>,
    pub timeout: Duration,
}

impl DeliveryRules {
    pub fn new(reach: Reach, schedule: &[u64]) -> Self {
        Self {
            reach,
            schedule: schedule.iter().map(|&seconds| Duration::from_secs(seconds)).collect(),
            timeout: TIMEOUT,
        }
    }

    /// The wait after the `attempts`-th failure: what the receiver asked
    /// for (`Retry-After`, within bounds), else the schedule's.
    fn wait(&self, attempts: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(asked) => asked.clamp(MIN_RETRY_AFTER, MAX_RETRY_AFTER),
            None => self.wait_after(attempts),
        }
    }

    /// The schedule's wait after the `attempts`-th failure, give or take a
    /// tenth so that failing receivers are not retried all at once.
    fn wait_after(&self, attempts: u32) -> Duration {
        let base = self.schedule.get(attempts.saturating_sub(1) as usize).or(self.schedule.last());
        let base = base.copied().unwrap_or(Duration::from_secs(5));
        let mut random = [0u8; 2];
        aws_lc_rs::rand::fill(&mut random).expect("AWS-LC's RAND_bytes aborts the process rather than fail");
        let jitter = f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX) * 0.2 + 0.9;
        base.mul_f64(jitter)
    }
}

/// Where deliveries are queued and how they are made: what a deployment
/// chooses (SQS and the public internet on AWS; in process, this machine
/// included, on the local server).
#[derive(Clone)]
pub struct DeliverySetup {
    pub queue: DeliveryQueue,
    pub rules: DeliveryRules,
}

impl DeliverySetup {
    /// The local server's: an in-process queue, receivers on this machine
    /// allowed, the retry schedule `schedule` (seconds).
    pub fn local(schedule: &[u64]) -> Self {
        let queue = DeliveryQueue::Memory(super::queue::MemoryQueue::default());
        Self { queue, rules: DeliveryRules::new(Reach::LocalDevelopment, schedule) }
    }

    pub fn on<S>(&self, store: S) -> Deliveries<S> {
        Deliveries { store, queue: self.queue.clone(), rules: self.rules.clone() }
    }
}

/// The webhooks' work, on a store and a queue.
#[derive(Clone)]
pub struct Deliveries<S> {
    pub store: S,
    pub queue: DeliveryQueue,
    pub rules: DeliveryRules,
}

impl<S: Store> Deliveries<S> {
    /// Hands `event` to every endpoint that asked for it: merged into the
    /// delivery waiting for its listing there, or queued as a new one.
    /// Safe to repeat: a change already merged changes nothing.
    pub async fn fan_out(&self, event: &FeedEvent) -> Result<(), DeliveryError> {
        for subscription in self.store.subscribers(&event.change.city).await? {
            if !subscription.events.contains(event.change.kind) {
                continue;
            }
            let message = DeliveryMessage { webhook_id: subscription.webhook, property_id: event.change.property_id };
            if self.store.queue_delivery(&subscription, event, Timestamp::now()).await? || self.lost(&message).await? {
                self.queue.send(&message, Duration::ZERO).await?;
            }
        }
        Ok(())
    }

    /// Whether the delivery a change was merged into has waited past its
    /// time by `LOST_AFTER`: its message was lost (a send that failed after
    /// the delivery was written, a local server stopped), so it is queued
    /// again. A repeat message costs nothing (`deliver` finds it done).
    async fn lost(&self, message: &DeliveryMessage) -> Result<bool, DeliveryError> {
        let waiting = self.store.pending_delivery(message.webhook_id, message.property_id).await?;
        let overdue = Timestamp::now().unix_millis() - LOST_AFTER.as_millis() as i64;
        Ok(waiting.is_some_and(|waiting| waiting.next_at.unix_millis() < overdue))
    }

    /// Attempts the delivery `message` names, if it still waits and its
    /// time has come, and decides what follows.
    pub async fn deliver(&self, message: &DeliveryMessage) -> Result<(), DeliveryError> {
        let Some(waiting) = self.store.pending_delivery(message.webhook_id, message.property_id).await? else {
            return Ok(()); // Delivered already: this message is a repeat.
        };
        let Some(webhook) = self.store.get_webhook(waiting.owner, waiting.webhook).await? else {
            self.store.settle_delivery(&waiting, None).await?;
            return Ok(()); // The endpoint was deleted.
        };
        if !webhook.enabled {
            return Ok(()); // It waits until its owner enables the endpoint (`resume`).
        }
        let now = Timestamp::now();
        if waiting.next_at > now {
            return Ok(self.queue.send(message, next_hop(waiting.next_at, now)).await?);
        }
        let event = &waiting.event;
        let body = json!({
            "type": event.change.kind.code(),
            "timestamp": now,
            "data": {
                "seq": event.seq,
                "property_id": event.change.property_id,
                "version": event.change.version,
                "changed": event.change.changed,
                "city": event.change.city.name(),
            },
        });
        let attempt = self.attempt(&webhook, event.change.id, body, now).await;
        let number = waiting.attempts + 1;
        let (failure, retry_after) = match attempt.outcome {
            Outcome::Delivered { .. } => {
                self.log(&webhook, &waiting, &attempt, number, None).await?;
                if !self.store.settle_delivery(&waiting, None).await? {
                    self.queue.send(message, Duration::ZERO).await?; // A later change was merged in.
                }
                if webhook.failing_since.is_some() {
                    self.change_webhook(&webhook, |webhook| webhook.failing_since = None).await?;
                }
                return Ok(());
            }
            Outcome::Rejected { status: 410, .. } => (Some("the receiver answered 410 Gone"), None),
            Outcome::Rejected { retry_after, .. } => (None, retry_after),
            Outcome::Failed { .. } => (None, None),
        };
        let failing_since = webhook.failing_since.unwrap_or(now);
        let expired = now.unix_seconds() - failing_since.unix_seconds() >= FAILING_LIMIT.as_secs() as i64;
        let disabled = failure.or(expired.then_some("every delivery failed for 3 days"));
        let wait = self.rules.wait(number, retry_after);
        let next_at = now.plus(wait);
        let next_retry = disabled.is_none().then_some(next_at);
        self.log(&webhook, &waiting, &attempt, number, next_retry).await?;
        let next = PendingDelivery { attempts: number, next_at, ..waiting.clone() };
        let settled = self.store.settle_delivery(&waiting, Some(&next)).await?;
        match disabled {
            Some(why) => {
                tracing::warn!(webhook = %webhook.id, why, "webhook endpoint disabled");
                self.change_webhook(&webhook, |webhook| webhook.disable(why, Timestamp::now())).await?;
            }
            None => {
                if webhook.failing_since.is_none() {
                    self.change_webhook(&webhook, |webhook| webhook.failing_since = Some(failing_since)).await?;
                }
                // A change merged in meanwhile waits with the attempts it had: it is tried at its own time.
                let wait = if settled { next_hop(next_at, now) } else { Duration::ZERO };
                self.queue.send(message, wait).await?;
            }
        }
        Ok(())
    }

    /// Sends a `webhook.test` event at once and logs the attempt.
    pub async fn send_test(&self, webhook: &Webhook) -> Result<DeliveryAttempt, DeliveryError> {
        let now = Timestamp::now();
        let id = uuid::Uuid::now_v7();
        let body = json!({ "type": "webhook.test", "timestamp": now, "data": { "webhook_id": webhook.id } });
        let attempt = self.attempt(webhook, id, body, now).await;
        let logged = logged(webhook.id, id, "webhook.test", None, &attempt, 1, None);
        self.store.record_attempt(&logged).await?;
        Ok(logged)
    }

    /// Queues again every delivery waiting at an endpoint its owner has
    /// just enabled: it resumes where it stopped.
    pub async fn resume(&self, webhook: WebhookId) -> Result<(), DeliveryError> {
        for waiting in self.store.pending_deliveries(webhook).await? {
            let message = DeliveryMessage { webhook_id: webhook, property_id: waiting.property_id() };
            self.queue.send(&message, Duration::ZERO).await?;
        }
        Ok(())
    }

    /// One signed POST of `body` to the endpoint; a URL the rules refuse
    /// now (they may have changed since it was registered) is a failure.
    async fn attempt(
        &self,
        webhook: &Webhook,
        id: uuid::Uuid,
        body: serde_json::Value,
        now: Timestamp,
    ) -> send::Attempt {
        let body = body.to_string().into_bytes();
        let target = match check_url(&webhook.url, self.rules.reach) {
            Ok(target) => target,
            Err(why) => {
                let outcome = Outcome::Failed { error: format!("the URL is refused: {why}") };
                return send::Attempt { outcome, duration: Duration::ZERO };
            }
        };
        let timestamp = now.unix_seconds();
        let signature = sign(&webhook.signing_secrets(now), &id.to_string(), timestamp, &body);
        let headers = [
            ("webhook-id", id.to_string()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ];
        let attempt = send::post(&target, self.rules.reach, &headers, body, self.rules.timeout).await;
        if let Outcome::Failed { error } = &attempt.outcome {
            tracing::info!(webhook = %webhook.id, error, "webhook attempt failed");
        }
        attempt
    }

    async fn log(
        &self,
        webhook: &Webhook,
        waiting: &PendingDelivery,
        attempt: &send::Attempt,
        number: u32,
        next_retry: Option<Timestamp>,
    ) -> Result<(), DeliveryError> {
        let change = &waiting.event.change;
        let entry = logged(webhook.id, change.id, change.kind.code(), Some(change), attempt, number, next_retry);
        Ok(self.store.record_attempt(&entry).await?)
    }

    /// Applies `change` to the endpoint as stored now, retrying when a
    /// concurrent write moved it on; nothing if it is gone.
    async fn change_webhook(&self, webhook: &Webhook, change: impl Fn(&mut Webhook)) -> Result<(), DeliveryError> {
        let changed = update_webhook::<S, StoreError>(&self.store, webhook.owner, webhook.id, |webhook| {
            change(webhook);
            Ok(())
        });
        match changed.await {
            Ok(_) | Err(StoreError::WebhookNotFound) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }
}

/// The delay of the message that brings a delivery due at `due` back to
/// the worker at `now`: the wait, or the queue's longest delay, after
/// which the message finds its delivery not due yet and is sent on again.
fn next_hop(due: Timestamp, now: Timestamp) -> Duration {
    let wait = Duration::from_millis(due.unix_millis().saturating_sub(now.unix_millis()).max(0) as u64);
    wait.min(MAX_DELAY)
}

/// Reads the endpoint, applies `change` and writes it back conditioned on
/// the version read, again if another write came in between; answers the
/// endpoint as written. `WebhookNotFound` if `owner` has no such endpoint.
pub async fn update_webhook<S: Store, E: From<StoreError>>(
    store: &S,
    owner: crate::domain::UserId,
    id: WebhookId,
    change: impl Fn(&mut Webhook) -> Result<(), E>,
) -> Result<Webhook, E> {
    for _ in 0..5 {
        let Some(mut webhook) = store.get_webhook(owner, id).await? else {
            return Err(StoreError::WebhookNotFound.into());
        };
        let expected = webhook.version;
        change(&mut webhook)?;
        webhook.version = expected + 1;
        match store.replace_webhook(&webhook, expected).await {
            Ok(()) => return Ok(webhook),
            Err(StoreError::VersionMismatch) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(StoreError::Unavailable(format!("webhook {id} kept changing while being updated")).into())
}

/// The log entry of an attempt.
fn logged(
    webhook: WebhookId,
    event_id: uuid::Uuid,
    event_type: &str,
    change: Option<&crate::domain::Change>,
    attempt: &send::Attempt,
    number: u32,
    next_retry_at: Option<Timestamp>,
) -> DeliveryAttempt {
    let (status, error) = match &attempt.outcome {
        Outcome::Delivered { status } => (Some(*status), None),
        Outcome::Rejected { status, body, .. } => (Some(*status), Some(format!("HTTP {status}: {body}"))),
        Outcome::Failed { error } => (None, Some(error.clone())),
    };
    DeliveryAttempt {
        webhook,
        id: uuid::Uuid::now_v7(),
        event_id,
        event_type: event_type.to_owned(),
        property_id: change.map(|change| change.property_id),
        attempt: number,
        at: Timestamp::now(),
        status,
        error,
        duration_ms: attempt.duration.as_millis() as u64,
        next_retry_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_wait_the_standard_schedule_give_or_take_a_tenth() {
        let rules = DeliveryRules::new(Reach::Public, &STANDARD_SCHEDULE);
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let hours = |h: u64| minutes(h * 60);
        let expected = [Duration::from_secs(5), minutes(5), minutes(30), hours(2), hours(5), hours(10), hours(10)];
        // Past the schedule's end, its last wait repeats.
        for (attempts, base) in (1..).zip(expected.iter().chain([&hours(10), &hours(10)])) {
            let waits: Vec<Duration> = (0..20).map(|_| rules.wait(attempts, None)).collect();
            let (low, high) = (base.mul_f64(0.9), base.mul_f64(1.1));
            assert!(waits.iter().all(|wait| (low..=high).contains(wait)), "attempt {attempts}: {waits:?}");
            assert!(waits.iter().any(|wait| *wait != waits[0]), "attempt {attempts}: jittered, {waits:?}");
        }
    }

    #[test]
    fn a_receivers_retry_after_replaces_the_schedule_within_bounds() {
        let rules = DeliveryRules::new(Reach::Public, &STANDARD_SCHEDULE);
        let asked = |seconds: u64| rules.wait(1, Some(Duration::from_secs(seconds)));
        assert_eq!(asked(120), Duration::from_secs(120));
        assert_eq!(asked(0), Duration::from_secs(1), "not sooner than a second");
        assert_eq!(asked(3 * 86_400), Duration::from_secs(10 * 3_600), "not later than 10 hours");
    }

    #[test]
    fn a_retry_later_than_the_queue_can_delay_is_reached_in_hops() {
        let now = Timestamp::now();
        assert_eq!(next_hop(now.plus(Duration::from_secs(30)), now), Duration::from_secs(30));
        assert_eq!(next_hop(now.plus(Duration::from_secs(2 * 3_600)), now), MAX_DELAY, "SQS's 15 minutes");
        assert_eq!(next_hop(now, now.plus(Duration::from_secs(1))), Duration::ZERO, "due already");
    }
}
