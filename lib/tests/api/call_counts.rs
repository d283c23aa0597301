//! The DynamoDB calls each route makes, counted at the SDK: the budgets
//! of the access-pattern table (docs/data-model.md#access-patterns), held by a test.

use crate::support::{CallLog, TestApp, counted_dynamo_store, new_property, new_room, registration};
use serde_json::json;

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
}

/// Sends each request of `budget` as the caller of `token`, and checks it
/// made exactly the calls listed.
async fn hold_to(app: &TestApp, calls: &CallLog, token: &str, budget: Vec<Budget<'_>>) {
    for (method, path, body, expected) in budget {
        let reply = app.call(method, &path, Some(token), body).await;
        assert!(reply.status.is_success(), "{method} {path}: {} {}", reply.status, reply.body);
        // Sorted: calls made in parallel arrive in any order.
        let mut made = calls.take();
        made.sort();
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(made, expected, "{method} {path}");
    }
}
