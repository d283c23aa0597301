//! Webhooks (`store::webhooks`). An owner's endpoints share a partition
//! with their count, which the creation's transaction raises under the
//! condition that it stays within `MAX_WEBHOOKS_PER_USER`, so that racing
//! creations cannot pass the limit. Each endpoint has a subscription in
//! the partition of its city (or of every city), which the fan-out of a
//! change reads, and a partition of its own for the deliveries waiting
//! for it (one per listing) and the log of its attempts (30 days, by TTL).
//!
//! Calls: a creation is one transaction; a read of an endpoint one
//! `GetItem`, of the owner's endpoints one Query; a replacement reads the
//! endpoint (for its city) and writes it with its subscription in one
//! transaction; a deletion reads it, deletes it with its subscription and
//! counts it out in one transaction, then deletes what waited for it and
//! its log (one Query, then a transaction per 100 items). The fan-out
//! reads two partitions in parallel; queueing a change reads the waiting
//! delivery and writes it (again on a lost race); settling one is one
//! conditional write.

use super::expression::{Expression, Update};
use super::item::{AttemptItem, PendingItem, SubscriptionItem, WebhookCountItem, WebhookItem, attribute};
use super::query::SortKeys;
use super::schema;
use super::transaction::{delete_action, exists_check_action, put_action, put_new_action, update_action};
use super::{DynamoStore, Item, number, sdk_error};
use crate::domain::{
    City, DeliveryAttempt, FeedEvent, MAX_WEBHOOKS_PER_USER, PendingDelivery, PropertyId, Subscription, Timestamp,
    UserId, Webhook, WebhookId,
};
use crate::store::retry::{self, Attempt, Policy};
use crate::store::{Page, PageRequest, StoreError, StoreResult, WebhookStore};
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;

/// What a conditional write of one item came to.
enum Written {
    Done,
    /// Its condition failed, and nothing was written: the item as it was, if any.
    Refused(Option<Item>),
}

impl DynamoStore {
    /// The endpoint `id` of `owner`, read consistently.
    async fn webhook(&self, owner: UserId, id: WebhookId) -> StoreResult<Option<Webhook>> {
        let item = self.read_item(schema::webhook_key(owner, id)).await?;
        item.map(|item| WebhookItem::from_item(item)?.into_domain()).transpose()
    }

    /// Puts `item` if `condition` holds.
    async fn put_if(&self, item: Item, condition: String, expression: &Expression) -> StoreResult<Written> {
        use aws_sdk_dynamodb::operation::put_item::PutItemError;
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Written::Done),
            Err(error) => match error.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                    Ok(Written::Refused(failed.item().cloned()))
                }
                _ => Err(sdk_error(error)),
            },
        }
    }

    /// Deletes the item at `key` if `condition` holds.
    async fn delete_if(&self, key: Item, condition: String, expression: &Expression) -> StoreResult<Written> {
        use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
        let sent = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .condition_expression(condition)
            .set_expression_attribute_names(expression.names())
            .set_expression_attribute_values(expression.values())
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Written::Done),
            Err(error) => match error.as_service_error() {
                Some(DeleteItemError::ConditionalCheckFailedException(failed)) => {
                    Ok(Written::Refused(failed.item().cloned()))
                }
                _ => Err(sdk_error(error)),
            },
        }
    }

    /// Deletes the endpoint `id` of `owner` with its subscription, and
    /// counts it out, in one transaction conditioned on the endpoint being
    /// still as read (else it reads it again: its city may have changed).
    /// `found` is the endpoint as just read, if it was. Then deletes what
    /// waited for it and its log.
    async fn remove_webhook(&self, owner: UserId, id: WebhookId, found: Option<Webhook>) -> StoreResult<()> {
        let found = &found;
        let removed = retry::run(Policy::RACE, |attempt| async move {
            let current = match (attempt, found) {
                (0, Some(found)) => found.clone(),
                _ => self.webhook(owner, id).await?.ok_or(StoreError::WebhookNotFound)?,
            };
            let mut expression = Expression::default();
            let unchanged = expression.equals(WebhookItem::VERSION, number(current.version));
            let mut count = Expression::default();
            let mut update = Update::default();
            update.add.push(count.increment(WebhookCountItem::COUNT, number(-1)));
            let items = vec![
                delete_action(&self.table, schema::webhook_key(owner, id), Some((&unchanged, &expression))),
                delete_action(&self.table, schema::subscription_key(current.city.as_ref(), id), None),
                update_action(&self.table, schema::webhook_count_key(owner), &update, None, &count),
            ];
            match self.transact(items).await {
                Ok(()) => Ok(Attempt::Done(())),
                // Changed or gone since it was read: read it again.
                Err(failure) if failure.condition_failed_at(0) => Ok(Attempt::Retry(())),
                Err(failure) => Err(failure.into_error()),
            }
        })
        .await?;
        removed.done_or(|()| StoreError::Unavailable(format!("webhook {id} kept changing while being deleted")))?;
        // Best effort: a delivery left behind is dropped by the worker,
        // which finds no endpoint, and the log expires.
        if let Err(error) = self.delete_deliveries(id).await {
            tracing::warn!(%error, webhook = %id, "deleting the deliveries of a deleted webhook failed");
        }
        Ok(())
    }

    /// Deletes the deliveries waiting at `webhook` and its log: one Query
    /// of its partition, then transactions of up to 100 deletes.
    async fn delete_deliveries(&self, webhook: WebhookId) -> StoreResult<()> {
        let items = self.partition(schema::deliveries_partition(webhook), SortKeys::All).await?;
        self.delete_all(items.iter().map(schema::key_of).collect()).await
    }

    /// Deletes every endpoint of `owner`, with their subscriptions, what
    /// waits for them, their logs and their count: part of deleting the
    /// account. One Query of the owner's partition, then each endpoint as
    /// `delete_webhook` without its read, then the count.
    pub(super) async fn delete_webhooks_of(&self, owner: UserId) -> StoreResult<()> {
        let items = self.partition(schema::webhooks_partition(owner), SortKeys::All).await?;
        // Each endpoint removed counts itself out, so the count is there
        // after, even if it was not when read.
        let counted = !items.is_empty();
        for item in items {
            if schema::is_webhook_count_item(&item) {
                continue;
            }
            let webhook = WebhookItem::from_item(item)?.into_domain()?;
            match self.remove_webhook(owner, webhook.id, Some(webhook)).await {
                Ok(()) | Err(StoreError::WebhookNotFound) => {}
                Err(other) => return Err(other),
            }
        }
        if counted {
            let key = schema::webhook_count_key(owner);
            self.client.delete_item().table_name(&self.table).set_key(Some(key)).send().await.map_err(sdk_error)?;
        }
        Ok(())
    }

    /// The subscriptions of one partition (a city's, or every city's).
    async fn subscriptions(&self, city: Option<&City>) -> StoreResult<Vec<Subscription>> {
        let query = self.query_partition(None, schema::subscriptions_partition(city), SortKeys::All, |_| None);
        let items = self.query_all(query).await?;
        items.into_iter().map(|item| SubscriptionItem::from_item(item)?.into_domain()).collect()
    }
}

