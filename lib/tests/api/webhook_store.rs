//! The webhook store, on both adapters: endpoints and their limit, the
//! subscriptions the fan-out reads, the deliveries waiting (merged while
//! they wait, settled only if nothing was merged in meanwhile) and the log.

use crate::on_both_stores;
use crate::support::fixtures::{hash, user};
use estate::domain::{
    Change, ChangeType, ChangedMember, City, DeliveryAttempt, EventTypes, FeedEvent, MAX_WEBHOOKS_PER_USER,
    PendingDelivery, PropertyId, Subscription, Timestamp, UserId, Webhook, WebhookId,
};
use estate::store::{PageRequest, Store, StoreError, UserStore, WebhookStore};

on_both_stores!(
    store:
    endpoints_are_created_read_replaced_and_deleted_by_their_owner,
    the_endpoint_limit_holds_under_a_race,
    deleting_the_account_deletes_its_endpoints,
    subscribers_are_those_of_the_city_and_of_every_city,
    changes_of_a_listing_merge_into_one_waiting_delivery,
    a_delivery_settles_only_if_nothing_was_merged_in,
    the_log_pages_newest_first,
);

async fn owner(store: &impl Store, email: &str) -> UserId {
    let owner = user(email);
    store.create_user(&owner, &hash("x"), None).await.unwrap();
    owner.id
}

fn types(codes: &[&str]) -> EventTypes {
    EventTypes::parse(&codes.iter().map(|code| (*code).to_owned()).collect::<Vec<_>>()).unwrap()
}

fn endpoint(owner: UserId, city: Option<&str>) -> Webhook {
    Webhook::register(
        owner,
        "https://example.com/hook".into(),
        types(&["listing.published", "listing.updated"]),
        city.map(|city| City::parse(city).unwrap()),
        "Mine".into(),
        Timestamp::now(),
    )
}

fn ids(subscriptions: &[Subscription]) -> Vec<WebhookId> {
    let mut ids: Vec<WebhookId> = subscriptions.iter().map(|subscription| subscription.webhook).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<WebhookId>) -> Vec<WebhookId> {
    ids.sort();
    ids
}

fn change(property: PropertyId, seq: u64, kind: ChangeType, version: u64, changed: Vec<ChangedMember>) -> FeedEvent {
    let change = Change {
        id: uuid::Uuid::now_v7(),
        kind,
        property_id: property,
        version,
        occurred_at: Timestamp::now(),
        city: City::parse("Lyon").unwrap(),
        changed,
        listing: Default::default(),
    };
    FeedEvent { seq, change }
}

fn attempt(webhook: WebhookId, at: Timestamp) -> DeliveryAttempt {
    DeliveryAttempt {
        webhook,
        id: uuid::Uuid::now_v7(),
        event_id: uuid::Uuid::now_v7(),
        event_type: "listing.updated".into(),
        property_id: Some(PropertyId::generate()),
        attempt: 1,
        at,
        status: Some(503),
        error: Some("unavailable".into()),
        duration_ms: 42,
        next_retry_at: None,
    }
}

