//! The change feed on both stores: what each write shows the public, in
//! one order that a consumer following `next` reads whole, also while
//! writes race, the same on every replay; and the catalogue a client keeps
//! by applying it from a snapshot. Then its HTTP face (`GET /changes`).

use crate::on_both_stores;
use crate::support::TestApp;
use crate::support::fixtures::{details, everywhere_search, hash, room, user, walk};
use estate::domain::{
    ChangeType, ChangedMember, Currency, FeedEvent, ListingStatus, NewRooms, Price, PriceAmount, Property,
    PropertyChanges, PropertyId, PropertyName, PropertyType, Timestamp, UserId,
};
use estate::store::feed::{FeedQuery, seq_at};
use estate::store::{Edit, Listing, Search, Store};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

on_both_stores!(
    store:
    the_feed_tells_each_public_change_in_order,
    a_consumer_following_next_misses_nothing_while_writes_race,
    applying_the_feed_from_a_snapshot_gives_the_catalogue,
);

async fn owner(store: &impl Store, email: &str) -> UserId {
    let owner = user(email);
    store.create_user(&owner, &hash("x"), None).await.unwrap();
    owner.id
}

fn listing(owner: UserId, city: &str, status: ListingStatus) -> Property {
    let mut details = details(city, PropertyType::Apartment);
    details.status = status;
    Property::publish(owner, details, NewRooms::default(), Timestamp::now()).0
}

fn status(status: ListingStatus) -> PropertyChanges {
    PropertyChanges { status: Some(status), ..PropertyChanges::default() }
}

fn renamed(name: &str) -> PropertyChanges {
    PropertyChanges { name: Some(PropertyName::parse(name).unwrap()), ..PropertyChanges::default() }
}

fn priced(euros: u64) -> PropertyChanges {
    let price = Price { amount: PriceAmount::from_hundredths(euros * 100).unwrap(), currency: Currency::Eur };
    PropertyChanges { price: Some(Some(price)), ..PropertyChanges::default() }
}

fn everything_after(after: Option<u64>, limit: usize) -> FeedQuery {
    FeedQuery { after, limit, city: None, types: Vec::new() }
}

