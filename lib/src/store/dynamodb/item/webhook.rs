//! The items of webhooks: an endpoint and the count of its owner's, beside
//! it; its subscription, in the partition of its city (or of every city);
//! and, in the endpoint's own partition, the deliveries waiting for it and
//! the log of its attempts.

use super::{ChangeItem, corrupt, decode, encode};
use crate::domain::{
    ChangeType, City, DeliveryAttempt, EventTypes, Invalid, PendingDelivery, PropertyId, Secret, SigningSecret,
    Subscription, Timestamp, UserId, Webhook, WebhookId,
};
use crate::store::StoreResult;
use crate::store::dynamodb::{Item, schema};
use serde::{Deserialize, Serialize};

/// How long the log keeps an attempt (then the table's TTL deletes it).
pub const ATTEMPT_KEPT_SECONDS: i64 = 30 * 24 * 60 * 60;

/// An endpoint; keyed by `schema::webhook_key`. Its secrets are stored as
/// the receiver is given them (`Secret::reveal`): we sign with them.
#[derive(Debug, Serialize, Deserialize)]
pub struct WebhookItem {
    id: WebhookId,
    owner_id: UserId,
    url: String,
    events: Vec<ChangeType>,
    /// The city as its owner wrote it; absent: every city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    city: Option<String>,
    description: String,
    enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disabled_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failing_since: Option<Timestamp>,
    secrets: Vec<SecretItem>,
    created_at: Timestamp,
    updated_at: Timestamp,
    version: u64,
}

/// A signing secret as stored; its `Debug` is redacted, as `Secret`'s is.
#[derive(Serialize, Deserialize)]
struct SecretItem {
    secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retires_at: Option<Timestamp>,
}

impl std::fmt::Debug for SecretItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretItem").field("secret", &"..").field("retires_at", &self.retires_at).finish()
    }
}

/// The event types of an endpoint as stored, which the domain requires to
/// name at least one.
fn event_types(types: Vec<ChangeType>) -> Result<EventTypes, Invalid> {
    if types.is_empty() {
        return Err(Invalid::new("names no event type"));
    }
    Ok(EventTypes::from_stored(types))
}

impl WebhookItem {
    pub const VERSION: &str = "version";

    pub fn from_domain(webhook: &Webhook) -> Self {
        let secrets = webhook
            .secrets
            .iter()
            .map(|signing| SecretItem { secret: signing.secret.reveal(), retires_at: signing.retires_at });
        Self {
            id: webhook.id,
            owner_id: webhook.owner,
            url: webhook.url.clone(),
            events: webhook.events.as_slice().to_vec(),
            city: webhook.city.as_ref().map(|city| city.name().to_owned()),
            description: webhook.description.clone(),
            enabled: webhook.enabled,
            disabled_reason: webhook.disabled_reason.clone(),
            failing_since: webhook.failing_since,
            secrets: secrets.collect(),
            created_at: webhook.created_at,
            updated_at: webhook.updated_at,
            version: webhook.version,
        }
    }