async fn endpoints_are_created_read_replaced_and_deleted_by_their_owner(store: impl Store) {
    let ada = owner(&store, "hooks@example.com").await;
    let bob = owner(&store, "other@example.com").await;
    let nobody = endpoint(UserId::generate(), None);
    assert_eq!(store.create_webhook(&nobody).await, Err(StoreError::AccountGone));

    let lyon = endpoint(ada, Some("Lyon"));
    let everywhere = endpoint(ada, None);
    store.create_webhook(&lyon).await.unwrap();
    store.create_webhook(&everywhere).await.unwrap();
    assert_eq!(store.create_webhook(&lyon).await, Ok(()), "sent again, an applied creation succeeds again");
    assert_eq!(store.webhooks_of(ada).await.unwrap(), [lyon.clone(), everywhere.clone()], "oldest first");
    assert_eq!(store.webhooks_of(bob).await.unwrap(), []);
    assert_eq!(store.get_webhook(ada, lyon.id).await.unwrap(), Some(lyon.clone()));
    assert_eq!(store.get_webhook(bob, lyon.id).await.unwrap(), None, "another's endpoint");
    assert_eq!(store.get_webhook(ada, WebhookId::generate()).await.unwrap(), None);

    // To Paris, with other event types and a rotated secret.
    let mut moved = lyon.clone();
    moved.city = Some(City::parse("Paris").unwrap());
    moved.events = types(&["listing.deleted"]);
    moved.rotate_secret(Timestamp::now());
    store.replace_webhook(&moved, 1).await.unwrap();
    assert_eq!(store.get_webhook(ada, lyon.id).await.unwrap(), Some(moved.clone()));
    assert_eq!(moved.version, 2);
    let lyon_now = store.subscribers(&City::parse("lyon").unwrap()).await.unwrap();
    assert_eq!(ids(&lyon_now), [everywhere.id]);
    let paris = store.subscribers(&City::parse("Paris").unwrap()).await.unwrap();
    assert_eq!(ids(&paris), sorted(vec![lyon.id, everywhere.id]));
    let subscription = paris.iter().find(|subscription| subscription.webhook == lyon.id).unwrap();
    assert_eq!(subscription, &Subscription::from(&moved), "the subscription follows the endpoint");

    // In the same city, the event types still follow.
    let mut retyped = moved.clone();
    retyped.events = types(&["listing.closed", "listing.unpublished"]);
    retyped.touch(Timestamp::now());
    assert_eq!(store.replace_webhook(&retyped, 1).await, Err(StoreError::VersionMismatch));
    store.replace_webhook(&retyped, 2).await.unwrap();
    let paris = store.subscribers(&City::parse("PARIS").unwrap()).await.unwrap();
    let subscription = paris.iter().find(|subscription| subscription.webhook == lyon.id).unwrap();
    assert_eq!(subscription.events, retyped.events);

    let mut stolen = retyped.clone();
    stolen.owner = bob;
    stolen.touch(Timestamp::now());
    assert_eq!(store.replace_webhook(&stolen, 3).await, Err(StoreError::WebhookNotFound), "another's endpoint");
    assert_eq!(store.delete_webhook(bob, lyon.id).await, Err(StoreError::WebhookNotFound));
    assert_eq!(store.get_webhook(ada, lyon.id).await.unwrap(), Some(retyped.clone()));

    store.delete_webhook(ada, lyon.id).await.unwrap();
    assert_eq!(store.get_webhook(ada, lyon.id).await.unwrap(), None);
    assert_eq!(store.webhooks_of(ada).await.unwrap(), std::slice::from_ref(&everywhere));
    assert_eq!(store.delete_webhook(ada, lyon.id).await, Err(StoreError::WebhookNotFound));
    let mut revived = retyped.clone();
    revived.touch(Timestamp::now());
    assert_eq!(store.replace_webhook(&revived, 3).await, Err(StoreError::WebhookNotFound));
    let paris = store.subscribers(&City::parse("Paris").unwrap()).await.unwrap();
    assert_eq!(ids(&paris), [everywhere.id], "its subscription went with it");
}