impl WebhookStore for DynamoStore {
    async fn create_webhook(&self, webhook: &Webhook) -> StoreResult<()> {
        let mut count = Expression::default();
        let mut update = Update::default();
        update.add.push(count.increment(WebhookCountItem::COUNT, number(1)));
        let below_limit = format!(
            "({} OR {})",
            count.absent(WebhookCountItem::COUNT),
            count.less_than(WebhookCountItem::COUNT, number(MAX_WEBHOOKS_PER_USER))
        );
        let subscription = SubscriptionItem::from_domain(webhook).to_item(webhook.city.as_ref())?;
        let items = vec![
            // The owner must still exist: a deleted user's token creates nothing.
            exists_check_action(&self.table, schema::user_key(webhook.owner)),
            update_action(&self.table, schema::webhook_count_key(webhook.owner), &update, Some(&below_limit), &count),
            put_new_action(&self.table, WebhookItem::from_domain(webhook).to_item()?),
            put_new_action(&self.table, subscription),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(0) => Err(StoreError::AccountGone),
            // Its fresh id names the write: sent again, it was applied already.
            Err(failure) if failure.condition_failed_at(2) => Ok(()),
            Err(failure) if failure.condition_failed_at(1) => Err(StoreError::WebhookLimitReached),
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn webhooks_of(&self, owner: UserId) -> StoreResult<Vec<Webhook>> {
        // Ids are time-ordered, and so are the sort keys: oldest first.
        let endpoints = SortKeys::StartingWith(schema::webhook_sort_prefix().to_owned());
        let items = self.partition(schema::webhooks_partition(owner), endpoints).await?;
        items.into_iter().map(|item| WebhookItem::from_item(item)?.into_domain()).collect()
    }

    async fn get_webhook(&self, owner: UserId, id: WebhookId) -> StoreResult<Option<Webhook>> {
        self.webhook(owner, id).await
    }

    async fn replace_webhook(&self, webhook: &Webhook, expected: u64) -> StoreResult<()> {
        // Read for the city it had, whose partition holds its subscription.
        let current = self.webhook(webhook.owner, webhook.id).await?.ok_or(StoreError::WebhookNotFound)?;
        if current.version != expected {
            return Err(StoreError::VersionMismatch);
        }
        let mut expression = Expression::default();
        let at_expected = expression.equals(WebhookItem::VERSION, number(expected));
        let mut items =
            vec![put_action(&self.table, WebhookItem::from_domain(webhook).to_item()?, &at_expected, &expression)];
        let (before, after) = (current.city.as_ref(), webhook.city.as_ref());
        let subscription = SubscriptionItem::from_domain(webhook).to_item(after)?;
        if before.map(City::key) == after.map(City::key) {
            // Its event types may have changed; it exists while the endpoint does.
            let mut expression = Expression::default();
            let exists = expression.item_exists();
            items.push(put_action(&self.table, subscription, &exists, &expression));
        } else {
            items.push(delete_action(&self.table, schema::subscription_key(before, webhook.id), None));
            items.push(put_new_action(&self.table, subscription));
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(failure) if failure.condition_failed_at(0) => match self.webhook(webhook.owner, webhook.id).await? {
                None => Err(StoreError::WebhookNotFound),
                Some(_) => Err(StoreError::VersionMismatch),
            },
            Err(failure) => Err(failure.into_error()),
        }
    }

    async fn delete_webhook(&self, owner: UserId, id: WebhookId) -> StoreResult<()> {
        self.remove_webhook(owner, id, None).await
    }

    async fn subscribers(&self, city: &City) -> StoreResult<Vec<Subscription>> {
        let (of_city, everywhere) = tokio::join!(self.subscriptions(Some(city)), self.subscriptions(None));
        let mut subscriptions = of_city?;
        subscriptions.extend(everywhere?);
        Ok(subscriptions)
    }

    async fn queue_delivery(
        &self,
        subscription: &Subscription,
        event: &FeedEvent,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let key = &schema::pending_key(subscription.webhook, event.change.property_id);
        let queued = retry::run(Policy::RACE, |_| async move {
            let mut expression = Expression::default();
            let (delivery, condition, started) = match self.read_item(key.clone()).await? {
                None => (PendingDelivery::new(subscription, event.clone(), now), expression.item_absent(), true),
                Some(item) => {
                    let waiting = PendingItem::from_item(item)?;
                    let merged = waiting.merge(event);
                    if merged == waiting {
                        return Ok(Attempt::Done(false));
                    }
                    let holds = expression.equals(PendingItem::EVENT_ID, attribute(&waiting.event.change.id)?);
                    (merged, holds, false)
                }
            };
            match self.put_if(PendingItem::to_item(&delivery)?, condition, &expression).await? {
                Written::Done => Ok(Attempt::Done(started)),
                // Another change came in (or the delivery ended) meanwhile.
                Written::Refused(_) => Ok(Attempt::Retry(())),
            }
        })
        .await?;
        queued.done_or(|()| {
            let property = event.change.property_id;
            StoreError::Unavailable(format!("the delivery of {property} kept changing while being queued"))
        })
    }

    async fn pending_delivery(&self, webhook: WebhookId, property: PropertyId) -> StoreResult<Option<PendingDelivery>> {
        self.read_item(schema::pending_key(webhook, property)).await?.map(PendingItem::from_item).transpose()
    }

    async fn pending_deliveries(&self, webhook: WebhookId) -> StoreResult<Vec<PendingDelivery>> {
        let waiting = SortKeys::StartingWith(schema::pending_sort_prefix().to_owned());
        let items = self.partition(schema::deliveries_partition(webhook), waiting).await?;
        items.into_iter().map(PendingItem::from_item).collect()
    }

    async fn settle_delivery(&self, attempted: &PendingDelivery, next: Option<&PendingDelivery>) -> StoreResult<bool> {
        let mut expression = Expression::default();
        let holds = expression.equals(PendingItem::EVENT_ID, attribute(&attempted.event.change.id)?);
        let written = match next {
            Some(next) => self.put_if(PendingItem::to_item(next)?, holds, &expression).await?,
            None => {
                let key = schema::pending_key(attempted.webhook, attempted.property_id());
                self.delete_if(key, holds, &expression).await?
            }
        };
        Ok(match written {
            Written::Done => true,
            // Gone meanwhile: nothing left to settle.
            Written::Refused(None) => true,
            // Another change was merged in: it is still to deliver.
            Written::Refused(Some(_)) => false,
        })
    }

    async fn record_attempt(&self, attempt: &DeliveryAttempt) -> StoreResult<()> {
        let item = AttemptItem::from_domain(attempt).to_item()?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(sdk_error)?;
        Ok(())
    }

    async fn delivery_attempts(&self, webhook: WebhookId, page: PageRequest) -> StoreResult<Page<DeliveryAttempt>> {
        // Newest first, one more than the page to know whether another
        // follows; after a position, the attempt there (both ends of a
        // range are included) is read too, and dropped.
        let (attempts, read) = match &page.after {
            None => (SortKeys::StartingWith(schema::attempt_sort_prefix().to_owned()), page.limit + 1),
            Some(after) => (SortKeys::Between(schema::attempt_sort(""), schema::attempt_sort(after)), page.limit + 2),
        };
        let output = self
            .query_partition(None, schema::deliveries_partition(webhook), attempts, |_| None)
            .scan_index_forward(false)
            .limit(i32::try_from(read).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(sdk_error)?;
        let now = Timestamp::now();
        let mut items = Vec::new();
        for item in output.items.unwrap_or_default() {
            let attempt = AttemptItem::from_item(item)?;
            // Expired ones are the oldest: when one is read, none follows.
            let at_after = page.after.as_ref().is_some_and(|after| *after == attempt.id().to_string());
            if !attempt.expired(now) && !at_after {
                items.push(attempt.into_domain());
            }
        }
        let more = items.len() > page.limit;
        items.truncate(page.limit);
        let next = more.then(|| items.last().map(|attempt| attempt.id.to_string())).flatten();
        Ok(Page { items, next })
    }
}
