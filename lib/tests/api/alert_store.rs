//! The alert store, on both adapters: favourites and their limit, saved
//! searches and theirs, the alerts' index a change is matched through,
//! notifications notified once, inboxes, and what an account's deletion
//! leaves of them (nothing).

use crate::on_both_stores;
use crate::support::fixtures::{hash, property, user};
use crate::support::{CallLog, counted_dynamo_store, dynamo_store};
use estate::domain::{
    AlertBounds, AlertEvent, AlertSettings, DigestMatch, Favourite, Frequency, MAX_FAVOURITES_PER_USER,
    MAX_SAVED_SEARCHES_PER_USER, NOTIFICATION_LIFETIME_SECONDS, Notification, NotificationId, NotificationKind,
    PropertyId, PropertyType, SavedSearch, SavedSearchId, SearchName, Timestamp, UserId,
};
use estate::store::{AlertStore, DynamoStore, MemoryStore, PageRequest, PropertyStore, Store, StoreError, UserStore};
use std::collections::HashMap;

on_both_stores!(
    store:
    a_favourite_is_kept_once,
    the_favourite_limit_holds_under_a_race,
    favourites_are_listed_newest_first_and_by_listing,
    only_the_properties_that_exist_are_read,
    saved_searches_are_created_read_replaced_and_deleted_by_their_owner,
    the_saved_search_limit_holds_under_a_race,
    a_change_finds_the_searches_of_its_city_and_its_cell,
    an_alert_is_notified_once,
    the_inbox_pages_newest_first_and_counts_the_unread,
    deleting_the_account_deletes_its_favourites_searches_and_inbox,
    matches_wait_for_their_digest_once_each,
);

async fn owner(store: &impl Store, email: &str) -> UserId {
    let owner = user(email);
    store.create_user(&owner, &hash("x"), None).await.unwrap();
    owner.id
}

fn favourite(owner: UserId, property_id: PropertyId, saved_at: Timestamp) -> Favourite {
    Favourite { owner, property_id, saved_at }
}

fn search(owner: UserId, city: Option<&str>, cells: &[&str]) -> SavedSearch {
    let filter = serde_json::json!({"city": "Lyon", "max_price": 300000});
    SavedSearch {
        id: SavedSearchId::generate(),
        owner,
        name: SearchName::parse("Lyon under 300k").unwrap(),
        filter: filter.as_object().unwrap().clone(),
        alerts: AlertSettings::default(),
        bounds: AlertBounds {
            city: city.map(Into::into),
            cells: cells.iter().map(|cell| (*cell).to_owned()).collect(),
        },
        unsubscribe_secret: [0; 32],
        created_at: Timestamp::now(),
        updated_at: Timestamp::now(),
        version: 1,
    }
}

/// `search` as its owner changes it: one version on.
fn changed(search: &SavedSearch, change: impl FnOnce(&mut SavedSearch)) -> SavedSearch {
    let mut next = search.clone();
    change(&mut next);
    next.version += 1;
    next.updated_at = Timestamp::now();
    next
}

