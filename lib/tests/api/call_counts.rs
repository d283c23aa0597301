//! The DynamoDB calls each route makes, counted at the SDK: the budgets
//! of the access-pattern table (docs/data-model.md#access-patterns), held by a test.

use crate::support::receiver::Receiver;
use crate::support::{CallLog, TestApp, counted_dynamo_store, new_property, new_room, registration};
use serde_json::json;
use std::time::Duration;

/// A request (method, path, body) and the DynamoDB calls it may make.
type Budget<'a> = (&'a str, String, Option<serde_json::Value>, &'a [&'a str]);

#[tokio::test]
#[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
async fn each_route_makes_the_calls_the_data_model_promises() {
    let (store, calls) = counted_dynamo_store().await;
    let app = TestApp::new(store);
    let (user, token) = app.register("counted@example.com").await;
    let id = app.publish(&token, new_property("Counted", "Paris", "house", 2)).await;
    let room = app.property(&id).await["rooms"][0]["id"].as_str().unwrap().to_owned();
    calls.take();

    let webhook = json!({"url": "http://127.0.0.1:9/hook", "events": ["listing.published"]});
    let property = format!("/properties/{id}");
    let room_path = format!("{property}/rooms/{room}");
    let budget: Vec<Budget> = vec![
        // The registration limit's count, then the account.
        (
            "POST",
            "/users".into(),
            Some(registration("second@example.com")),
            &["TransactWriteItems", "TransactWriteItems"],
        ),
        ("GET", format!("/users/{user}"), None, &["GetItem"]),
        ("GET", "/users/me".into(), None, &["GetItem"]),
        ("PATCH", "/users/me".into(), Some(json!({"first_name": "Bo"})), &["UpdateItem"]),
        ("POST", "/properties".into(), Some(new_property("More", "Lyon", "loft", 3)), &["TransactWriteItems"]),
        ("GET", property.clone(), None, &["Query"]),
        // No city: the feed's and a type's shards, read in parallel.
        ("GET", "/properties".into(), None, &["Query"; 4]),
        ("GET", "/properties?city=paris".into(), None, &["Query"]),
        ("GET", "/properties?type=house".into(), None, &["Query"; 4]),
        ("GET", "/properties?city=paris&type=house".into(), None, &["Query"]),
        ("GET", "/properties?city=paris&currency=EUR&sort=-price&max_price=900000".into(), None, &["Query"]),
        ("GET", "/properties?city=paris&sort=area&min_area=10&min_bedrooms=1".into(), None, &["Query"]),
        ("GET", "/properties?status=sold&sort=newest".into(), None, &["Query"; 4]),
        // A map box: one Query per map cell it meets (here 2; at most 16).
        ("GET", "/properties?bbox=2.30,48.80,2.40,48.90".into(), None, &["Query"; 2]),
        ("GET", "/properties?bbox=2.30,48.80,2.40,48.90&currency=EUR&sort=price".into(), None, &["Query"; 2]),
        // Nearest first: the cells the walk starts from (here 14), each
        // read to its end; a denser map reads finer cells after.
        ("GET", "/properties?near=48.8566,2.3522&radius_km=1".into(), None, &["Query"; 14]),
        // Newest first near a point: one Query per map cell the circle meets (here 1).
        ("GET", "/properties?near=48.8566,2.3522&radius_km=1&sort=newest".into(), None, &["Query"]),
        // Clusters: the 16 shards of the coarsest precisions; else one
        // partition per cell two precisions coarser that the box meets.
        ("GET", "/properties/clusters?bbox=-10,35,30,60&precision=2".into(), None, &["Query"; 16]),
        ("GET", "/properties/clusters?bbox=2.2,48.8,2.5,48.9&precision=5".into(), None, &["Query"]),
        ("GET", "/users/me/properties".into(), None, &["Query"]),
        // The change feed: one Query per shard, in parallel; where it
        // stands is the clock's, no call.
        ("GET", "/changes?limit=5".into(), None, &["Query"; 16]),
        ("GET", "/changes/snapshot".into(), None, &[]),
        // Webhooks: whether the account exists (a condition check), then
        // the endpoint, its subscription and the user's count in one
        // transaction.
        ("POST", "/webhooks".into(), Some(webhook.clone()), &["TransactWriteItems", "TransactWriteItems"]),
        ("GET", "/webhooks".into(), None, &["Query"]),
        // Read the property, then write it with its price history entry.
        (
            "PATCH",
            property.clone(),
            Some(json!({"name": "Renamed", "city": "Nice", "price": {"amount": 420000, "currency": "EUR"}})),
            &["GetItem", "TransactWriteItems"],
        ),
        // The property (who may see it) and a page of its history, in parallel.
        ("GET", format!("{property}/price-history"), None, &["GetItem", "Query"]),
        ("GET", format!("{property}/rooms"), None, &["Query"]),
        ("GET", room_path.clone(), None, &["Query"]),
        (
            "POST",
            format!("{property}/rooms"),
            Some(new_room("Added", "attic", "7.25")),
            &["GetItem", "TransactWriteItems"],
        ),
        ("PATCH", room_path.clone(), Some(json!({"area_m2": 8})), &["GetItem", "TransactWriteItems", "GetItem"]),
        ("DELETE", room_path, None, &["GetItem", "TransactWriteItems"]),
        // The collection, its price history, then the property and its rooms.
        ("DELETE", property, None, &["Query", "TransactWriteItems", "TransactWriteItems"]),
    ];
    hold_to(&app, &calls, &token, budget).await;

    // One endpoint's routes: each reads it first (whose it is).
    let hook = app.get("/webhooks", Some(&token)).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let hook = format!("/webhooks/{hook}");
    calls.take();
    let endpoint: Vec<Budget> = vec![
        ("GET", hook.clone(), None, &["GetItem"]),
        // Read, then replaced under its version (read again, with its subscription).
        ("PATCH", hook.clone(), Some(json!({"description": "CRM"})), &["GetItem", "GetItem", "TransactWriteItems"]),
        ("POST", format!("{hook}/rotate-secret"), None, &["GetItem", "GetItem", "TransactWriteItems"]),
        // Sent at once (nothing listens there: a failed attempt), and logged.
        ("POST", format!("{hook}/test"), None, &["GetItem", "PutItem"]),
        ("GET", format!("{hook}/deliveries"), None, &["GetItem", "Query"]),
        // Read, removed with its subscription and count, then its log.
        ("DELETE", hook, None, &["GetItem", "TransactWriteItems", "Query", "TransactWriteItems"]),
    ];
    hold_to(&app, &calls, &token, endpoint).await;

    // Favourites, saved searches and the inbox (docs/data-model.md#alerts).
    let kept = app.publish(&token, new_property("Kept", "Paris", "house", 1)).await;
    let favourite = format!("/users/me/favourites/{kept}");
    let search = json!({"name": "Paris", "filter": {"city": "Paris"}});
    calls.take();
    let alerts: Vec<Budget> = vec![
        // The listing (may the caller see it), then the favourite and its count.
        ("PUT", favourite.clone(), None, &["Query", "TransactWriteItems"]),
        // Kept already: the refused transaction, then the favourite as first kept.
        ("PUT", favourite.clone(), None, &["Query", "TransactWriteItems", "Query"]),
        // The favourites, then the page's listings in one batch.
        ("GET", "/users/me/favourites".into(), None, &["Query", "BatchGetItem"]),
        ("DELETE", favourite, None, &["TransactWriteItems"]),
        ("POST", "/users/me/saved-searches".into(), Some(search), &["TransactWriteItems"]),
        ("GET", "/users/me/saved-searches".into(), None, &["Query"]),
        // The inbox, its mark and its unread count; empty, whether the account exists.
        ("GET", "/users/me/notifications".into(), None, &["Query", "GetItem", "Query", "TransactWriteItems"]),
        (
            "POST",
            "/users/me/notifications/read".into(),
            Some(json!({"up_to": uuid::Uuid::now_v7()})),
            &["TransactWriteItems", "UpdateItem"],
        ),
    ];
    hold_to(&app, &calls, &token, alerts).await;
    let search =
        app.get("/users/me/saved-searches", Some(&token)).await.body["items"][0]["id"].as_str().unwrap().to_owned();
    let search = format!("/users/me/saved-searches/{search}");
    calls.take();
    let saved: Vec<Budget> = vec![
        ("GET", search.clone(), None, &["GetItem"]),
        // Read, then replaced under its version with its index entries.
        ("PATCH", search.clone(), Some(json!({"name": "Paris again"})), &["GetItem", "TransactWriteItems"]),
        // Read, then the search of its filter (here one city: one Query).
        ("GET", format!("{search}/results"), None, &["GetItem", "Query"]),
        // Read for its bounds, then deleted with its index entries and count.
        ("DELETE", search, None, &["GetItem", "TransactWriteItems"]),
    ];
    hold_to(&app, &calls, &token, saved).await;
}

