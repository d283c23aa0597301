//! Listings over HTTP, on both stores: a listing's life from draft to
//! sold, who sees it at each step, its price history, and the answers to
//! search parameters that cannot be served.

use crate::on_both_stores;
use crate::support::{TestApp, new_property};
use serde_json::{Value, json};

on_both_stores!(
    app:
    a_listing_goes_from_draft_to_sold_seen_by_others_only_while_public,
    a_search_sorted_by_price_pages_in_order,
    bad_listing_fields_and_search_parameters_are_named,
);

fn ids(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap()).collect()
}

async fn a_listing_goes_from_draft_to_sold_seen_by_others_only_while_public(app: TestApp) {
    let (_, owner) = app.register("seller@example.com").await;
    let (_, stranger) = app.register("browser@example.com").await;
    let mut body = new_property("Harbour house", "Vannes", "house", 2);
    body["status"] = json!("draft");
    body["price"] = json!({"amount": 450000, "currency": "EUR"});
    body["location"] = json!({"lat": 47.6559, "lon": -2.7603});
    let id = app.publish(&owner, body).await;
    let path = format!("/properties/{id}");
    let nobody_sees_it = |expect_hidden: bool| {
        let (app, path, stranger) = (app.clone(), path.clone(), stranger.clone());
        async move {
            for token in [None, Some(stranger.as_str())] {
                for suffix in ["", "/rooms", "/price-history"] {
                    let reply = app.get(&format!("{path}{suffix}"), token).await;
                    if expect_hidden {
                        assert_eq!(reply.problem(404)["detail"], "No property exists with this id.");
                    } else {
                        assert_eq!(reply.status, 200, "{path}{suffix}: {}", reply.body);
                    }
                }
            }
            let listed = app.get("/properties?city=vannes", None).await.body;
            assert_eq!(ids(&listed).is_empty(), expect_hidden);
        }
    };

    // A draft: its owner sees it, with the token; anyone else gets 404.
    let own = app.get(&path, Some(&owner)).await;
    assert_eq!(
        (own.status.as_u16(), &own.body["status"], own.body["bedroom_count"].as_u64()),
        (200, &json!("draft"), Some(2))
    );
    assert_eq!(own.body["price"], json!({"amount": 450000, "currency": "EUR"}));
    assert_eq!(own.body["transaction"], "sale");
    nobody_sees_it(true).await;
    let mine = app.get("/users/me/properties", Some(&owner)).await.body;
    assert_eq!(mine["items"][0]["status"], "draft");
    // Nor do writes tell anyone else that it exists.
    let meddling = app.call("PATCH", &path, Some(&stranger), Some(json!({"name": "Mine"}))).await;
    meddling.problem(404);
    app.call("DELETE", &path, Some(&stranger), None).await.problem(404);
    // A token sent to a public route must be valid.
    app.get(&path, Some("not-a-token")).await.problem(401);

    // Not every change is allowed: the answer names those that are.
    let sold = app.call("PATCH", &path, Some(&owner), Some(json!({"status": "sold"}))).await;
    let detail = sold.problem(409)["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("active, withdrawn"), "{detail}");
    assert_eq!(app.get(&path, Some(&owner)).await.body["version"], 1, "a refused change writes nothing");

    let publish = json!({"status": "active", "price": {"amount": 435000, "currency": "EUR"}});
    app.call("PATCH", &path, Some(&owner), Some(publish)).await;
    nobody_sees_it(false).await;
    let offer = app.call("PATCH", &path, Some(&owner), Some(json!({"status": "under_offer"}))).await;
    assert_eq!(offer.body["status"], "under_offer", "{}", offer.body);
    nobody_sees_it(false).await;
    let closed = app.call("PATCH", &path, Some(&owner), Some(json!({"status": "sold", "price": null}))).await;
    assert_eq!((&closed.body["status"], &closed.body["price"]), (&json!("sold"), &Value::Null), "{}", closed.body);
    // Sold: off the market, but public as a comparable.
    assert!(ids(&app.get("/properties?city=vannes", None).await.body).is_empty());
    assert_eq!(ids(&app.get("/properties?city=vannes&status=sold", None).await.body), [id.as_str()]);
    assert_eq!(app.get(&path, Some(&stranger)).await.status, 200);
    let final_ = app.call("PATCH", &path, Some(&owner), Some(json!({"status": "active"}))).await;
    assert!(final_.problem(409)["detail"].as_str().unwrap().contains("final"));

    let history = app.get(&format!("{path}/price-history?limit=2"), None).await.body;
    let next = history["next_cursor"].as_str().expect("a second page").to_owned();
    let rest = app.get(&format!("{path}/price-history?limit=2&cursor={next}"), None).await.body;
    let prices: Vec<&Value> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .map(|entry| &entry["price"])
        .collect();
    assert_eq!(
        prices,
        [&json!({"amount": 450000, "currency": "EUR"}), &json!({"amount": 435000, "currency": "EUR"}), &Value::Null]
    );
    assert_eq!(rest["next_cursor"], Value::Null);
    // A history cursor belongs to its listing.
    let other = app.publish(&owner, new_property("Other", "Vannes", "loft", 0)).await;
    app.get(&format!("/properties/{other}/price-history?cursor={next}"), None).await.problem(400);
}

async fn a_search_sorted_by_price_pages_in_order(app: TestApp) {
    let (_, owner) = app.register("agent@example.com").await;
    let mut expected = Vec::new();
    // (price in hundredths, as JSON): exact amounts, one with decimals.
    for (hundredths, amount) in [
        (31_000_000, "310000"),
        (18_000_050, "180000.5"),
        (31_000_000, "310000.00"),
        (9_500_000, "95000"),
        (72_000_000, "720000"),
    ] {
        let mut body = new_property("For sale", "Quimper", "house", 1);
        let amount: serde_json::Number = serde_json::from_str(amount).unwrap();
        body["price"] = json!({"amount": amount, "currency": "EUR"});
        expected.push((hundredths, app.publish(&owner, body).await));
    }
    // In range, cheapest first; equal prices by id.
    expected.retain(|(hundredths, _)| (10_000_000..=70_000_000).contains(hundredths));
    expected.sort();
    let query = "/properties?city=quimper&currency=EUR&min_price=100000&max_price=700000&sort=price&limit=2";
    let mut found = Vec::new();
    let mut page = app.get(query, None).await.body;
    loop {
        found.extend(ids(&page).into_iter().map(String::from));
        let Some(cursor) = page["next_cursor"].as_str() else { break };
        page = app.get(&format!("{query}&cursor={cursor}"), None).await.body;
    }
    assert_eq!(found, expected.into_iter().map(|(_, id)| id).collect::<Vec<_>>());
    // The cursor is bound to the whole query, its order included.
    let first = app.get(query, None).await.body;
    let cursor = first["next_cursor"].as_str().unwrap();
    let other = query.replace("sort=price", "sort=-price");
    app.get(&format!("{other}&cursor={cursor}"), None).await.problem(400);
}

async fn bad_listing_fields_and_search_parameters_are_named(app: TestApp) {
    let (_, owner) = app.register("careful@example.com").await;
    let mut body = new_property("Bad", "Auray", "house", 0);
    body["transaction"] = json!("swap");
    body["status"] = json!("sold");
    body["price"] = json!({"amount": -1, "currency": "EUR"});
    body["location"] = json!({"lat": 91, "lon": 0});
    let reply = app.call("POST", "/properties", Some(&owner), Some(body)).await;
    assert_eq!(reply.invalid_fields(), ["transaction", "status", "price", "location"]);
    let id = app.publish(&owner, new_property("Good", "Auray", "house", 0)).await;
    let patch = json!({"transaction": "rent"});
    assert_eq!(
        app.call("PATCH", &format!("/properties/{id}"), Some(&owner), Some(patch)).await.invalid_fields(),
        ["transaction"]
    );
    let patch = json!({"price": {"amount": 1.001, "currency": "EUR"}, "status": "gone"});
    assert_eq!(
        app.call("PATCH", &format!("/properties/{id}"), Some(&owner), Some(patch)).await.invalid_fields(),
        ["status", "price"]
    );

    for (query, field) in [
        ("min_price=1", "min_price"),
        ("currency=EUR&min_price=9&max_price=1", "max_price"),
        ("min_area=-1", "min_area"),
        ("max_bedrooms=x", "max_bedrooms"),
        ("sort=cheapest", "sort"),
        ("status=draft", "status"),
        ("status=let", "status"),
        ("currency=ZZZ", "currency"),
        ("transaction=swap", "transaction"),
    ] {
        assert_eq!(app.get(&format!("/properties?{query}"), None).await.invalid_fields(), [field], "{query}");
    }
    for query in ["sort=price&city=auray", "sort=-price&currency=EUR", "sort=area"] {
        let detail =
            app.get(&format!("/properties?{query}"), None).await.problem(400)["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains("need"), "{query}: {detail}");
    }
}
