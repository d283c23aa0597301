//! Webhook endpoints (issue 30): where a user asks for the changes of the
//! public feed to be sent, signed with secrets only they and we hold; the
//! deliveries waiting for them, one per listing, merged while they wait;
//! and the log of every attempt.

use super::webhook_secret::Secret;
use super::{Change, ChangeType, ChangedMember, City, FeedEvent, Invalid, PropertyId, Timestamp, UserId, WebhookId};
use std::time::Duration;

/// At most this many endpoints a user.
pub const MAX_WEBHOOKS_PER_USER: usize = 10;

/// How long a rotated secret keeps signing beside the new one.
pub const ROTATION_OVERLAP: Duration = Duration::from_secs(24 * 60 * 60);

/// After failing this long without a success, an endpoint is disabled.
pub const FAILING_LIMIT: Duration = Duration::from_secs(3 * 24 * 60 * 60);

/// The longest description.
pub const MAX_DESCRIPTION: usize = 500;

/// The event types an endpoint takes: at least one, each once, in
/// `ChangeType::ALL` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypes(Vec<ChangeType>);

impl EventTypes {
    pub fn parse(codes: &[String]) -> Result<Self, Invalid> {
        let mut types = Vec::new();
        for code in codes {
            types.push(ChangeType::parse(code)?);
        }
        if types.is_empty() {
            return Err(Invalid::new("must name at least one event type"));
        }
        Ok(Self(ChangeType::ALL.iter().copied().filter(|kind| types.contains(kind)).collect()))
    }

    pub fn from_stored(types: Vec<ChangeType>) -> Self {
        Self(types)
    }

    pub fn as_slice(&self) -> &[ChangeType] {
        &self.0
    }

    pub fn contains(&self, kind: ChangeType) -> bool {
        self.0.contains(&kind)
    }
}

/// A signing secret, and when it stops signing (a rotated one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningSecret {
    pub secret: Secret,
    pub retires_at: Option<Timestamp>,
}

/// A webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: WebhookId,
    pub owner: UserId,
    /// Checked against the delivery rules when set (`webhooks::address`).
    pub url: String,
    pub events: EventTypes,
    /// Only the changes of listings in this city; `None`: everywhere.
    pub city: Option<City>,
    pub description: String,
    /// `false` when disabled, by its owner or by failures (`disabled_reason`).
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Since when every attempt failed; `None` after a success.
    pub failing_since: Option<Timestamp>,
    /// The current secret first, then a rotated one while it still signs.
    pub secrets: Vec<SigningSecret>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// 1, then one more on every change: writes are conditioned on it.
    pub version: u64,
}

impl Webhook {
    /// A new endpoint of `owner`, enabled, with a fresh secret.
    pub fn register(
        owner: UserId,
        url: String,
        events: EventTypes,
        city: Option<City>,
        description: String,
        now: Timestamp,
    ) -> Self {
        Self {
            id: WebhookId::generate(),
            owner,
            url,
            events,
            city,
            description,
            enabled: true,
            disabled_reason: None,
            failing_since: None,
            secrets: vec![SigningSecret { secret: Secret::generate(), retires_at: None }],
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Whether `change` is one the endpoint asked for.
    pub fn wants(&self, change: &Change) -> bool {
        self.events.contains(change.kind) && self.city.as_ref().is_none_or(|city| city.key() == change.city.key())
    }

    /// The secrets that sign at `now`: the current one, and a rotated one
    /// for `ROTATION_OVERLAP` after its rotation.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&Secret> {
        let signs = |secret: &&SigningSecret| secret.retires_at.is_none_or(|retires| retires > now);
        self.secrets.iter().filter(signs).map(|secret| &secret.secret).collect()
    }

    /// A new current secret; the old one signs beside it for a day.
    pub fn rotate_secret(&mut self, now: Timestamp) -> &Secret {
        let retires = Timestamp::from_unix_seconds(now.unix_seconds() + ROTATION_OVERLAP.as_secs() as i64);
        self.secrets.retain(|secret| secret.retires_at.is_none());
        for secret in &mut self.secrets {
            secret.retires_at = Some(retires);
        }
        self.secrets.insert(0, SigningSecret { secret: Secret::generate(), retires_at: None });
        self.touch(now);
        &self.secrets[0].secret
    }

    /// Disabled, saying why, until its owner enables it again.
    pub fn disable(&mut self, why: &str, now: Timestamp) {
        self.enabled = false;
        self.disabled_reason = Some(why.to_owned());
        self.touch(now);
    }

    /// Enabled again by its owner: deliveries resume where they stopped.
    pub fn enable(&mut self, now: Timestamp) {
        self.enabled = true;
        self.disabled_reason = None;
        self.failing_since = None;
        self.touch(now);
    }

    pub fn touch(&mut self, now: Timestamp) {
        self.updated_at = now;
        self.version += 1;
    }
}

/// What the fan-out of a change needs of an endpoint subscribed to its
/// city (or to every city): whose it is, and the types it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub webhook: WebhookId,
    pub owner: UserId,
    pub events: EventTypes,
}

impl From<&Webhook> for Subscription {
    fn from(webhook: &Webhook) -> Self {
        Self { webhook: webhook.id, owner: webhook.owner, events: webhook.events.clone() }
    }
}

