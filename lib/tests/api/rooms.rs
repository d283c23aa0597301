use crate::on_both_stores;
use crate::support::{TestApp, new_property, new_room};
use serde_json::{Value, json};

on_both_stores!(
    app:
    rooms_are_added_read_and_listed_oldest_first,
    room_changes_keep_the_totals_exact,
    room_patch_changes_only_given_fields_and_can_clear,
    room_validation_names_each_field,
    a_property_holds_at_most_fifty_rooms,
    unknown_rooms_and_properties_are_404,
);

async fn rooms_are_added_read_and_listed_oldest_first(app: TestApp) {
    let (_, token) = app.register("rooms@example.com").await;
    let id = app.publish(&token, new_property("Flat", "Paris", "apartment", 1)).await;
    let mut body = new_room("Study", "office", "9.5");
    body["floor"] = json!(-1);
    body["description"] = json!("Quiet, north light.");
    body["features"] = json!(["fireplace", "south-facing"]);
    let reply = app.call("POST", &format!("/properties/{id}/rooms"), Some(&token), Some(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let room = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(reply.header("location"), format!("/properties/{id}/rooms/{room}"));
    assert_eq!(reply.body["kind"], "office");
    assert_eq!(reply.body["floor"], -1);
    assert_eq!(reply.body["features"], json!(["fireplace", "south-facing"]));

    let read = app.get(reply.header("location"), None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.body, reply.body);
    let list = app.get(&format!("/properties/{id}/rooms"), None).await;
    let names: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Room 0", "Study"]);

    let after = app.property(&id).await;
    assert_eq!(after["room_count"], 2);
    assert_eq!(after["total_area_m2"].to_string(), "20.0");
    assert_eq!(after["version"], 2, "adding a room is a new version of the property");
}

async fn room_changes_keep_the_totals_exact(app: TestApp) {
    let (_, token) = app.register("sums@example.com").await;
    let id = app.publish(&token, new_property("Sums", "Paris", "house", 0)).await;
    let mut rooms = Vec::new();
    for area in ["0.1", "0.2", "0.29", "33.33", "33.33", "33.34"] {
        let reply = app
            .call("POST", &format!("/properties/{id}/rooms"), Some(&token), Some(new_room("R", "other", area)))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        rooms.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    let totals = app.property(&id).await;
    assert_eq!(totals["total_area_m2"].to_string(), "100.59");
    assert_eq!(totals["room_count"], 6);

    let reply = app
        .call("PATCH", &format!("/properties/{id}/rooms/{}", rooms[0]), Some(&token), Some(json!({"area_m2": 10.01})))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["area_m2"].to_string(), "10.01");
    assert_eq!(app.property(&id).await["total_area_m2"].to_string(), "110.5");
    let reply = app.call("DELETE", &format!("/properties/{id}/rooms/{}", rooms[1]), Some(&token), None).await;
    assert_eq!(reply.status, 204);
    let totals = app.property(&id).await;
    assert_eq!(totals["total_area_m2"].to_string(), "110.3");
    assert_eq!(totals["room_count"], 5);
    assert_eq!(totals["version"], 9);
    let listed = app.get("/properties", None).await;
    assert_eq!(listed.body["items"][0]["total_area_m2"].to_string(), "110.3");
    assert_eq!(listed.body["items"][0]["room_count"], 5);
}

async fn room_patch_changes_only_given_fields_and_can_clear(app: TestApp) {
    let (_, token) = app.register("tidy@example.com").await;
    let id = app.publish(&token, new_property("Tidy", "Paris", "house", 0)).await;
    let mut body = new_room("Lounge", "living_room", "20");
    body["floor"] = json!(2);
    body["description"] = json!("Big windows.");
    let created = app.call("POST", &format!("/properties/{id}/rooms"), Some(&token), Some(body)).await.body;
    let path = format!("/properties/{id}/rooms/{}", created["id"].as_str().unwrap());

    let reply = app
        .call("PATCH", &path, Some(&token), Some(json!({"name": "Salon", "floor": null, "features": ["bay window"]})))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let room = app.get(&path, None).await.body;
    assert_eq!(reply.body, room, "the PATCH answers the room as stored");
    assert_eq!(room["name"], "Salon");
    assert_eq!(room["floor"], Value::Null);
    assert_eq!(room["description"], "Big windows.");
    assert_eq!(room["kind"], "living_room");
    assert_eq!(room["area_m2"].to_string(), "20.0");
    assert_eq!(room["features"], json!(["bay window"]));
    assert_eq!(room["created_at"], created["created_at"]);

    for (body, field) in
        [(json!({"id": "x"}), "id"), (json!({"property_id": "x"}), "property_id"), (json!({"name": null}), "name")]
    {
        assert_eq!(app.call("PATCH", &path, Some(&token), Some(body)).await.invalid_fields(), [field]);
    }
}

async fn room_validation_names_each_field(app: TestApp) {
    let (_, token) = app.register("fussy@example.com").await;
    let id = app.publish(&token, new_property("Fussy", "Paris", "house", 0)).await;
    let body = json!({
        "name": " ",
        "kind": "ballroom",
        "area_m2": 0,
        "floor": -6,
        "description": "x".repeat(2001),
        "features": ["a", "A"],
    });
    let reply = app.call("POST", &format!("/properties/{id}/rooms"), Some(&token), Some(body)).await;
    assert_eq!(reply.invalid_fields(), ["name", "kind", "area_m2", "floor", "description", "features"]);
    for (area, ok) in [("10000", true), ("10000.01", false), ("12.345", false), ("-1", false)] {
        let reply = app
            .call("POST", &format!("/properties/{id}/rooms"), Some(&token), Some(new_room("R", "other", area)))
            .await;
        assert_eq!(reply.status == 201, ok, "{area}: {}", reply.body);
    }
    let reply = app
        .call(
            "POST",
            &format!("/properties/{id}/rooms"),
            Some(&token),
            Some(json!({"name": "R", "kind": "other", "area_m2": "12"})),
        )
        .await;
    assert_eq!(reply.invalid_fields(), ["area_m2"]);
    let reply = app
        .call(
            "POST",
            &format!("/properties/{id}/rooms"),
            Some(&token),
            Some(json!({"name": "R", "kind": "other", "area_m2": 1, "floor": 1.5})),
        )
        .await;
    assert_eq!(reply.invalid_fields(), ["floor"]);
}

async fn a_property_holds_at_most_fifty_rooms(app: TestApp) {
    let (_, token) = app.register("full@example.com").await;
    let id = app.publish(&token, new_property("Full", "Paris", "commercial", 50)).await;
    let reply = app
        .call("POST", &format!("/properties/{id}/rooms"), Some(&token), Some(new_room("One more", "storage", "1")))
        .await;
    reply.problem(409);
    let full = app.property(&id).await;
    assert_eq!(full["room_count"], 50);
    assert_eq!(full["version"], 1);
}

async fn unknown_rooms_and_properties_are_404(app: TestApp) {
    let (_, token) = app.register("lost@example.com").await;
    let id = app.publish(&token, new_property("Lost", "Paris", "house", 0)).await;
    let ghost = uuid::Uuid::now_v7();
    app.get(&format!("/properties/{id}/rooms/{ghost}"), None).await.problem(404);
    app.get(&format!("/properties/{id}/rooms/not-an-id"), None).await.problem(404);
    app.call("PATCH", &format!("/properties/{id}/rooms/{ghost}"), Some(&token), Some(json!({"name": "X"})))
        .await
        .problem(404);
    app.call("DELETE", &format!("/properties/{id}/rooms/{ghost}"), Some(&token), None).await.problem(404);
    app.call("POST", &format!("/properties/{ghost}/rooms"), Some(&token), Some(new_room("X", "other", "1")))
        .await
        .problem(404);
    app.get(&format!("/properties/{ghost}/rooms"), None).await.problem(404);
    assert_eq!(app.property(&id).await["version"], 1);
}