async fn the_endpoint_limit_holds_under_a_race(store: impl Store) {
    let ada = owner(&store, "many@example.com").await;
    let creations: Vec<_> = (0..MAX_WEBHOOKS_PER_USER + 5)
        .map(|i| {
            let store = store.clone();
            let webhook = endpoint(ada, (i % 2 == 0).then_some("Lyon"));
            tokio::spawn(async move { store.create_webhook(&webhook).await })
        })
        .collect();
    let mut created = 0;
    for creation in creations {
        match creation.await.unwrap() {
            Ok(()) => created += 1,
            Err(error) => assert_eq!(error, StoreError::WebhookLimitReached),
        }
    }
    assert_eq!(created, MAX_WEBHOOKS_PER_USER);
    let held = store.webhooks_of(ada).await.unwrap();
    assert_eq!(held.len(), MAX_WEBHOOKS_PER_USER);
    assert_eq!(store.create_webhook(&endpoint(ada, None)).await, Err(StoreError::WebhookLimitReached));

    store.delete_webhook(ada, held[3].id).await.unwrap();
    store.create_webhook(&endpoint(ada, None)).await.expect("one more fits after a deletion");
    assert_eq!(store.create_webhook(&endpoint(ada, None)).await, Err(StoreError::WebhookLimitReached));
    assert_eq!(store.webhooks_of(ada).await.unwrap().len(), MAX_WEBHOOKS_PER_USER);

    // Half-way to the limit, more creations at once than it leaves room for.
    let other = owner(&store, "few@example.com").await;
    for _ in 0..MAX_WEBHOOKS_PER_USER / 2 {
        store.create_webhook(&endpoint(other, None)).await.expect("the limit is per user");
    }
    let creations: Vec<_> = (0..MAX_WEBHOOKS_PER_USER)
        .map(|_| {
            let store = store.clone();
            let webhook = endpoint(other, Some("Paris"));
            tokio::spawn(async move { store.create_webhook(&webhook).await })
        })
        .collect();
    let mut created = 0;
    for creation in creations {
        match creation.await.unwrap() {
            Ok(()) => created += 1,
            Err(error) => assert_eq!(error, StoreError::WebhookLimitReached),
        }
    }
    assert_eq!(created, MAX_WEBHOOKS_PER_USER - MAX_WEBHOOKS_PER_USER / 2);
    assert_eq!(store.webhooks_of(other).await.unwrap().len(), MAX_WEBHOOKS_PER_USER);
}

async fn deleting_the_account_deletes_its_endpoints(store: impl Store) {
    let leaving = owner(&store, "leaving@example.com").await;
    let staying = owner(&store, "staying@example.com").await;
    let (lyon, everywhere, kept) = (endpoint(leaving, Some("Lyon")), endpoint(leaving, None), endpoint(staying, None));
    for webhook in [&lyon, &everywhere, &kept] {
        store.create_webhook(webhook).await.unwrap();
    }
    let event = change(PropertyId::generate(), 1, ChangeType::Published, 1, vec![]);
    for webhook in [&lyon, &kept] {
        assert!(store.queue_delivery(&Subscription::from(webhook), &event, Timestamp::now()).await.unwrap());
        store.record_attempt(&attempt(webhook.id, Timestamp::now())).await.unwrap();
    }

    store.delete_user(leaving).await.unwrap();
    assert_eq!(store.webhooks_of(leaving).await.unwrap(), []);
    assert_eq!(store.get_webhook(leaving, lyon.id).await.unwrap(), None);
    assert_eq!(ids(&store.subscribers(&City::parse("Lyon").unwrap()).await.unwrap()), [kept.id]);
    assert_eq!(store.pending_deliveries(lyon.id).await.unwrap(), []);
    let first = PageRequest { limit: 10, after: None };
    assert_eq!(store.delivery_attempts(lyon.id, first.clone()).await.unwrap().items, []);
    assert_eq!(store.pending_deliveries(kept.id).await.unwrap().len(), 1, "another's endpoint stays");
    assert_eq!(store.delivery_attempts(kept.id, first).await.unwrap().items.len(), 1);
}

async fn subscribers_are_those_of_the_city_and_of_every_city(store: impl Store) {
    let ada = owner(&store, "fanout@example.com").await;
    let bob = owner(&store, "fanout2@example.com").await;
    let lyon = endpoint(ada, Some("Lyon"));
    let also_lyon = endpoint(bob, Some("LYON"));
    let paris = endpoint(ada, Some("Paris"));
    let everywhere = endpoint(bob, None);
    for webhook in [&lyon, &also_lyon, &paris, &everywhere] {
        store.create_webhook(webhook).await.unwrap();
    }
    let of = |city: &str| {
        let store = store.clone();
        let city = City::parse(city).unwrap();
        async move { store.subscribers(&city).await.unwrap() }
    };
    let in_lyon = of("lyon").await;
    assert_eq!(ids(&in_lyon), sorted(vec![lyon.id, also_lyon.id, everywhere.id]));
    assert!(in_lyon.contains(&Subscription::from(&also_lyon)), "owner and event types: {in_lyon:?}");
    assert_eq!(ids(&of("Paris").await), sorted(vec![paris.id, everywhere.id]));
    assert_eq!(ids(&of("Nice").await), [everywhere.id]);
}