/// A change waiting to be delivered to one endpoint: one per listing, the
/// later changes of the listing merged into it while it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingDelivery {
    pub webhook: WebhookId,
    pub owner: UserId,
    pub event: FeedEvent,
    /// Attempts made so far.
    pub attempts: u32,
    /// Not to be attempted before.
    pub next_at: Timestamp,
}

impl PendingDelivery {
    pub fn new(subscription: &Subscription, event: FeedEvent, now: Timestamp) -> Self {
        Self { webhook: subscription.webhook, owner: subscription.owner, event, attempts: 0, next_at: now }
    }

    pub fn property_id(&self) -> PropertyId {
        self.event.change.property_id
    }

    /// This delivery with a later change of its listing merged in: the
    /// latest version and position, the members changed in either. A
    /// publication still waiting stays one (the receiver never saw the
    /// listing); an older change than the one waiting changes nothing.
    pub fn merge(&self, later: &FeedEvent) -> Self {
        let (waiting, next) = (&self.event.change, &later.change);
        if next.version <= waiting.version {
            return self.clone();
        }
        let kind = match (waiting.kind, next.kind) {
            (ChangeType::Published, ChangeType::Updated) => ChangeType::Published,
            (_, later) => later,
        };
        let changed = match kind {
            ChangeType::Published | ChangeType::Deleted => Vec::new(),
            _ => {
                let union = |member: &ChangedMember| waiting.changed.contains(member) || next.changed.contains(member);
                ChangedMember::ALL.iter().copied().filter(union).collect()
            }
        };
        let change = Change { kind, changed, ..next.clone() };
        Self { event: FeedEvent { seq: later.seq, change }, ..self.clone() }
    }
}

/// One attempt to deliver, as the endpoint's owner sees it in its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub webhook: WebhookId,
    /// Time-ordered: the log's order.
    pub id: uuid::Uuid,
    pub event_id: uuid::Uuid,
    /// `listing.*`, or `webhook.test`.
    pub event_type: String,
    pub property_id: Option<PropertyId>,
    /// 1 for the first attempt of a delivery.
    pub attempt: u32,
    pub at: Timestamp,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// Why the attempt failed, if it did: no secret, at most 1 KiB of the
    /// receiver's answer.
    pub error: Option<String>,
    pub duration_ms: u64,
    pub next_retry_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: u64, kind: ChangeType, version: u64, changed: Vec<ChangedMember>) -> FeedEvent {
        let change = Change {
            id: uuid::Uuid::now_v7(),
            kind,
            property_id: PropertyId::parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a60").unwrap(),
            version,
            occurred_at: Timestamp::now(),
            city: City::parse("Lyon").unwrap(),
            changed,
            listing: Default::default(),
        };
        FeedEvent { seq, change }
    }

    fn waiting(first: FeedEvent) -> PendingDelivery {
        let hook = Webhook::register(
            UserId::generate(),
            "https://example.com".into(),
            EventTypes::parse(&["listing.updated".into()]).unwrap(),
            None,
            String::new(),
            Timestamp::now(),
        );
        PendingDelivery::new(&Subscription::from(&hook), first, Timestamp::now())
    }

    #[test]
    fn a_burst_of_edits_merges_into_one_delivery() {
        use ChangedMember::*;
        let merged = waiting(event(1, ChangeType::Updated, 2, vec![Price]))
            .merge(&event(2, ChangeType::Updated, 3, vec![Name]))
            .merge(&event(3, ChangeType::Updated, 4, vec![Price, Rooms]));
        assert_eq!((merged.event.seq, merged.event.change.version), (3, 4));
        assert_eq!(merged.event.change.changed, [Name, Price, Rooms]);
        let stale = merged.merge(&event(0, ChangeType::Updated, 3, vec![Photos]));
        assert_eq!(stale, merged, "an older change changes nothing");
    }

    #[test]
    fn a_waiting_publication_stays_one_and_a_deletion_ends_all() {
        let published = waiting(event(1, ChangeType::Published, 1, vec![]));
        let edited = published.merge(&event(2, ChangeType::Updated, 2, vec![ChangedMember::Price]));
        assert_eq!((edited.event.change.kind, edited.event.change.changed.len()), (ChangeType::Published, 0));
        let deleted = edited.merge(&event(3, ChangeType::Deleted, 3, vec![]));
        assert_eq!(deleted.event.change.kind, ChangeType::Deleted);
    }

    #[test]
    fn a_rotated_secret_signs_for_a_day_beside_the_new_one() {
        let now = Timestamp::now();
        let mut hook = Webhook::register(
            UserId::generate(),
            "https://example.com".into(),
            EventTypes::parse(&["listing.published".into()]).unwrap(),
            None,
            String::new(),
            now,
        );
        let first = hook.secrets[0].secret.clone();
        let second = hook.rotate_secret(now).clone();
        assert_eq!(hook.signing_secrets(now), [&second, &first]);
        let later = Timestamp::from_unix_seconds(now.unix_seconds() + ROTATION_OVERLAP.as_secs() as i64 + 1);
        assert_eq!(hook.signing_secrets(later), [&second]);
        hook.rotate_secret(now);
        assert_eq!(hook.secrets.len(), 2, "only the last secret keeps signing after another rotation");
    }
}
