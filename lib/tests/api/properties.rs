use crate::on_both_stores;
use crate::support::{TestApp, new_property, new_room};
use serde_json::{Value, json};

on_both_stores!(
    app:
    publishing_returns_the_property_with_its_rooms,
    publishing_reports_every_invalid_field,
    property_types_are_a_closed_list,
    listings_page_newest_first_without_rooms,
    city_matching_ignores_case_accents_and_separators,
    listings_filter_by_type_alone_and_within_a_city,
    bad_listing_parameters_are_client_errors,
    own_properties_are_listed_for_their_owner,
    only_the_owner_changes_a_property,
    patch_changes_only_given_fields_and_honours_if_match,
    patch_refuses_fields_a_client_must_not_set,
    changing_the_city_moves_the_property_between_listings,
    deleting_a_property_removes_its_rooms,
    deleting_the_account_removes_its_properties,
    a_deleted_users_token_publishes_nothing,
);

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap().to_owned()).collect()
}

async fn publishing_returns_the_property_with_its_rooms(app: TestApp) {
    let (owner, token) = app.register("owner@example.com").await;
    let mut body = new_property("Sunny flat", "  Saint-Étienne ", "apartment", 0);
    body["rooms"] = json!([new_room("Kitchen", "kitchen", "12.34"), new_room("Bedroom", "bedroom", "0.01")]);
    let reply = app.call("POST", "/properties", Some(&token), Some(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let property = &reply.body;
    let id = property["id"].as_str().unwrap();
    assert_eq!(reply.header("location"), format!("/properties/{id}"));
    assert_eq!(reply.header("etag"), "\"1\"");
    assert_eq!(property["owner_id"], owner.as_str());
    assert_eq!(property["city"], "Saint-Étienne");
    assert_eq!(property["type"], "apartment");
    assert_eq!(property["room_count"], 2);
    assert_eq!(property["total_area_m2"].to_string(), "12.35");
    assert_eq!(property["version"], 1);
    assert_eq!(property["rooms"][0]["name"], "Kitchen");
    assert_eq!(property["rooms"][0]["area_m2"].to_string(), "12.34");
    assert_eq!(property["rooms"][1]["floor"], Value::Null);
    assert_eq!(property["rooms"][1]["features"], json!([]));

    let read = app.get(&format!("/properties/{id}"), None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag"), "\"1\"");
    assert_eq!(read.body, reply.body);
}

async fn publishing_reports_every_invalid_field(app: TestApp) {
    let (_, token) = app.register("sloppy@example.com").await;
    let body = json!({
        "name": "",
        "description": "x".repeat(5001),
        "type": "castle",
        "city": " - ",
        "rooms": [new_room("Ok", "kitchen", "10"), {"name": "Bad", "kind": "dungeon", "area_m2": 10.001, "floor": 201}],
    });
    let reply = app.call("POST", "/properties", Some(&token), Some(body)).await;
    assert_eq!(
        reply.invalid_fields(),
        ["name", "description", "type", "city", "rooms[1].kind", "rooms[1].area_m2", "rooms[1].floor"]
    );

    let too_many = new_property("Hotel", "Paris", "commercial", 51);
    let reply = app.call("POST", "/properties", Some(&token), Some(too_many)).await;
    assert_eq!(reply.invalid_fields(), ["rooms"]);

    for field in ["owner_id", "id", "room_count", "version"] {
        let mut body = new_property("Sneaky", "Paris", "house", 0);
        body[field] = json!("x");
        let reply = app.call("POST", "/properties", Some(&token), Some(body)).await;
        assert_eq!(reply.invalid_fields(), [field]);
    }
    let listing = app.get("/properties", None).await;
    assert_eq!(listing.body["items"], json!([]), "nothing was written");
}

async fn property_types_are_a_closed_list(app: TestApp) {
    let reply = app.get("/property-types", None).await;
    assert_eq!(reply.status, 200);
    let values: Vec<&str> =
        reply.body["items"].as_array().unwrap().iter().map(|t| t["value"].as_str().unwrap()).collect();
    assert_eq!(
        values,
        [
            "apartment",
            "house",
            "studio",
            "loft",
            "duplex",
            "villa",
            "townhouse",
            "land",
            "commercial",
            "office",
            "parking",
            "other"
        ]
    );
    assert!(reply.body["items"].as_array().unwrap().iter().all(|t| t["label"].as_str().is_some_and(|l| !l.is_empty())));
}

async fn listings_page_newest_first_without_rooms(app: TestApp) {
    let (_, token) = app.register("lister@example.com").await;
    let mut published = Vec::new();
    for i in 0..5 {
        published.push(app.publish(&token, new_property(&format!("Home {i}"), "Lyon", "house", 1)).await);
    }
    published.reverse();

    let first = app.get("/properties?limit=2", None).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(ids(&first.body), published[..2]);
    assert!(first.body["items"][0].get("rooms").is_none());
    assert_eq!(first.body["items"][0]["room_count"], 1);
    assert_eq!(first.body["items"][0]["total_area_m2"].to_string(), "10.5");
    let cursor = first.body["next_cursor"].as_str().unwrap();

    let second = app.get(&format!("/properties?limit=2&cursor={cursor}"), None).await;
    assert_eq!(ids(&second.body), published[2..4]);
    let cursor = second.body["next_cursor"].as_str().unwrap();
    let last = app.get(&format!("/properties?limit=2&cursor={cursor}"), None).await;
    assert_eq!(ids(&last.body), published[4..]);
    assert_eq!(last.body["next_cursor"], Value::Null);

    let exact = app.get("/properties?limit=5", None).await;
    assert_eq!(ids(&exact.body), published);
    assert_eq!(exact.body["next_cursor"], Value::Null, "a full last page says it is the last");
    assert_eq!(ids(&app.get("/properties", None).await.body), published, "the default limit is 20");
}

async fn city_matching_ignores_case_accents_and_separators(app: TestApp) {
    let (_, token) = app.register("cities@example.com").await;
    let etienne = app.publish(&token, new_property("A", "Saint-Étienne", "house", 0)).await;
    app.publish(&token, new_property("B", "Saint-Denis", "house", 0)).await;
    for spelling in ["Saint-%C3%89tienne", "saint%20etienne", "SAINT%20ETIENNE", "saint-etienne", "Saint%27Etienne"] {
        let reply = app.get(&format!("/properties?city={spelling}"), None).await;
        assert_eq!(ids(&reply.body), std::slice::from_ref(&etienne), "{spelling}");
        assert_eq!(reply.body["items"][0]["city"], "Saint-Étienne");
    }
    assert_eq!(ids(&app.get("/properties?city=Saint", None).await.body), Vec::<String>::new());
}

async fn listings_filter_by_type_alone_and_within_a_city(app: TestApp) {
    let (_, token) = app.register("types@example.com").await;
    let paris_flat = app.publish(&token, new_property("A", "Paris", "apartment", 0)).await;
    let paris_house = app.publish(&token, new_property("B", "Paris", "house", 0)).await;
    let nice_flat = app.publish(&token, new_property("C", "Nice", "apartment", 0)).await;
    assert_eq!(ids(&app.get("/properties?type=apartment", None).await.body), [nice_flat, paris_flat.clone()]);
    assert_eq!(ids(&app.get("/properties?city=paris&type=house", None).await.body), [paris_house]);

    // Within a city the type is a filter: pages may come up short, but
    // following next_cursor finds every match exactly once.
    let mut found = Vec::new();
    let mut query = "/properties?city=PARIS&type=apartment&limit=1".to_owned();
    for _ in 0..5 {
        let page = app.get(&query, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        found.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => query = format!("/properties?city=PARIS&type=apartment&limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(found, [paris_flat]);
}

async fn bad_listing_parameters_are_client_errors(app: TestApp) {
    let (_, token) = app.register("params@example.com").await;
    for i in 0..3 {
        app.publish(&token, new_property(&format!("P{i}"), "Lille", "loft", 0)).await;
    }
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("type=castle", "type"),
        ("sort=asc", "sort"),
    ] {
        let reply = app.get(&format!("/properties?{query}"), None).await;
        assert_eq!(reply.invalid_fields(), [field], "{query}");
    }
    let page = app.get("/properties?limit=1&city=lille", None).await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    app.get("/properties?cursor=not-a-cursor", None).await.problem(400);
    app.get(&format!("/properties?limit=1&cursor={cursor}"), None).await.problem(400);
    app.get(&format!("/properties?city=paris&cursor={cursor}"), None).await.problem(400);
    let tampered: String = cursor.chars().rev().collect();
    app.get(&format!("/properties?city=lille&cursor={tampered}"), None).await.problem(400);
    app.get(&format!("/users/me/properties?cursor={cursor}"), Some(&token)).await.problem(400);
    assert_eq!(app.get(&format!("/properties?city=lille&cursor={cursor}"), None).await.status, 200);
}

async fn own_properties_are_listed_for_their_owner(app: TestApp) {
    let (_, mine) = app.register("mine@example.com").await;
    let (_, theirs) = app.register("theirs@example.com").await;
    let a = app.publish(&mine, new_property("A", "Paris", "house", 0)).await;
    app.publish(&theirs, new_property("B", "Paris", "house", 0)).await;
    let b = app.publish(&mine, new_property("C", "Lyon", "villa", 0)).await;
    let reply = app.get("/users/me/properties", Some(&mine)).await;
    assert_eq!(ids(&reply.body), [b.clone(), a.clone()]);
    let first = app.get("/users/me/properties?limit=1", Some(&mine)).await;
    assert_eq!(ids(&first.body), [b]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    assert_eq!(ids(&app.get(&format!("/users/me/properties?limit=1&cursor={cursor}"), Some(&mine)).await.body), [a]);
    app.get("/users/me/properties", None).await.problem(401);
    let reply = app.get("/users/me/properties?city=paris", Some(&mine)).await;
    assert_eq!(reply.invalid_fields(), ["city"]);
}

async fn only_the_owner_changes_a_property(app: TestApp) {
    let (_, owner) = app.register("rightful@example.com").await;
    let (_, intruder) = app.register("intruder@example.com").await;
    let id = app.publish(&owner, new_property("Mine", "Paris", "house", 1)).await;
    let before = app.property(&id).await;
    let path = format!("/properties/{id}");
    let room = before["rooms"][0]["id"].as_str().unwrap();
    let room_path = format!("{path}/rooms/{room}");

    app.call("PATCH", &path, Some(&intruder), Some(json!({"name": "Stolen"}))).await.problem(403);
    app.call("DELETE", &path, Some(&intruder), None).await.problem(403);
    app.call("POST", &format!("{path}/rooms"), Some(&intruder), Some(new_room("Extra", "attic", "3")))
        .await
        .problem(403);
    app.call("PATCH", &room_path, Some(&intruder), Some(json!({"name": "Mine now"}))).await.problem(403);
    app.call("DELETE", &room_path, Some(&intruder), None).await.problem(403);
    assert_eq!(app.get(&path, None).await.body, before, "nothing changed");

    let unknown = format!("/properties/{}", uuid::Uuid::now_v7());
    app.call("PATCH", &unknown, Some(&owner), Some(json!({"name": "Ghost"}))).await.problem(404);
    app.call("DELETE", &unknown, Some(&owner), None).await.problem(404);
    app.get(&unknown, None).await.problem(404);
    app.get("/properties/not-an-id", None).await.problem(404);
}

async fn patch_changes_only_given_fields_and_honours_if_match(app: TestApp) {
    let (_, token) = app.register("editor@example.com").await;
    let id = app.publish(&token, new_property("Old name", "Paris", "house", 2)).await;
    let path = format!("/properties/{id}");

    let reply = app.call("PATCH", &path, Some(&token), Some(json!({"name": "New name"}))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("etag"), "\"2\"");
    assert_eq!(reply.body["name"], "New name");
    assert_eq!(reply.body["city"], "Paris");
    assert_eq!(reply.body["description"], "Bright and quiet.");
    assert_eq!(reply.body["room_count"], 2);
    assert_eq!(reply.body["version"], 2);

    let with_tag = |tag, body| app.call_if_match("PATCH", &path, &token, tag, Some(body));
    with_tag("\"1\"", json!({"name": "Stale"})).await.problem(412);
    with_tag("W/\"2\"", json!({"name": "Weak"})).await.problem(412);
    with_tag("2", json!({"name": "Unquoted"})).await.problem(400);
    let reply = with_tag("\"2\"", json!({"description": ""})).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["description"], "");
    assert_eq!(reply.body["name"], "New name");
    let reply = with_tag("*", json!({"type": "villa"})).await;
    assert_eq!(reply.header("etag"), "\"4\"");
    assert_eq!(app.get(&path, None).await.body["type"], "villa");
}

async fn patch_refuses_fields_a_client_must_not_set(app: TestApp) {
    let (_, token) = app.register("strict@example.com").await;
    let id = app.publish(&token, new_property("Strict", "Paris", "house", 0)).await;
    let path = format!("/properties/{id}");
    for field in ["id", "owner_id", "rooms", "room_count", "version", "total_area_m2", "colour"] {
        let reply = app.call("PATCH", &path, Some(&token), Some(json!({ field: 1 }))).await;
        assert_eq!(reply.invalid_fields(), [field]);
    }
    let reply = app.call("PATCH", &path, Some(&token), Some(json!({"name": null, "city": ""}))).await;
    assert_eq!(reply.invalid_fields(), ["name", "city"]);
    let reply = app.call("PATCH", &path, Some(&token), Some(json!({"city": "", "type": "castle"}))).await;
    assert_eq!(reply.invalid_fields(), ["type", "city"]);
    assert_eq!(app.get(&path, None).await.body["version"], 1);
}

async fn changing_the_city_moves_the_property_between_listings(app: TestApp) {
    let (_, token) = app.register("mover@example.com").await;
    let id = app.publish(&token, new_property("Mover", "Bordeaux", "house", 0)).await;
    let reply =
        app.call("PATCH", &format!("/properties/{id}"), Some(&token), Some(json!({"city": "Aix-en-Provence"}))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(ids(&app.get("/properties?city=bordeaux", None).await.body), Vec::<String>::new());
    assert_eq!(ids(&app.get("/properties?city=aix%20en%20provence", None).await.body), std::slice::from_ref(&id));
    let reply = app.call("PATCH", &format!("/properties/{id}"), Some(&token), Some(json!({"type": "loft"}))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(ids(&app.get("/properties?type=house", None).await.body), Vec::<String>::new());
    assert_eq!(ids(&app.get("/properties?type=loft", None).await.body), [id]);
}

async fn deleting_a_property_removes_its_rooms(app: TestApp) {
    let (_, token) = app.register("seller@example.com").await;
    let id = app.publish(&token, new_property("Sold", "Paris", "house", 3)).await;
    let room = app.property(&id).await["rooms"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.call("DELETE", &format!("/properties/{id}"), Some(&token), None).await.status, 204);
    app.get(&format!("/properties/{id}"), None).await.problem(404);
    app.get(&format!("/properties/{id}/rooms"), None).await.problem(404);
    app.get(&format!("/properties/{id}/rooms/{room}"), None).await.problem(404);
    assert_eq!(ids(&app.get("/properties", None).await.body), Vec::<String>::new());
    app.call("DELETE", &format!("/properties/{id}"), Some(&token), None).await.problem(404);
}

async fn deleting_the_account_removes_its_properties(app: TestApp) {
    let (_, leaving) = app.register("leaving@example.com").await;
    let (_, staying) = app.register("staying@example.com").await;
    let gone = app.publish(&leaving, new_property("Gone", "Paris", "house", 2)).await;
    app.publish(&leaving, new_property("Gone too", "Nice", "villa", 0)).await;
    let kept = app.publish(&staying, new_property("Kept", "Paris", "house", 1)).await;
    assert_eq!(app.call("DELETE", "/users/me", Some(&leaving), None).await.status, 204);
    assert_eq!(ids(&app.get("/properties", None).await.body), [kept]);
    app.get(&format!("/properties/{gone}"), None).await.problem(404);
    app.get(&format!("/properties/{gone}/rooms"), None).await.problem(404);
}

async fn a_deleted_users_token_publishes_nothing(app: TestApp) {
    let (_, token) = app.register("ghost@example.com").await;
    assert_eq!(app.call("DELETE", "/users/me", Some(&token), None).await.status, 204);
    let reply = app.call("POST", "/properties", Some(&token), Some(new_property("Ghost", "Paris", "house", 1))).await;
    reply.problem(401);
    assert_eq!(ids(&app.get("/properties", None).await.body), Vec::<String>::new());
}