/// Waits until every change written so far is readable: at once on the
/// embedded store, after the feed's settling time on DynamoDB.
async fn settled(store: &impl Store) {
    let written = seq_at(SystemTime::now(), 0);
    for _ in 0..300 {
        if store.feed_position().await.unwrap() >= written {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the feed never reached the changes written");
}

/// Every change `query` finds after its `after`, page after page, up to
/// where the feed stood when asked.
async fn replay(store: &impl Store, mut query: FeedQuery) -> Vec<FeedEvent> {
    let until = store.feed_position().await.unwrap();
    let mut events = Vec::new();
    for _ in 0..1000 {
        let page = store.changes(&query).await.unwrap();
        assert!(page.events.len() <= query.limit);
        assert!(query.after.is_none_or(|after| page.next >= after), "next never goes back");
        events.extend(page.events);
        if page.next >= until {
            return events;
        }
        query.after = Some(page.next);
    }
    panic!("the feed's pages never end");
}

fn strictly_increasing(events: &[FeedEvent]) {
    for pair in events.windows(2) {
        assert!(pair[0].seq < pair[1].seq, "seq {} then {}", pair[0].seq, pair[1].seq);
    }
}

async fn the_feed_tells_each_public_change_in_order(store: impl Store) {
    let (ada, bob) = (owner(&store, "ada@feed.example").await, owner(&store, "bob@feed.example").await);
    let start = store.feed_position().await.unwrap();
    let edit = |who| Edit::by(who);

    // A draft and its edits are its owner's alone.
    let flat = listing(ada, "Lyon", ListingStatus::Draft);
    store.create_property(&flat, &[], None).await.unwrap();
    store.update_property(flat.id, &renamed("Secret plans"), edit(ada)).await.unwrap();
    store.update_property(flat.id, &status(ListingStatus::Active), edit(ada)).await.unwrap();
    store.update_property(flat.id, &priced(250_000), edit(ada)).await.unwrap();
    store.add_room(&room(flat.id, 1_250), edit(ada), None).await.unwrap();
    store.update_property(flat.id, &status(ListingStatus::UnderOffer), edit(ada)).await.unwrap();
    store.update_property(flat.id, &status(ListingStatus::Sold), edit(ada)).await.unwrap();

    let house = listing(ada, "Paris", ListingStatus::Active);
    store.create_property(&house, &[], None).await.unwrap();
    store.update_property(house.id, &status(ListingStatus::Withdrawn), edit(ada)).await.unwrap();
    store.update_property(house.id, &renamed("While withdrawn"), edit(ada)).await.unwrap();
    store.update_property(house.id, &status(ListingStatus::Active), edit(ada)).await.unwrap();
    store.delete_property(house.id, edit(ada)).await.unwrap();

    let loft = listing(bob, "Paris", ListingStatus::Active);
    store.create_property(&loft, &[], None).await.unwrap();
    let hidden = listing(bob, "Paris", ListingStatus::Draft);
    store.create_property(&hidden, &[], None).await.unwrap();
    store.delete_user(bob).await.unwrap();

    settled(&store).await;
    let events = replay(&store, everything_after(Some(start), 3)).await;
    strictly_increasing(&events);
    let told: Vec<(PropertyId, ChangeType, Vec<ChangedMember>)> = events
        .iter()
        .map(|event| (event.change.property_id, event.change.kind, event.change.changed.clone()))
        .collect();
    use ChangeType::*;
    use ChangedMember as M;
    let expected = vec![
        (flat.id, Published, vec![]),
        (flat.id, Updated, vec![M::Price]),
        (flat.id, Updated, vec![M::Rooms]),
        (flat.id, Updated, vec![M::Status]),
        (flat.id, Closed, vec![M::Status]),
        (house.id, Published, vec![]),
        (house.id, Unpublished, vec![M::Status]),
        (house.id, Published, vec![]),
        (house.id, Deleted, vec![]),
        (loft.id, Published, vec![]),
        (loft.id, Deleted, vec![]),
    ];
    assert_eq!(told, expected, "a draft, a withdrawn listing's edits and a hidden deletion show nothing");
    let first = &events[0].change;
    assert_eq!((first.version, first.city.name()), (3, "Lyon"), "published at the version that made it public");
    for id in [flat.id, house.id, loft.id] {
        let versions: Vec<u64> =
            events.iter().filter(|event| event.change.property_id == id).map(|event| event.change.version).collect();
        assert!(versions.windows(2).all(|pair| pair[0] < pair[1]), "{id}: versions {versions:?}");
    }

    // A replay from any position answers the same changes after it.
    for (at, event) in events.iter().enumerate() {
        assert_eq!(replay(&store, everything_after(Some(event.seq), 2)).await, events[at + 1..]);
    }
    // Filters: by city (any spelling), by types.
    let mut paris = everything_after(Some(start), 2);
    paris.city = Some(estate::domain::City::parse("PARIS").unwrap());
    let in_paris = replay(&store, paris).await;
    assert_eq!(
        in_paris,
        events.iter().filter(|event| event.change.city.name() == "Paris").cloned().collect::<Vec<_>>()
    );
    let mut tombstones = everything_after(Some(start), 1);
    tombstones.types = vec![Deleted, Closed];
    let kinds: Vec<ChangeType> = replay(&store, tombstones).await.iter().map(|event| event.change.kind).collect();
    assert_eq!(kinds, [Closed, Deleted, Deleted]);
}

async fn a_consumer_following_next_misses_nothing_while_writes_race(store: impl Store) {
    const WRITERS: usize = 6;
    const EDITS: usize = 8;
    let ada = owner(&store, "race@feed.example").await;
    let start = store.feed_position().await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let consumer = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut events, mut after) = (Vec::new(), start);
            while !stop.load(Ordering::SeqCst) {
                let page = store.changes(&everything_after(Some(after), 5)).await.unwrap();
                if page.events.is_empty() {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                events.extend(page.events);
                after = page.next;
            }
            // Told to stop once every write is readable: the rest.
            events.extend(replay(&store, everything_after(Some(after), 5)).await);
            events
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = store.clone();
            tokio::spawn(async move {
                let home = listing(ada, "Lyon", ListingStatus::Active);
                store.create_property(&home, &[], None).await.unwrap();
                for edit in 0..EDITS {
                    let name = format!("Home {writer}, edit {edit}");
                    store.update_property(home.id, &renamed(&name), Edit::by(ada)).await.unwrap();
                }
                home.id
            })
        })
        .collect();
    let mut homes = Vec::new();
    for writer in writers {
        homes.push(writer.await.unwrap());
    }
    settled(&store).await;
    stop.store(true, Ordering::SeqCst);
    let consumed = consumer.await.unwrap();

    assert_eq!(consumed.len(), WRITERS * (1 + EDITS), "every publication and edit, once");
    strictly_increasing(&consumed);
    assert_eq!(consumed, replay(&store, everything_after(Some(start), 7)).await, "a replay reads the same");
    for home in homes {
        let versions: Vec<u64> = consumed
            .iter()
            .filter(|event| event.change.property_id == home)
            .map(|event| event.change.version)
            .collect();
        assert_eq!(versions, (1..=1 + EDITS as u64).collect::<Vec<_>>(), "{home}: its changes in order");
    }
}

