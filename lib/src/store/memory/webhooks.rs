//! Webhook endpoints, their waiting deliveries and their log in the
//! embedded store, each operation under the one lock.

use super::MemoryStore;
use crate::domain::{
    City, DeliveryAttempt, FeedEvent, MAX_WEBHOOKS_PER_USER, PendingDelivery, PropertyId, Subscription, Timestamp,
    UserId, Webhook, WebhookId,
};
use crate::store::{Page, PageRequest, StoreError, StoreResult, WebhookStore};

/// How long the log keeps an attempt, in seconds.
const ATTEMPTS_KEPT_SECONDS: i64 = 30 * 24 * 60 * 60;

impl WebhookStore for MemoryStore {
    async fn create_webhook(&self, webhook: &Webhook) -> StoreResult<()> {
        let mut state = self.lock();
        if !state.users.contains_key(&webhook.owner) {
            return Err(StoreError::AccountGone);
        }
        if state.webhooks.values().filter(|held| held.owner == webhook.owner).count() >= MAX_WEBHOOKS_PER_USER {
            return Err(StoreError::WebhookLimitReached);
        }
        state.webhooks.insert(webhook.id, webhook.clone());
        Ok(())
    }

    async fn webhooks_of(&self, owner: UserId) -> StoreResult<Vec<Webhook>> {
        Ok(self.lock().webhooks.values().filter(|webhook| webhook.owner == owner).cloned().collect())
    }

    async fn get_webhook(&self, owner: UserId, id: WebhookId) -> StoreResult<Option<Webhook>> {
        Ok(self.lock().webhooks.get(&id).filter(|webhook| webhook.owner == owner).cloned())
    }

    async fn replace_webhook(&self, webhook: &Webhook, expected: u64) -> StoreResult<()> {
        let mut state = self.lock();
        let held = state.webhooks.get_mut(&webhook.id).filter(|held| held.owner == webhook.owner);
        let held = held.ok_or(StoreError::WebhookNotFound)?;
        if held.version != expected {
            return Err(StoreError::VersionMismatch);
        }
        *held = webhook.clone();
        Ok(())
    }

    async fn delete_webhook(&self, owner: UserId, id: WebhookId) -> StoreResult<()> {
        let mut state = self.lock();
        if state.webhooks.get(&id).is_none_or(|webhook| webhook.owner != owner) {
            return Err(StoreError::WebhookNotFound);
        }
        state.remove_webhook(id);
        Ok(())
    }

    async fn subscribers(&self, city: &City) -> StoreResult<Vec<Subscription>> {
        let state = self.lock();
        let takes = |webhook: &&Webhook| webhook.city.as_ref().is_none_or(|only| only.key() == city.key());
        Ok(state.webhooks.values().filter(takes).map(Subscription::from).collect())
    }

    async fn queue_delivery(
        &self,
        subscription: &Subscription,
        event: &FeedEvent,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut state = self.lock();
        let key = (subscription.webhook, event.change.property_id);
        match state.pending.get_mut(&key) {
            Some(waiting) => {
                *waiting = waiting.merge(event);
                Ok(false)
            }
            None => {
                state.pending.insert(key, PendingDelivery::new(subscription, event.clone(), now));
                Ok(true)
            }
        }
    }

    async fn pending_delivery(&self, webhook: WebhookId, property: PropertyId) -> StoreResult<Option<PendingDelivery>> {
        Ok(self.lock().pending.get(&(webhook, property)).cloned())
    }

    async fn pending_deliveries(&self, webhook: WebhookId) -> StoreResult<Vec<PendingDelivery>> {
        let state = self.lock();
        Ok(state.pending.iter().filter(|((id, _), _)| *id == webhook).map(|(_, delivery)| delivery.clone()).collect())
    }

    async fn settle_delivery(&self, attempted: &PendingDelivery, next: Option<&PendingDelivery>) -> StoreResult<bool> {
        let mut state = self.lock();
        let key = (attempted.webhook, attempted.property_id());
        let Some(waiting) = state.pending.get(&key) else { return Ok(true) };
        if waiting.event.change.id != attempted.event.change.id {
            return Ok(false);
        }
        match next {
            Some(next) => drop(state.pending.insert(key, next.clone())),
            None => drop(state.pending.remove(&key)),
        }
        Ok(true)
    }

    async fn record_attempt(&self, attempt: &DeliveryAttempt) -> StoreResult<()> {
        let mut state = self.lock();
        let oldest = Timestamp::now().unix_seconds() - ATTEMPTS_KEPT_SECONDS;
        state.delivery_log.retain(|_, kept| kept.at.unix_seconds() > oldest);
        state.delivery_log.insert((attempt.webhook, attempt.id), attempt.clone());
        Ok(())
    }

    async fn delivery_attempts(&self, webhook: WebhookId, page: PageRequest) -> StoreResult<Page<DeliveryAttempt>> {
        let state = self.lock();
        let after = |id: &uuid::Uuid| page.after.as_ref().is_none_or(|after| id.to_string() < *after);
        let mut items: Vec<DeliveryAttempt> = state
            .delivery_log
            .range((webhook, uuid::Uuid::nil())..=(webhook, uuid::Uuid::max()))
            .rev()
            .filter(|((_, id), _)| after(id))
            .take(page.limit + 1)
            .map(|(_, attempt)| attempt.clone())
            .collect();
        let more = items.len() > page.limit;
        items.truncate(page.limit);
        let next = more.then(|| items.last().map(|attempt| attempt.id.to_string())).flatten();
        Ok(Page { items, next })
    }
}

impl super::State {
    /// Removes an endpoint with what waits for it and its log.
    pub(super) fn remove_webhook(&mut self, id: WebhookId) {
        self.webhooks.remove(&id);
        self.pending.retain(|(webhook, _), _| *webhook != id);
        self.delivery_log.retain(|(webhook, _), _| *webhook != id);
    }
}