async fn changes_of_a_listing_merge_into_one_waiting_delivery(store: impl Store) {
    let ada = owner(&store, "merge@example.com").await;
    let webhook = endpoint(ada, None);
    store.create_webhook(&webhook).await.unwrap();
    let subscription = Subscription::from(&webhook);
    let (listing, other) = (PropertyId::generate(), PropertyId::generate());
    let now = Timestamp::now();

    let first = change(listing, 10, ChangeType::Updated, 2, vec![ChangedMember::Price]);
    assert!(store.queue_delivery(&subscription, &first, now).await.unwrap(), "a new delivery starts");
    let started = PendingDelivery::new(&subscription, first.clone(), now);
    assert_eq!(store.pending_delivery(webhook.id, listing).await.unwrap(), Some(started.clone()));

    let second = change(listing, 11, ChangeType::Updated, 3, vec![ChangedMember::Name]);
    assert!(!store.queue_delivery(&subscription, &second, Timestamp::now()).await.unwrap(), "merged in");
    let merged = store.pending_delivery(webhook.id, listing).await.unwrap().unwrap();
    assert_eq!(merged, started.merge(&second));
    assert_eq!((merged.event.seq, merged.event.change.version), (11, 3), "the later version");
    assert_eq!(merged.event.change.changed, [ChangedMember::Name, ChangedMember::Price]);
    assert_eq!(merged.next_at, now, "still due when it was");

    let older = change(listing, 9, ChangeType::Updated, 1, vec![ChangedMember::Photos]);
    assert!(!store.queue_delivery(&subscription, &older, Timestamp::now()).await.unwrap());
    assert!(!store.queue_delivery(&subscription, &second, Timestamp::now()).await.unwrap());
    assert_eq!(store.pending_delivery(webhook.id, listing).await.unwrap(), Some(merged.clone()), "nothing changed");

    let elsewhere = change(other, 12, ChangeType::Published, 1, vec![]);
    assert!(store.queue_delivery(&subscription, &elsewhere, now).await.unwrap());
    let mut waiting = store.pending_deliveries(webhook.id).await.unwrap();
    waiting.sort_by_key(PendingDelivery::property_id);
    let mut expected = vec![merged, PendingDelivery::new(&subscription, elsewhere, now)];
    expected.sort_by_key(PendingDelivery::property_id);
    assert_eq!(waiting, expected);
    assert_eq!(store.pending_delivery(webhook.id, PropertyId::generate()).await.unwrap(), None);
}

async fn a_delivery_settles_only_if_nothing_was_merged_in(store: impl Store) {
    let ada = owner(&store, "settle@example.com").await;
    let webhook = endpoint(ada, None);
    store.create_webhook(&webhook).await.unwrap();
    let subscription = Subscription::from(&webhook);
    let listing = PropertyId::generate();
    let first = change(listing, 1, ChangeType::Published, 1, vec![]);
    store.queue_delivery(&subscription, &first, Timestamp::now()).await.unwrap();
    let attempted = store.pending_delivery(webhook.id, listing).await.unwrap().unwrap();

    // While it was being attempted, a later change was merged in.
    let later = change(listing, 2, ChangeType::Updated, 2, vec![ChangedMember::Price]);
    store.queue_delivery(&subscription, &later, Timestamp::now()).await.unwrap();
    let merged = store.pending_delivery(webhook.id, listing).await.unwrap().unwrap();
    assert_eq!(store.settle_delivery(&attempted, None).await, Ok(false));
    let retry = PendingDelivery { attempts: 1, next_at: Timestamp::now(), ..attempted.clone() };
    assert_eq!(store.settle_delivery(&attempted, Some(&retry)).await, Ok(false));
    assert_eq!(store.pending_delivery(webhook.id, listing).await.unwrap(), Some(merged.clone()), "still to deliver");

    let next = PendingDelivery { attempts: 1, ..merged.clone() };
    assert_eq!(store.settle_delivery(&merged, Some(&next)).await, Ok(true));
    assert_eq!(store.pending_delivery(webhook.id, listing).await.unwrap(), Some(next.clone()));
    assert_eq!(store.settle_delivery(&next, None).await, Ok(true));
    assert_eq!(store.pending_delivery(webhook.id, listing).await.unwrap(), None);
    assert_eq!(store.settle_delivery(&next, None).await, Ok(true), "nothing left to settle");
    assert_eq!(store.pending_deliveries(webhook.id).await.unwrap(), []);
}