    pub fn into_domain(self) -> StoreResult<Webhook> {
        let bad = |why: Invalid| corrupt("webhook", self.id, why);
        let city = self.city.as_deref().map(City::parse).transpose().map_err(bad)?;
        let events = event_types(self.events).map_err(bad)?;
        let mut secrets = Vec::with_capacity(self.secrets.len());
        for stored in self.secrets {
            let secret = Secret::parse(&stored.secret).map_err(bad)?;
            secrets.push(SigningSecret { secret, retires_at: stored.retires_at });
        }
        if secrets.is_empty() {
            return Err(bad(Invalid::new("has no secret")));
        }
        Ok(Webhook {
            id: self.id,
            owner: self.owner_id,
            url: self.url,
            events,
            city,
            description: self.description,
            enabled: self.enabled,
            disabled_reason: self.disabled_reason,
            failing_since: self.failing_since,
            secrets,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        encode(schema::webhook_key(self.owner_id, self.id), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}

/// The count of a user's endpoints; keyed by `schema::webhook_count_key`.
/// Written only by `ADD`, in the transaction that creates or deletes an
/// endpoint, under the condition that it stays within the limit.
pub struct WebhookCountItem;

impl WebhookCountItem {
    pub const COUNT: &str = "count";
}

/// What the fan-out of a change reads of an endpoint; keyed by
/// `schema::subscription_key`, in the partition of the endpoint's city.
#[derive(Debug, Serialize, Deserialize)]
pub struct SubscriptionItem {
    webhook_id: WebhookId,
    owner_id: UserId,
    events: Vec<ChangeType>,
}

impl SubscriptionItem {
    pub fn from_domain(webhook: &Webhook) -> Self {
        Self { webhook_id: webhook.id, owner_id: webhook.owner, events: webhook.events.as_slice().to_vec() }
    }

    pub fn into_domain(self) -> StoreResult<Subscription> {
        let events = event_types(self.events).map_err(|why| corrupt("subscription", self.webhook_id, why))?;
        Ok(Subscription { webhook: self.webhook_id, owner: self.owner_id, events })
    }

    /// The item, in the partition of the endpoint's `city`.
    pub fn to_item(&self, city: Option<&City>) -> StoreResult<Item> {
        encode(schema::subscription_key(city, self.webhook_id), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}

/// A delivery waiting at an endpoint for a listing; keyed by
/// `schema::pending_key`. Its change is stored as the feed stores one
/// (`ChangeItem`, whose `expires_at` is only the feed's: nested, it is no
/// TTL), and writes that race are conditioned on its id (`EVENT_ID`).
#[derive(Debug, Serialize, Deserialize)]
pub struct PendingItem {
    webhook_id: WebhookId,
    owner_id: UserId,
    event: ChangeItem,
    attempts: u32,
    next_at: Timestamp,
}

impl PendingItem {
    /// The path of the id of the change it holds.
    pub const EVENT_ID: &str = "event.id";

    /// The item of `delivery`.
    pub fn to_item(delivery: &PendingDelivery) -> StoreResult<Item> {
        let item = Self {
            webhook_id: delivery.webhook,
            owner_id: delivery.owner,
            event: ChangeItem::from_domain(&delivery.event),
            attempts: delivery.attempts,
            next_at: delivery.next_at,
        };
        encode(schema::pending_key(delivery.webhook, delivery.property_id()), &item)
    }

    pub fn from_item(item: Item) -> StoreResult<PendingDelivery> {
        let item: Self = decode(item)?;
        Ok(PendingDelivery {
            webhook: item.webhook_id,
            owner: item.owner_id,
            event: item.event.into_domain()?,
            attempts: item.attempts,
            next_at: item.next_at,
        })
    }
}

/// An attempt of the endpoint's log; keyed by `schema::attempt_key`.
/// `expires_at`, the table's TTL attribute, is 30 days after the attempt.
#[derive(Debug, Serialize, Deserialize)]
pub struct AttemptItem {
    webhook_id: WebhookId,
    id: uuid::Uuid,
    event_id: uuid::Uuid,
    event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    property_id: Option<PropertyId>,
    attempt: u32,
    at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_retry_at: Option<Timestamp>,
    expires_at: i64,
}

impl AttemptItem {
    pub fn from_domain(attempt: &DeliveryAttempt) -> Self {
        Self {
            webhook_id: attempt.webhook,
            id: attempt.id,
            event_id: attempt.event_id,
            event_type: attempt.event_type.clone(),
            property_id: attempt.property_id,
            attempt: attempt.attempt,
            at: attempt.at,
            status: attempt.status,
            error: attempt.error.clone(),
            duration_ms: attempt.duration_ms,
            next_retry_at: attempt.next_retry_at,
            expires_at: attempt.at.unix_seconds() + ATTEMPT_KEPT_SECONDS,
        }
    }

    /// Whether the log no longer keeps it at `now` (the TTL may take days
    /// to delete it).
    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now.unix_seconds()
    }

    pub fn id(&self) -> uuid::Uuid {
        self.id
    }

    pub fn into_domain(self) -> DeliveryAttempt {
        DeliveryAttempt {
            webhook: self.webhook_id,
            id: self.id,
            event_id: self.event_id,
            event_type: self.event_type,
            property_id: self.property_id,
            attempt: self.attempt,
            at: self.at,
            status: self.status,
            error: self.error,
            duration_ms: self.duration_ms,
            next_retry_at: self.next_retry_at,
        }
    }

    pub fn to_item(&self) -> StoreResult<Item> {
        encode(schema::attempt_key(self.webhook_id, self.id), self)
    }

    pub fn from_item(item: Item) -> StoreResult<Self> {
        decode(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Change, ChangedMember, FeedEvent};
    use std::collections::BTreeSet;

    fn names(item: &Item) -> BTreeSet<&str> {
        item.keys().map(String::as_str).collect()
    }

    fn webhook(city: Option<&str>) -> Webhook {
        let mut webhook = Webhook::register(
            UserId::generate(),
            "https://example.com/hook".into(),
            EventTypes::parse(&["listing.updated".into(), "listing.published".into()]).unwrap(),
            city.map(|city| City::parse(city).unwrap()),
            "Mine".into(),
            Timestamp::now(),
        );
        webhook.rotate_secret(Timestamp::now());
        webhook
    }

    #[test]
    fn an_endpoint_round_trips_with_its_secrets() {
        for city in [Some("Saint-Étienne"), None] {
            let webhook = webhook(city);
            let item = WebhookItem::from_domain(&webhook).to_item().unwrap();
            assert_eq!(item[schema::PARTITION_KEY].as_s().unwrap(), &format!("HOOKS#USER#{}", webhook.owner));
            assert_eq!(item[schema::SORT_KEY].as_s().unwrap(), &format!("WEBHOOK#{}", webhook.id));
            assert_eq!(WebhookItem::from_item(item).unwrap().into_domain().unwrap(), webhook);
        }
        let item = WebhookItem::from_domain(&webhook(Some("Lyon"))).to_item().unwrap();
        let expected = [
            "pk",
            "sk",
            "id",
            "owner_id",
            "url",
            "events",
            "city",
            "description",
            "enabled",
            "secrets",
            "created_at",
            "updated_at",
            "version",
        ];
        assert_eq!(names(&item), expected.into_iter().collect());
        assert_eq!(format!("{:?}", WebhookItem::from_item(item).unwrap()).matches("whsec_").count(), 0);
    }

    #[test]
    fn a_corrupt_endpoint_is_reported() {
        let mut item = WebhookItem::from_domain(&webhook(None)).to_item().unwrap();
        let secrets = item.get_mut("secrets").unwrap();
        let aws_sdk_dynamodb::types::AttributeValue::L(secrets) = secrets else { panic!("a list") };
        let aws_sdk_dynamodb::types::AttributeValue::M(first) = &mut secrets[0] else { panic!("a map") };
        first.insert("secret".into(), crate::store::dynamodb::string("whsec_short"));
        let error = WebhookItem::from_item(item).unwrap().into_domain().unwrap_err();
        assert!(error.to_string().contains("stored webhook"), "{error}");
    }

    #[test]
    fn a_subscription_is_in_its_citys_partition() {
        let webhook = webhook(Some("Saint-Étienne"));
        let city = webhook.city.as_ref();
        let item = SubscriptionItem::from_domain(&webhook).to_item(city).unwrap();
        assert_eq!(item[schema::PARTITION_KEY].as_s().unwrap(), "HOOKS#CITY#saint-etienne");
        assert_eq!(item[schema::SORT_KEY].as_s().unwrap(), &webhook.id.to_string());
        let everywhere = SubscriptionItem::from_domain(&webhook).to_item(None).unwrap();
        assert_eq!(everywhere[schema::PARTITION_KEY].as_s().unwrap(), "HOOKS#ALL");
        let subscription = SubscriptionItem::from_item(item).unwrap().into_domain().unwrap();
        assert_eq!(subscription, Subscription::from(&webhook));
    }

    #[test]
    fn a_waiting_delivery_round_trips_with_its_change() {
        let webhook = webhook(None);
        let change = Change {
            id: uuid::Uuid::now_v7(),
            kind: ChangeType::Updated,
            property_id: PropertyId::generate(),
            version: 3,
            occurred_at: Timestamp::now(),
            city: City::parse("Lyon").unwrap(),
            changed: vec![ChangedMember::Name, ChangedMember::Price],
            listing: Default::default(),
        };
        let mut delivery =
            PendingDelivery::new(&Subscription::from(&webhook), FeedEvent { seq: 42, change }, Timestamp::now());
        delivery.attempts = 2;
        let item = PendingItem::to_item(&delivery).unwrap();
        assert_eq!(item[schema::SORT_KEY].as_s().unwrap(), &format!("PENDING#{}", delivery.property_id()));
        assert_eq!(names(&item), ["pk", "sk", "webhook_id", "owner_id", "event", "attempts", "next_at"].into());
        assert!(!item.contains_key(schema::TIME_TO_LIVE), "a waiting delivery does not expire");
        assert_eq!(PendingItem::from_item(item).unwrap(), delivery);
    }

    #[test]
    fn an_attempt_expires_thirty_days_after_it() {
        let at = Timestamp::now();
        let attempt = DeliveryAttempt {
            webhook: WebhookId::generate(),
            id: uuid::Uuid::now_v7(),
            event_id: uuid::Uuid::now_v7(),
            event_type: "webhook.test".into(),
            property_id: None,
            attempt: 1,
            at,
            status: Some(500),
            error: Some("boom".into()),
            duration_ms: 12,
            next_retry_at: None,
        };
        let item = AttemptItem::from_domain(&attempt).to_item().unwrap();
        assert_eq!(item[schema::SORT_KEY].as_s().unwrap(), &format!("ATTEMPT#{}", attempt.id));
        assert_eq!(item[schema::TIME_TO_LIVE].as_n().unwrap(), &(at.unix_seconds() + 30 * 86_400).to_string());
        let stored = AttemptItem::from_item(item).unwrap();
        assert!(!stored.expired(at));
        assert!(stored.expired(Timestamp::from_unix_seconds(at.unix_seconds() + 30 * 86_400)));
        assert_eq!(stored.into_domain(), attempt);
    }
}
