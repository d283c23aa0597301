//! Webhook endpoints, the deliveries waiting for them and the log of their
//! attempts (docs/data-model.md#webhooks). Every write that two workers
//! may race on is conditioned: an endpoint on its version, a waiting
//! delivery on the change it holds, so that a change merged in while an
//! attempt was under way is never lost.

use super::{Page, PageRequest, StoreResult};
use crate::domain::{City, DeliveryAttempt, FeedEvent, PendingDelivery, PropertyId, Subscription, Timestamp, UserId};
use crate::domain::{Webhook, WebhookId};
use std::future::Future;

pub trait WebhookStore: Send + Sync {
    /// Stores a new endpoint, provided its owner exists (else
    /// `AccountGone`) and has fewer than `MAX_WEBHOOKS_PER_USER` (else
    /// `WebhookLimitReached`); nothing is written on a refusal.
    fn create_webhook(&self, webhook: &Webhook) -> impl Future<Output = StoreResult<()>> + Send;

    /// The endpoints of `owner`, oldest first.
    fn webhooks_of(&self, owner: UserId) -> impl Future<Output = StoreResult<Vec<Webhook>>> + Send;

    /// The endpoint `id` of `owner`; `None` if it is another's or absent.
    fn get_webhook(&self, owner: UserId, id: WebhookId) -> impl Future<Output = StoreResult<Option<Webhook>>> + Send;

    /// Replaces the endpoint with `webhook` if it is still at `expected`
    /// (else `VersionMismatch`), keeping its subscription in step.
    /// `WebhookNotFound` if it is gone.
    fn replace_webhook(&self, webhook: &Webhook, expected: u64) -> impl Future<Output = StoreResult<()>> + Send;

    /// Removes the endpoint, its subscription and what waits for it;
    /// `WebhookNotFound` if `owner` has no such endpoint.
    fn delete_webhook(&self, owner: UserId, id: WebhookId) -> impl Future<Output = StoreResult<()>> + Send;

    /// The endpoints that take changes of listings in `city`: those of
    /// that city and those of every city.
    fn subscribers(&self, city: &City) -> impl Future<Output = StoreResult<Vec<Subscription>>> + Send;

    /// Merges `event` into the delivery waiting for its listing at the
    /// endpoint (`PendingDelivery::merge`), or starts one: `true` when
    /// started, and then the caller queues it. Applied twice, or after a
    /// later change, it changes nothing.
    fn queue_delivery(
        &self,
        subscription: &Subscription,
        event: &FeedEvent,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The delivery waiting at `webhook` for `property`, if any.
    fn pending_delivery(
        &self,
        webhook: WebhookId,
        property: PropertyId,
    ) -> impl Future<Output = StoreResult<Option<PendingDelivery>>> + Send;

    /// Every delivery waiting at `webhook`.
    fn pending_deliveries(&self, webhook: WebhookId) -> impl Future<Output = StoreResult<Vec<PendingDelivery>>> + Send;

    /// Replaces the waiting delivery with `next` (its attempts and next
    /// time; or, with `None`, ends it once delivered), if it still holds
    /// the change `attempted` holds: `false` if another change was merged
    /// in meanwhile, which is then still to deliver.
    fn settle_delivery(
        &self,
        attempted: &PendingDelivery,
        next: Option<&PendingDelivery>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Adds an attempt to the endpoint's log (kept 30 days).
    fn record_attempt(&self, attempt: &DeliveryAttempt) -> impl Future<Output = StoreResult<()>> + Send;

    /// A page of the endpoint's log, newest first; positions are the
    /// attempts' ids.
    fn delivery_attempts(
        &self,
        webhook: WebhookId,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<DeliveryAttempt>>> + Send;
}