/// The public listings and their versions, as searches show them.
async fn catalogue(store: &impl Store) -> BTreeMap<PropertyId, u64> {
    let mut listings = BTreeMap::new();
    for status in [ListingStatus::Active, ListingStatus::UnderOffer, ListingStatus::Sold] {
        let search = Search { status: Some(status), ..everywhere_search() };
        for property in walk(store, &Listing::Search(search), 50).await {
            listings.insert(property.id, property.version());
        }
    }
    listings
}

async fn applying_the_feed_from_a_snapshot_gives_the_catalogue(store: impl Store) {
    let ada = owner(&store, "copy@feed.example").await;
    let mut ids = Vec::new();
    for (city, status) in [
        ("Lyon", ListingStatus::Active),
        ("Paris", ListingStatus::Active),
        ("Nice", ListingStatus::UnderOffer),
        ("Lille", ListingStatus::Active),
        ("Paris", ListingStatus::Draft),
    ] {
        let property = listing(ada, city, status);
        store.create_property(&property, &[], None).await.unwrap();
        ids.push(property.id);
    }
    // The client asks where the feed stands, then copies the catalogue,
    // while the owner goes on: a change during the copy comes again in the
    // feed, and applying it again is harmless.
    let snapshot = store.feed_position().await.unwrap();
    store.update_property(ids[0], &priced(300_000), Edit::by(ada)).await.unwrap();
    let mut copy = catalogue(&store).await;
    store.update_property(ids[0], &priced(280_000), Edit::by(ada)).await.unwrap();
    store.update_property(ids[1], &status(ListingStatus::Sold), Edit::by(ada)).await.unwrap();
    store.update_property(ids[2], &status(ListingStatus::Withdrawn), Edit::by(ada)).await.unwrap();
    store.delete_property(ids[3], Edit::by(ada)).await.unwrap();
    store.update_property(ids[4], &status(ListingStatus::Active), Edit::by(ada)).await.unwrap();
    let late = listing(ada, "Lyon", ListingStatus::Active);
    store.create_property(&late, &[], None).await.unwrap();

    settled(&store).await;
    for event in replay(&store, everything_after(Some(snapshot), 4)).await {
        let change = event.change;
        let newer = copy.get(&change.property_id).is_none_or(|held| change.version > *held);
        match change.kind {
            ChangeType::Published | ChangeType::Updated | ChangeType::Closed if newer => {
                copy.insert(change.property_id, change.version);
            }
            ChangeType::Unpublished | ChangeType::Deleted => {
                copy.remove(&change.property_id);
            }
            _ => {}
        }
    }
    assert_eq!(copy, catalogue(&store).await, "the copy and the feed make the catalogue");
    assert_eq!(copy.len(), 4, "Lyon (repriced), Paris (sold), the published draft and the late one");
}