async fn the_log_pages_newest_first(store: impl Store) {
    let ada = owner(&store, "log@example.com").await;
    let webhook = endpoint(ada, None);
    let other = endpoint(ada, None);
    store.create_webhook(&webhook).await.unwrap();
    store.create_webhook(&other).await.unwrap();
    // Older than the log keeps: never shown.
    let long_ago = Timestamp::from_unix_seconds(Timestamp::now().unix_seconds() - 31 * 24 * 60 * 60);
    store.record_attempt(&attempt(webhook.id, long_ago)).await.unwrap();
    let mut recorded = Vec::new();
    for _ in 0..5 {
        let attempt = attempt(webhook.id, Timestamp::now());
        store.record_attempt(&attempt).await.unwrap();
        recorded.push(attempt);
    }
    store.record_attempt(&attempt(other.id, Timestamp::now())).await.unwrap();

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store.delivery_attempts(webhook.id, PageRequest { limit: 2, after: after.clone() }).await.unwrap();
        assert!(page.items.len() <= 2);
        seen.extend(page.items.iter().cloned());
        match page.next {
            Some(next) => {
                assert_eq!(next, page.items.last().unwrap().id.to_string(), "the position is the last id");
                after = Some(next);
            }
            None => break,
        }
    }
    recorded.reverse();
    assert_eq!(seen, recorded, "newest first, every attempt once, the expired one left out");
    let all = store.delivery_attempts(webhook.id, PageRequest { limit: 5, after: None }).await.unwrap();
    assert_eq!((all.items.len(), all.next), (5, None));
    let none = store.delivery_attempts(WebhookId::generate(), PageRequest { limit: 5, after: None }).await.unwrap();
    assert_eq!((none.items, none.next), (vec![], None));
}

/// What the port cannot see: no item of a deleted account's endpoints is
/// left in the table (their count, subscriptions, deliveries and log).
#[tokio::test]
#[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
async fn deleting_the_account_leaves_no_item_of_its_endpoints() {
    let store = crate::support::dynamo_store().await;
    let leaving = owner(&store, "no-trace@example.com").await;
    let staying = owner(&store, "trace@example.com").await;
    let (lyon, everywhere, kept) = (endpoint(leaving, Some("Lyon")), endpoint(leaving, None), endpoint(staying, None));
    for webhook in [&lyon, &everywhere, &kept] {
        store.create_webhook(webhook).await.unwrap();
    }
    store.delete_webhook(leaving, everywhere.id).await.unwrap();
    let event = change(PropertyId::generate(), 1, ChangeType::Published, 1, vec![]);
    store.queue_delivery(&Subscription::from(&lyon), &event, Timestamp::now()).await.unwrap();
    store.record_attempt(&attempt(lyon.id, Timestamp::now())).await.unwrap();
    store.delete_user(leaving).await.unwrap();

    let scan = store.client().scan().table_name(store.table()).send().await.unwrap();
    let keys: Vec<String> = scan
        .items()
        .iter()
        .map(|item| format!("{} {}", item["pk"].as_s().unwrap(), item["sk"].as_s().unwrap()))
        .collect();
    let traces: Vec<&String> = keys
        .iter()
        .filter(|key| {
            [leaving.to_string(), lyon.id.to_string(), everywhere.id.to_string()].iter().any(|id| key.contains(id))
        })
        .collect();
    assert_eq!(traces, Vec::<&String>::new(), "left behind, of {keys:#?}");
    assert!(keys.contains(&format!("HOOKS#ALL {}", kept.id)), "{keys:#?}");
    assert!(keys.contains(&format!("HOOKS#USER#{staying} COUNT")), "{keys:#?}");
}