/// What matching one change costs the notifications function: the saved
/// searches indexed under its city and its cell (a Query each), its
/// listing's followers (one Query, but for a publication, which no
/// favourite can follow yet), then per user notified one transaction, and
/// for an e-mail the address (one GetItem).
#[tokio::test]
#[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
async fn matching_a_change_makes_the_calls_the_data_model_promises() {
    let (store, calls) = counted_dynamo_store().await;
    let app = TestApp::new(store.clone());
    let (_, publisher) = app.register("publisher@example.com").await;
    let (_, follower) = app.register("follower@example.com").await;
    let search = json!({"name": "Paris", "filter": {"city": "Paris"}, "alerts": {"email": true}});
    assert_eq!(app.call("POST", "/users/me/saved-searches", Some(&follower), Some(search)).await.status, 201);
    let (_, reader) = app.register("reader@example.com").await;
    let daily = json!({"name": "Paris, daily", "filter": {"city": "Paris"}, "alerts": {"frequency": "daily"}});
    assert_eq!(app.call("POST", "/users/me/saved-searches", Some(&reader), Some(daily)).await.status, 201);
    let mut located = new_property("Matched", "Paris", "house", 1);
    located["location"] = json!({"lat": 48.8566, "lon": 2.3522});
    app.publish(&publisher, located).await;
    let event = last_change(&store).await;
    let dir = std::env::temp_dir().join(format!("estate-counts-{}", uuid::Uuid::now_v7()));
    let mailer = estate::alerts::mail::Mailer::Files { dir: dir.clone(), from: "alerts@example.com".into() };
    let alerts = estate::alerts::Alerts { store, mailer, public_url: "https://api.example.com".into() };
    calls.take();
    alerts.handle(&event).await.unwrap();
    // An alert mailed, and a match held for a digest: one transaction each.
    assert_eq!(
        calls.take_sorted(),
        ["GetItem", "Query", "Query", "TransactWriteItems", "TransactWriteItems"],
        "a publication matched"
    );
    // Again (a redelivery): the candidates, both transactions refused, no mail.
    alerts.handle(&event).await.unwrap();
    let again = calls.take_sorted();
    assert_eq!(again, ["Query", "Query", "TransactWriteItems", "TransactWriteItems"], "the same change again");
    // The hourly run a day on: the digests due, then per digest its search,
    // its matches and one transaction; the digests due again (none).
    let tomorrow =
        estate::domain::Timestamp::from_unix_seconds(estate::domain::Timestamp::now().unix_seconds() + 90_000);
    assert_eq!(alerts.send_digests(tomorrow).await.unwrap(), 1);
    assert_eq!(calls.take_sorted(), ["GetItem", "Query", "Query", "Query", "TransactWriteItems"], "a digest run");
    std::fs::remove_dir_all(dir).unwrap();
}