/// Matches are held once each (an alert of the same listing, event and
/// version told already holds nothing), wait until their digest is due,
/// and go with it; a digest with more than `MAX_DIGEST_MATCHES` stays due
/// for the rest.
async fn matches_wait_for_their_digest_once_each(store: impl Store) {
    use estate::store::alerts::MAX_DIGEST_MATCHES;
    let ada = owner(&store, "ada@example.com").await;
    let daily = search(ada, Some("lyon"), &[]);
    store.create_saved_search(&daily).await.unwrap();
    let now = Timestamp::now();
    let due = Timestamp::from_unix_seconds(now.unix_seconds() + 3600);
    let found = |property_id: PropertyId, version: u64| DigestMatch {
        event: AlertEvent::PriceDrop,
        property_id,
        version,
        at: Timestamp::from_unix_seconds(now.unix_seconds() + version as i64),
    };
    let listing = PropertyId::generate();
    assert!(store.hold_for_digest(&daily, &found(listing, 1), due).await.unwrap());
    assert!(!store.hold_for_digest(&daily, &found(listing, 1), due).await.unwrap(), "held once");
    let told = alert(ada, listing, 2);
    assert!(store.notify(&told).await.unwrap());
    assert!(!store.hold_for_digest(&daily, &found(listing, 2), due).await.unwrap(), "told already");
    for version in 3..=(MAX_DIGEST_MATCHES as u64 + 3) {
        assert!(store.hold_for_digest(&daily, &found(listing, version), due).await.unwrap());
    }

    assert_eq!(store.due_digests(now, 10).await.unwrap(), [], "not due yet");
    let [digest] = store.due_digests(due, 10).await.unwrap().try_into().unwrap();
    assert_eq!((digest.owner, digest.search, digest.due), (ada, daily.id, due));
    let held = store.held_matches(&digest).await.unwrap();
    assert_eq!(held.len(), MAX_DIGEST_MATCHES + 2);
    assert_eq!(held[0], found(listing, 1), "oldest first");
    let first = &held[..MAX_DIGEST_MATCHES];
    let kind = NotificationKind::Digest { search: daily.id, matches: first.to_vec() };
    let sent = Notification::new(ada, kind, due);
    store.close_digest(&digest, first, Some(&sent), false).await.unwrap();
    assert_eq!(store.due_digests(due, 10).await.unwrap(), std::slice::from_ref(&digest), "two matches left");
    let rest = store.held_matches(&digest).await.unwrap();
    assert_eq!(rest, held[MAX_DIGEST_MATCHES..]);
    store.close_digest(&digest, &rest, None, true).await.unwrap();
    assert_eq!(store.due_digests(due, 10).await.unwrap(), []);
    assert_eq!(store.held_matches(&digest).await.unwrap(), []);
    let inbox = store.inbox(ada, PageRequest { limit: 10, after: None }).await.unwrap();
    let kinds: Vec<&NotificationKind> = inbox.page.items.iter().map(|item| &item.kind).collect();
    assert_eq!(kinds, [&sent.kind, &told.kind]);
}

fn alert(owner: UserId, property_id: PropertyId, version: u64) -> Notification {
    let kind = NotificationKind::Alert {
        event: AlertEvent::PriceDrop,
        property_id,
        version,
        searches: vec![SavedSearchId::generate()],
        favourite: true,
    };
    Notification::new(owner, kind, Timestamp::now())
}

/// A notification made `days` ago, its id of that time as its own would be.
fn notified_days_ago(owner: UserId, days: i64) -> Notification {
    let at = Timestamp::from_unix_seconds(Timestamp::now().unix_seconds() - days * 24 * 60 * 60);
    let stamp = uuid::Timestamp::from_unix(uuid::NoContext, u64::try_from(at.unix_seconds()).unwrap(), 0);
    let id = NotificationId::parse(&uuid::Uuid::new_v7(stamp).to_string()).unwrap();
    let kind = NotificationKind::Digest { search: SavedSearchId::generate(), matches: vec![] };
    Notification { id, owner, created_at: at, kind }
}