#[tokio::test]
async fn the_feed_refuses_what_it_cannot_answer() {
    let app = TestApp::memory();
    let token = app.register("feed@example.com").await.1;
    app.publish(&token, crate::support::new_property("Flat", "Lyon", "apartment", 1)).await;
    let position = app.get("/changes/snapshot", None).await;
    assert_eq!(position.status, 200);
    let seq = position.body["seq"].as_u64().unwrap();

    let page = app.get("/changes?after=0&limit=1", None).await;
    assert_eq!(page.status, 410, "older than the feed keeps: copy again");
    assert!(page.problem(410)["detail"].as_str().unwrap().contains("/changes/snapshot"));

    let all = app.get("/changes?type=listing.published&type=listing.deleted&city=lyon", None).await;
    assert_eq!(all.status, 200);
    let items = all.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["type"], "listing.published");
    assert_eq!(items[0]["city"], "Lyon");
    assert_eq!(items[0]["changed"], json!([]));
    assert!(items[0]["seq"].as_u64().unwrap() <= seq);
    let next = all.body["next"].as_u64().unwrap();
    assert!(next >= seq, "the last page ends where the feed stands");
    let after = app.get(&format!("/changes?after={next}"), None).await;
    assert_eq!(after.status, 200);
    assert_eq!(after.body["items"], json!([]), "nothing new since");

    for (query, field) in [
        ("after=abc", "after"),
        ("after=-1", "after"),
        (&*format!("after={}", seq + 1_000_000_000), "after"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("type=listing.moved", "type"),
        ("city=", "city"),
        ("after=1&after=2", "after"),
        ("since=1", "since"),
    ] {
        let reply = app.get(&format!("/changes?{query}"), None).await;
        assert_eq!(reply.status, 422, "{query}");
        assert_eq!(reply.invalid_fields(), [field], "{query}");
    }
}

/// What `changed` names for the members the store's test leaves out: the
/// location, and the photos a visitor sees (one once processed, and once
/// removed; a photo announced but not uploaded shows nothing).
#[tokio::test]
async fn the_feed_names_a_moved_listing_and_its_photos() {
    let app = TestApp::memory();
    let token = app.register("pictured@example.com").await.1;
    let id = app.publish(&token, crate::support::new_property("Pictured", "Nantes", "house", 1)).await;
    let start = app.get("/changes/snapshot", None).await.body["seq"].as_u64().unwrap();
    let path = format!("/properties/{id}");
    let moved = json!({"location": {"lat": 47.2184, "lon": -1.5536}});
    assert_eq!(app.call("PATCH", &path, Some(&token), Some(moved)).await.status, 200);
    let png = estate::media::samples::png(64, 32);
    let announced = crate::support::new_photo("image/png", png.len() as u64);
    let photo = app.call("POST", &format!("{path}/photos"), Some(&token), Some(announced)).await.body;
    assert_eq!(app.upload(&photo["upload"], png, &[]).await.status, 200);
    let photo_path = format!("{path}/photos/{}", photo["id"].as_str().unwrap());
    assert_eq!(app.call("DELETE", &photo_path, Some(&token), None).await.status, 204);

    let feed = app.get(&format!("/changes?after={start}"), None).await;
    let told: Vec<(&serde_json::Value, &serde_json::Value)> =
        feed.body["items"].as_array().unwrap().iter().map(|item| (&item["type"], &item["changed"])).collect();
    let updated = json!("listing.updated");
    let expected = [(&updated, &json!(["location"])), (&updated, &json!(["photos"])), (&updated, &json!(["photos"]))];
    assert_eq!(told, expected);
}