/// What the webhooks function's work costs (docs/data-model.md#webhooks),
/// SQS sends counted off the queue: a change fanned out to the one
/// endpoint that takes it, and again (a repeat); the first attempt, which
/// fails (the endpoint starts failing); its message received before its
/// time; the attempt that succeeds (the failing ends); a repeat message.
#[tokio::test]
#[ignore = "needs DYNAMODB_TEST_ENDPOINT"]
async fn delivering_a_change_makes_the_calls_the_data_model_promises() {
    let (store, calls) = counted_dynamo_store().await;
    let app = TestApp::new(store.clone());
    let (_, token) = app.register("hooked@example.com").await;
    let (receiver, address) = Receiver::start(&[500]).await;
    let hook = json!({"url": format!("http://{address}/hook"), "events": ["listing.published"]});
    let created = app.call("POST", "/webhooks", Some(&token), Some(hook)).await;
    let webhook = estate::domain::WebhookId::parse(created.body["id"].as_str().unwrap()).unwrap();
    app.publish(&token, new_property("Hooked", "Paris", "house", 1)).await;
    let event = last_change(&store).await;
    let setup = estate::webhooks::DeliverySetup::local(&[3]);
    let estate::webhooks::DeliveryQueue::Memory(queue) = &setup.queue else { unreachable!() };
    let mut queued = queue.take_receiver().unwrap();
    let deliveries = setup.on(store);
    let message = estate::webhooks::DeliveryMessage { webhook_id: webhook, property_id: event.change.property_id };
    calls.take();

    deliveries.fan_out(&event).await.unwrap();
    assert_eq!(calls.take_sorted(), ["GetItem", "PutItem", "Query", "Query"], "a change fanned out");
    assert_eq!(queued.try_recv().ok(), Some(message.clone()), "a new delivery's message");
    deliveries.fan_out(&event).await.unwrap();
    assert_eq!(calls.take_sorted(), ["GetItem", "GetItem", "Query", "Query"], "the same change again");
    deliveries.deliver(&message).await.unwrap();
    assert_eq!(receiver.got().len(), 1);
    let failed = ["GetItem", "GetItem", "GetItem", "GetItem", "PutItem", "PutItem", "TransactWriteItems"];
    assert_eq!(calls.take_sorted(), failed, "a first failure");
    deliveries.deliver(&message).await.unwrap();
    assert_eq!(calls.take_sorted(), ["GetItem", "GetItem"], "a message before its time");
    // Each sent its message again (the retry's, then the next hop's), due
    // in 3 s give or take a tenth: long enough for a busy test server to
    // answer the calls in between before the retry is due.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert_eq!([queued.try_recv().ok(), queued.try_recv().ok()], [Some(message.clone()), Some(message.clone())]);
    deliveries.deliver(&message).await.unwrap();
    assert_eq!(receiver.got().len(), 2);
    let delivered = ["DeleteItem", "GetItem", "GetItem", "GetItem", "GetItem", "PutItem", "TransactWriteItems"];
    assert_eq!(calls.take_sorted(), delivered, "a success after failures");
    deliveries.deliver(&message).await.unwrap();
    assert_eq!(calls.take_sorted(), ["GetItem"], "a message with nothing left to do");
    assert!(queued.try_recv().is_err(), "no message after a success");
}

/// The feed's last change, once it is readable.
async fn last_change(store: &estate::store::DynamoStore) -> estate::domain::FeedEvent {
    tokio::time::sleep(crate::support::TEST_FEED_SETTLE).await;
    let query = estate::store::FeedQuery { after: None, limit: 10, city: None, types: Vec::new() };
    estate::store::FeedStore::changes(store, &query).await.unwrap().events.pop().unwrap()
}

/// Sends each request of `budget` as the caller of `token`, and checks it
/// made exactly the calls listed.
async fn hold_to(app: &TestApp, calls: &CallLog, token: &str, budget: Vec<Budget<'_>>) {
    for (method, path, body, expected) in budget {
        let reply = app.call(method, &path, Some(token), body).await;
        assert!(reply.status.is_success(), "{method} {path}: {} {}", reply.status, reply.body);
        let made = calls.take_sorted();
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(made, expected, "{method} {path}");
    }
}