fn ids(searches: &[SavedSearch]) -> Vec<SavedSearchId> {
    let mut ids: Vec<SavedSearchId> = searches.iter().map(|search| search.id).collect();
    ids.sort();
    ids
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

/// The outcomes of tasks all started before the first is awaited, in their order.
async fn at_once<T: Send + 'static>(tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let started: Vec<_> = tasks.into_iter().collect();
    let mut outcomes = Vec::with_capacity(started.len());
    for task in started {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

fn first(limit: usize) -> PageRequest {
    PageRequest { limit, after: None }
}

async fn a_favourite_is_kept_once(store: impl Store) {
    let ada = owner(&store, "keeps@example.com").await;
    let listing = PropertyId::generate();
    let kept = favourite(ada, listing, Timestamp::now());
    let nobody = favourite(UserId::generate(), listing, Timestamp::now());
    assert_eq!(store.save_favourite(&nobody).await, Err(StoreError::AccountGone));

    assert_eq!(store.save_favourite(&kept).await, Ok(true), "new");
    let again = favourite(ada, listing, Timestamp::from_unix_seconds(kept.saved_at.unix_seconds() + 60));
    assert_eq!(store.save_favourite(&again).await, Ok(false), "kept already: nothing written");
    assert_eq!(store.favourites_of(ada).await.unwrap(), std::slice::from_ref(&kept));
    assert_eq!(store.favourited_by(listing).await.unwrap(), [ada]);

    assert_eq!(store.remove_favourite(ada, listing).await, Ok(true));
    assert_eq!(store.remove_favourite(ada, listing).await, Ok(false), "removing twice is no error");
    assert_eq!(store.remove_favourite(ada, PropertyId::generate()).await, Ok(false));
    assert_eq!(store.favourites_of(ada).await.unwrap(), []);
    assert_eq!(store.favourited_by(listing).await.unwrap(), []);
    assert_eq!(store.save_favourite(&again).await, Ok(true), "kept again after its removal");
}

/// How a test keeps many favourites before the one it is about: on
/// DynamoDB, written straight to the table as the adapter writes them, as
/// each transaction of the test server copies the table whole.
trait KeepMany {
    async fn keep_many(&self, owner: UserId, listings: &[PropertyId]);
}

impl KeepMany for MemoryStore {
    async fn keep_many(&self, owner: UserId, listings: &[PropertyId]) {
        for listing in listings {
            assert_eq!(self.save_favourite(&favourite(owner, *listing, Timestamp::now())).await, Ok(true));
        }
    }
}

impl KeepMany for DynamoStore {
    async fn keep_many(&self, owner: UserId, listings: &[PropertyId]) {
        use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
        let text = |value: String| AttributeValue::S(value);
        let saved_at = serde_json::to_value(Timestamp::now()).unwrap().as_str().unwrap().to_owned();
        let mut items = vec![HashMap::from([
            ("pk".to_owned(), text(format!("FAVOURITES#{owner}"))),
            ("sk".to_owned(), text("COUNT".into())),
            ("count".to_owned(), AttributeValue::N(listings.len().to_string())),
        ])];
        for listing in listings {
            items.push(HashMap::from([
                ("pk".to_owned(), text(format!("FAVOURITES#{owner}"))),
                ("sk".to_owned(), text(format!("PROPERTY#{listing}"))),
                ("property_id".to_owned(), text(listing.to_string())),
                ("saved_at".to_owned(), text(saved_at.clone())),
            ]));
            items.push(HashMap::from([
                ("pk".to_owned(), text(format!("FAVOURED#{listing}"))),
                ("sk".to_owned(), text(owner.to_string())),
                ("owner_id".to_owned(), text(owner.to_string())),
            ]));
        }
        for chunk in items.chunks(25) {
            let puts = chunk.iter().map(|item| {
                let put = PutRequest::builder().set_item(Some(item.clone())).build().unwrap();
                WriteRequest::builder().put_request(put).build()
            });
            let written =
                self.client().batch_write_item().request_items(self.table(), puts.collect()).send().await.unwrap();
            assert!(written.unprocessed_items().is_none_or(HashMap::is_empty), "the test server throttles nothing");
        }
    }
}

async fn the_favourite_limit_holds_under_a_race(store: impl Store + KeepMany) {
    let ada = owner(&store, "hoarder@example.com").await;
    let listings: Vec<PropertyId> = (0..MAX_FAVOURITES_PER_USER - 2).map(|_| PropertyId::generate()).collect();
    store.keep_many(ada, &listings).await;
    assert_eq!(store.favourites_of(ada).await.unwrap().len(), listings.len());
    // Two places left, ten saves at once.
    let saves = (0..10).map(|_| {
        let store = store.clone();
        let kept = favourite(ada, PropertyId::generate(), Timestamp::now());
        tokio::spawn(async move { store.save_favourite(&kept).await })
    });
    let mut saved = 0;
    for outcome in at_once(saves).await {
        match outcome {
            Ok(true) => saved += 1,
            other => assert_eq!(other, Err(StoreError::FavouriteLimitReached)),
        }
    }
    assert_eq!(saved, 2);
    assert_eq!(store.favourites_of(ada).await.unwrap().len(), MAX_FAVOURITES_PER_USER as usize);
    let one_more = favourite(ada, PropertyId::generate(), Timestamp::now());
    assert_eq!(store.save_favourite(&one_more).await, Err(StoreError::FavouriteLimitReached));
    let kept = favourite(ada, listings[0], Timestamp::now());
    assert_eq!(store.save_favourite(&kept).await, Ok(false), "kept already, at the limit");

    store.remove_favourite(ada, listings[0]).await.unwrap();
    assert_eq!(store.save_favourite(&one_more).await, Ok(true), "one more fits after a removal");
    let bob = owner(&store, "few@example.com").await;
    assert_eq!(store.save_favourite(&favourite(bob, listings[1], Timestamp::now())).await, Ok(true), "per user");
}

async fn favourites_are_listed_newest_first_and_by_listing(store: impl Store) {
    let ada = owner(&store, "order@example.com").await;
    let bob = owner(&store, "order2@example.com").await;
    let then = Timestamp::now().unix_seconds();
    let oldest = favourite(ada, PropertyId::generate(), Timestamp::from_unix_seconds(then - 60));
    let (a, b) = (PropertyId::generate(), PropertyId::generate());
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    // Saved in the same second: the listing's id decides.
    let tie_low = favourite(ada, low, Timestamp::from_unix_seconds(then));
    let tie_high = favourite(ada, high, Timestamp::from_unix_seconds(then));
    for kept in [&tie_low, &oldest, &tie_high] {
        assert_eq!(store.save_favourite(kept).await, Ok(true));
    }
    assert_eq!(store.favourites_of(ada).await.unwrap(), [tie_high.clone(), tie_low.clone(), oldest.clone()]);
    assert_eq!(store.favourites_of(bob).await.unwrap(), []);

    assert_eq!(store.save_favourite(&favourite(bob, low, Timestamp::now())).await, Ok(true));
    assert_eq!(sorted(store.favourited_by(low).await.unwrap()), sorted(vec![ada, bob]));
    assert_eq!(store.favourited_by(high).await.unwrap(), [ada]);
    assert_eq!(store.favourited_by(PropertyId::generate()).await.unwrap(), []);
    store.remove_favourite(ada, low).await.unwrap();
    assert_eq!(store.favourited_by(low).await.unwrap(), [bob]);
}

async fn only_the_properties_that_exist_are_read(store: impl Store) {
    let ada = owner(&store, "listings@example.com").await;
    let (home, flat) = (property(ada, "Lyon", PropertyType::House), property(ada, "Paris", PropertyType::Apartment));
    store.create_property(&home, &[], None).await.unwrap();
    store.create_property(&flat, &[], None).await.unwrap();
    let gone = PropertyId::generate();
    let read = store.properties(&[flat.id, gone, home.id]).await.unwrap();
    assert_eq!(read.iter().map(|found| found.id).collect::<Vec<_>>(), [flat.id, home.id], "in the order asked");
    assert_eq!(read[1].city, home.city);
    assert_eq!(store.properties(&[]).await.unwrap(), []);
    assert_eq!(store.properties(&[gone]).await.unwrap(), []);
}

async fn saved_searches_are_created_read_replaced_and_deleted_by_their_owner(store: impl Store) {
    let ada = owner(&store, "searches@example.com").await;
    let bob = owner(&store, "searches2@example.com").await;
    assert_eq!(
        store.create_saved_search(&search(UserId::generate(), Some("lyon"), &[])).await,
        Err(StoreError::AccountGone)
    );

    let lyon = search(ada, Some("lyon"), &[]);
    let mut map = search(ada, None, &["u05k", "u05m"]);
    map.alerts.frequency = Frequency::Daily;
    map.alerts.events = vec![AlertEvent::NewMatch];
    store.create_saved_search(&lyon).await.unwrap();
    store.create_saved_search(&map).await.unwrap();
    assert_eq!(store.saved_searches_of(ada).await.unwrap(), [lyon.clone(), map.clone()], "oldest first");
    assert_eq!(store.saved_searches_of(bob).await.unwrap(), []);
    assert_eq!(store.get_saved_search(ada, map.id).await.unwrap(), Some(map.clone()));
    assert_eq!(store.get_saved_search(bob, map.id).await.unwrap(), None, "another's search");
    assert_eq!(store.get_saved_search(ada, SavedSearchId::generate()).await.unwrap(), None);

    let renamed = changed(&lyon, |next| next.name = SearchName::parse("Lyon, again").unwrap());
    store.replace_saved_search(&lyon, &renamed).await.unwrap();
    assert_eq!(store.get_saved_search(ada, lyon.id).await.unwrap(), Some(renamed.clone()));
    let stale = changed(&lyon, |next| next.alerts.email = true);
    assert_eq!(store.replace_saved_search(&lyon, &stale).await, Err(StoreError::VersionMismatch));
    assert_eq!(store.get_saved_search(ada, lyon.id).await.unwrap(), Some(renamed.clone()), "nothing written");

    assert_eq!(store.delete_saved_search(bob, lyon.id).await, Err(StoreError::SavedSearchNotFound));
    store.delete_saved_search(ada, lyon.id).await.unwrap();
    assert_eq!(store.get_saved_search(ada, lyon.id).await.unwrap(), None);
    assert_eq!(store.delete_saved_search(ada, lyon.id).await, Err(StoreError::SavedSearchNotFound));
    let revived = changed(&renamed, |_| {});
    assert_eq!(store.replace_saved_search(&renamed, &revived).await, Err(StoreError::SavedSearchNotFound));
    assert_eq!(store.saved_searches_of(ada).await.unwrap(), [map]);
}

async fn the_saved_search_limit_holds_under_a_race(store: impl Store) {
    let ada = owner(&store, "many-searches@example.com").await;
    let limit = MAX_SAVED_SEARCHES_PER_USER as usize;
    let creations = (0..limit + 5).map(|i| {
        let store = store.clone();
        let search = search(ada, (i % 2 == 0).then_some("lyon"), &["u05k"]);
        tokio::spawn(async move { store.create_saved_search(&search).await })
    });
    let mut created = 0;
    for outcome in at_once(creations).await {
        match outcome {
            Ok(()) => created += 1,
            Err(error) => assert_eq!(error, StoreError::SavedSearchLimitReached),
        }
    }
    assert_eq!(created, limit);
    let held = store.saved_searches_of(ada).await.unwrap();
    assert_eq!(held.len(), limit);
    let refused = search(ada, Some("paris"), &[]);
    assert_eq!(store.create_saved_search(&refused).await, Err(StoreError::SavedSearchLimitReached));
    assert_eq!(store.alert_candidates("paris", None).await.unwrap(), [], "a refusal writes nothing");

    store.delete_saved_search(ada, held[3].id).await.unwrap();
    store.create_saved_search(&refused).await.expect("one more fits after a deletion");
    assert_eq!(
        store.create_saved_search(&search(ada, None, &["u05k"])).await,
        Err(StoreError::SavedSearchLimitReached)
    );
}

async fn a_change_finds_the_searches_of_its_city_and_its_cell(store: impl Store) {
    let ada = owner(&store, "alerts@example.com").await;
    let bob = owner(&store, "alerts2@example.com").await;
    let both = search(ada, Some("lyon"), &["u05k", "u05m"]);
    let mut cell = search(bob, None, &["u05m"]);
    cell.alerts.frequency = Frequency::Daily;
    let mut off = search(ada, Some("lyon"), &["u05m"]);
    off.alerts.frequency = Frequency::Off;
    let paris = search(bob, Some("paris"), &[]);
    for saved in [&both, &cell, &off, &paris] {
        store.create_saved_search(saved).await.unwrap();
    }
    let candidates = |city: &'static str, cell: Option<&'static str>| {
        let store = store.clone();
        async move { store.alert_candidates(city, cell).await.unwrap() }
    };
    assert_eq!(candidates("lyon", None).await, std::slice::from_ref(&both), "the whole search, alerts off left out");
    assert_eq!(ids(&candidates("lyon", Some("u05m")).await), sorted(vec![both.id, cell.id]), "each once");
    assert_eq!(ids(&candidates("nice", Some("u05k")).await), [both.id], "by one of its cells");
    assert_eq!(ids(&candidates("paris", Some("u09t")).await), [paris.id]);
    assert_eq!(candidates("nice", None).await, []);

    // Moved to other bounds: found by those alone.
    let moved =
        changed(&both, |next| next.bounds = AlertBounds { city: None, cells: vec!["u05m".into(), "u09t".into()] });
    store.replace_saved_search(&both, &moved).await.unwrap();
    assert_eq!(candidates("lyon", Some("u05k")).await, []);
    assert_eq!(ids(&candidates("paris", Some("u09t")).await), sorted(vec![paris.id, moved.id]));
    let found = candidates("nice", Some("u05m")).await;
    assert_eq!(found.iter().find(|found| found.id == moved.id), Some(&moved), "as it is now");

    // Alerts turned off, then on again.
    let silenced = changed(&moved, |next| next.alerts.frequency = Frequency::Off);
    store.replace_saved_search(&moved, &silenced).await.unwrap();
    assert_eq!(ids(&candidates("nice", Some("u05m")).await), [cell.id]);
    let woken = changed(&silenced, |next| next.alerts.frequency = Frequency::Instant);
    store.replace_saved_search(&silenced, &woken).await.unwrap();
    assert_eq!(ids(&candidates("nice", Some("u05m")).await), sorted(vec![cell.id, woken.id]));

    store.delete_saved_search(bob, cell.id).await.unwrap();
    store.delete_saved_search(ada, woken.id).await.unwrap();
    assert_eq!(candidates("lyon", Some("u05m")).await, []);
    assert_eq!(ids(&candidates("paris", Some("u09t")).await), [paris.id]);
}

async fn an_alert_is_notified_once(store: impl Store) {
    let ada = owner(&store, "notified@example.com").await;
    let bob = owner(&store, "notified2@example.com").await;
    let listing = PropertyId::generate();
    let earliest = alert(ada, listing, 3);
    assert_eq!(store.notify(&earliest).await, Ok(true));
    // The same event of the same version, from a change handled again.
    assert_eq!(store.notify(&alert(ada, listing, 3)).await, Ok(false));
    assert_eq!(store.inbox(ada, first(10)).await.unwrap().page.items, std::slice::from_ref(&earliest));

    let later = alert(ada, listing, 4);
    assert_eq!(store.notify(&later).await, Ok(true), "another version");
    assert_eq!(store.notify(&alert(bob, listing, 3)).await, Ok(true), "another owner");
    let matches =
        vec![DigestMatch { event: AlertEvent::NewMatch, property_id: listing, version: 4, at: Timestamp::now() }];
    let digest = Notification::new(
        ada,
        NotificationKind::Digest { search: SavedSearchId::generate(), matches },
        Timestamp::now(),
    );
    assert_eq!(store.notify(&digest).await, Ok(true));
    assert_eq!(store.inbox(ada, first(10)).await.unwrap().page.items, [digest, later, earliest]);
}

async fn the_inbox_pages_newest_first_and_counts_the_unread(store: impl Store) {
    let ada = owner(&store, "inbox@example.com").await;
    let bob = owner(&store, "inbox2@example.com").await;
    // Older than the inbox keeps: never shown, never counted.
    let expired = notified_days_ago(ada, NOTIFICATION_LIFETIME_SECONDS / 86_400 + 1);
    assert_eq!(store.notify(&expired).await, Ok(true));
    let recent = notified_days_ago(ada, 2);
    assert_eq!(store.notify(&recent).await, Ok(true));
    let mut notes = vec![recent];
    for version in 1..=4 {
        let note = alert(ada, PropertyId::generate(), version);
        assert_eq!(store.notify(&note).await, Ok(true));
        notes.push(note);
    }
    store.notify(&alert(bob, PropertyId::generate(), 1)).await.unwrap();
    notes.reverse();

    let inbox = store.inbox(ada, first(2)).await.unwrap();
    assert_eq!((inbox.read_up_to, inbox.unread), (None, 5));
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let inbox = store.inbox(ada, PageRequest { limit: 2, after: after.clone() }).await.unwrap();
        assert!(inbox.page.items.len() <= 2);
        seen.extend(inbox.page.items.iter().cloned());
        match inbox.page.next {
            Some(next) => {
                assert_eq!(next, inbox.page.items.last().unwrap().id.to_string(), "the position is the last id");
                after = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(seen, notes, "newest first, each once, the expired one left out");
    let whole = store.inbox(ada, first(5)).await.unwrap().page;
    assert_eq!((whole.items.len(), whole.next), (5, None));

    store.mark_read(ada, notes[2].id).await.unwrap();
    let inbox = store.inbox(ada, first(1)).await.unwrap();
    assert_eq!((inbox.read_up_to, inbox.unread), (Some(notes[2].id), 2));
    store.mark_read(ada, notes[4].id).await.unwrap();
    assert_eq!(store.inbox(ada, first(1)).await.unwrap().read_up_to, Some(notes[2].id), "never moved back");
    store.mark_read(ada, notes[0].id).await.unwrap();
    let inbox = store.inbox(ada, first(1)).await.unwrap();
    assert_eq!((inbox.read_up_to, inbox.unread), (Some(notes[0].id), 0));
    let other = store.inbox(bob, first(10)).await.unwrap();
    assert_eq!((other.page.items.len(), other.read_up_to, other.unread), (1, None, 1));
    let none = store.inbox(UserId::generate(), first(10)).await.unwrap();
    assert_eq!((none.page.items, none.page.next, none.unread), (vec![], None, 0));
}

async fn deleting_the_account_deletes_its_favourites_searches_and_inbox(store: impl Store) {
    let leaving = owner(&store, "leaving@example.com").await;
    let staying = owner(&store, "staying@example.com").await;
    let listing = PropertyId::generate();
    for keeper in [leaving, staying] {
        store.save_favourite(&favourite(keeper, listing, Timestamp::now())).await.unwrap();
    }
    store.save_favourite(&favourite(leaving, PropertyId::generate(), Timestamp::now())).await.unwrap();
    let (gone, kept) = (search(leaving, Some("lyon"), &["u05k", "u05m"]), search(staying, Some("lyon"), &[]));
    for saved in [&gone, &search(leaving, None, &["u09t"]), &kept] {
        store.create_saved_search(saved).await.unwrap();
    }
    let note = alert(leaving, listing, 2);
    store.notify(&note).await.unwrap();
    store.mark_read(leaving, note.id).await.unwrap();
    store.notify(&alert(staying, listing, 2)).await.unwrap();

    store.delete_user(leaving).await.unwrap();
    assert_eq!(store.favourites_of(leaving).await.unwrap(), []);
    assert_eq!(store.favourited_by(listing).await.unwrap(), [staying]);
    assert_eq!(store.saved_searches_of(leaving).await.unwrap(), []);
    assert_eq!(store.get_saved_search(leaving, gone.id).await.unwrap(), None);
    assert_eq!(store.alert_candidates("lyon", Some("u05k")).await.unwrap(), [kept], "its index entries went too");
    assert_eq!(store.alert_candidates("paris", Some("u09t")).await.unwrap(), []);
    let inbox = store.inbox(leaving, first(10)).await.unwrap();
    assert_eq!((inbox.page.items, inbox.read_up_to, inbox.unread), (vec![], None, 0));
    assert_eq!(store.inbox(staying, first(10)).await.unwrap().page.items.len(), 1, "another's inbox stays");
    assert_eq!(store.favourites_of(staying).await.unwrap().len(), 1);
}

/// What the port cannot see: no item of a deleted account's alerts is
/// left in the table (counts, listing entries, index entries, read mark,
/// markers).
#[tokio::test]
#[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
async fn deleting_the_account_leaves_no_item_of_its_alerts() {
    let store = dynamo_store().await;
    let leaving = owner(&store, "no-trace@example.com").await;
    let staying = owner(&store, "trace@example.com").await;
    let listing = PropertyId::generate();
    for keeper in [leaving, staying] {
        store.save_favourite(&favourite(keeper, listing, Timestamp::now())).await.unwrap();
    }
    let removed = PropertyId::generate();
    store.save_favourite(&favourite(leaving, removed, Timestamp::now())).await.unwrap();
    store.remove_favourite(leaving, removed).await.unwrap();
    let gone = search(leaving, Some("lyon"), &["u05k"]);
    store.create_saved_search(&gone).await.unwrap();
    let deleted = search(leaving, Some("nice"), &[]);
    store.create_saved_search(&deleted).await.unwrap();
    store.delete_saved_search(leaving, deleted.id).await.unwrap();
    let note = alert(leaving, listing, 1);
    store.notify(&note).await.unwrap();
    store.mark_read(leaving, note.id).await.unwrap();
    store.create_saved_search(&search(staying, Some("lyon"), &[])).await.unwrap();
    store.delete_user(leaving).await.unwrap();

    let keys = table_keys(&store).await;
    let traces: Vec<&String> = keys
        .iter()
        .filter(|key| {
            [leaving.to_string(), gone.id.to_string(), deleted.id.to_string()].iter().any(|id| key.contains(id))
        })
        .collect();
    assert_eq!(traces, Vec::<&String>::new(), "left behind, of {keys:#?}");
    assert!(keys.contains(&format!("FAVOURED#{listing} {staying}")), "{keys:#?}");
    assert!(keys.contains(&format!("FAVOURITES#{staying} COUNT")), "{keys:#?}");
    assert!(keys.contains(&format!("SEARCHES#{staying} COUNT")), "{keys:#?}");
}

/// The key (`pk sk`) of every item of the table.
async fn table_keys(store: &DynamoStore) -> Vec<String> {
    let scan = store.client().scan().table_name(store.table()).send().await.unwrap();
    scan.items().iter().map(|item| format!("{} {}", item["pk"].as_s().unwrap(), item["sk"].as_s().unwrap())).collect()
}

/// The DynamoDB calls of each operation, as docs/data-model.md#alerts
/// lists them.
#[tokio::test]
#[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
async fn each_operation_makes_the_calls_the_data_model_promises() {
    let (store, calls) = counted_dynamo_store().await;
    let ada = owner(&store, "counted@example.com").await;
    let listing = PropertyId::generate();
    let home = property(ada, "Lyon", PropertyType::House);
    store.create_property(&home, &[], None).await.unwrap();
    calls.take();
    let expect = |calls: &CallLog, operations: &[&str], what: &str| assert_eq!(calls.take(), operations, "{what}");

    store.save_favourite(&favourite(ada, listing, Timestamp::now())).await.unwrap();
    expect(&calls, &["TransactWriteItems"], "save_favourite");
    store.save_favourite(&favourite(ada, listing, Timestamp::now())).await.unwrap();
    expect(&calls, &["TransactWriteItems"], "save_favourite, kept already");
    store.favourites_of(ada).await.unwrap();
    expect(&calls, &["Query"], "favourites_of");
    store.favourited_by(listing).await.unwrap();
    expect(&calls, &["Query"], "favourited_by");
    store.remove_favourite(ada, listing).await.unwrap();
    store.remove_favourite(ada, listing).await.unwrap();
    expect(&calls, &["TransactWriteItems"; 2], "remove_favourite, twice");
    store.properties(&[home.id, listing]).await.unwrap();
    expect(&calls, &["BatchGetItem"], "properties");
    let too_many: Vec<PropertyId> = (0..101).map(|_| PropertyId::generate()).collect();
    assert!(matches!(store.properties(&too_many).await, Err(StoreError::Internal(_))));
    expect(&calls, &[], "over 100 ids");

    let saved = search(ada, Some("lyon"), &["u05k", "u05m"]);
    store.create_saved_search(&saved).await.unwrap();
    expect(&calls, &["TransactWriteItems"], "create_saved_search");
    store.saved_searches_of(ada).await.unwrap();
    expect(&calls, &["Query"], "saved_searches_of");
    store.get_saved_search(ada, saved.id).await.unwrap();
    expect(&calls, &["GetItem"], "get_saved_search");
    let moved = changed(&saved, |next| next.bounds.cells = vec!["u05m".into(), "u09t".into()]);
    store.replace_saved_search(&saved, &moved).await.unwrap();
    let replace = calls.take_calls();
    assert_eq!(replace.iter().map(|call| call.operation.as_str()).collect::<Vec<_>>(), ["TransactWriteItems"]);
    // The search, the city's and both cells' entries put, the cell it left deleted.
    assert_eq!(replace[0].body["TransactItems"].as_array().unwrap().len(), 5, "{:#?}", replace[0].body);
    store.alert_candidates("lyon", Some("u05m")).await.unwrap();
    expect(&calls, &["Query"; 2], "alert_candidates");
    store.alert_candidates("lyon", None).await.unwrap();
    expect(&calls, &["Query"], "alert_candidates, no cell");
    store.delete_saved_search(ada, saved.id).await.unwrap();
    expect(&calls, &["GetItem", "TransactWriteItems"], "delete_saved_search");

    let note = alert(ada, listing, 1);
    store.notify(&note).await.unwrap();
    store.notify(&note).await.unwrap();
    expect(&calls, &["TransactWriteItems"; 2], "notify, twice");
    let digest =
        Notification::new(ada, NotificationKind::Digest { search: saved.id, matches: vec![] }, Timestamp::now());
    store.notify(&digest).await.unwrap();
    expect(&calls, &["PutItem"], "notify a digest");
    store.inbox(ada, first(10)).await.unwrap();
    assert_eq!(calls.take_sorted(), ["GetItem", "Query", "Query"], "inbox");
    store.mark_read(ada, note.id).await.unwrap();
    store.mark_read(ada, note.id).await.unwrap();
    expect(&calls, &["UpdateItem"; 2], "mark_read, twice");
}
